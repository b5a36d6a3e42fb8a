-- Working tables for staged extracts; kept between runs so that one year can be reloaded
-- without touching the others (rows carry the year of the file they came from).
-- row_id is unique (each file's rows are numbered after the highest so far); no index is kept,
-- because maintaining one costs more than the rare lookups by row_id save. row_id and
-- source_line are filled in right after a file's rows are inserted (ingest.py), in one transaction.
CREATE TABLE IF NOT EXISTS staging_applications (
    row_id BIGINT,
    file_year SMALLINT NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT,
    pupil_id UBIGINT,
    cpr_status VARCHAR NOT NULL,
    sex VARCHAR,
    school_institution_number VARCHAR,
    school_name VARCHAR,
    school_kommune VARCHAR,
    residence_kommune VARCHAR,
    grade VARCHAR,
    applicant_type VARCHAR,
    priority VARCHAR,
    education_code VARCHAR,
    eux VARCHAR,
    application_date VARCHAR,
    application_status VARCHAR,
    -- Columns where a CPR-shaped number was found and withheld (comma-separated; NULL: none).
    cpr_found_in VARCHAR
);
CREATE TABLE IF NOT EXISTS ingested_files (
    source_file VARCHAR PRIMARY KEY,
    file_year SMALLINT NOT NULL,
    sha256 VARCHAR NOT NULL,
    encoding VARCHAR NOT NULL,
    data_rows BIGINT NOT NULL,
    rejected_lines BIGINT NOT NULL,
    pseudonymised_with_demo_key BOOLEAN NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
-- Years a run has started to rebuild; removed when that run publishes. A year left here by a
-- failed or killed run stops publishing until the year is rebuilt.
CREATE TABLE IF NOT EXISTS partitions_in_progress (
    year SMALLINT NOT NULL,
    run_id VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL
);
-- The run that last loaded each application year into `applications`.
CREATE TABLE IF NOT EXISTS year_loads (
    year SMALLINT PRIMARY KEY,
    run_id VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
-- Which CPR key pseudonymised each application year, by fingerprint (never the key itself), and
-- whether the year is the shipped synthetic sample: pseudonyms of two keys cannot be linked, and
-- synthetic years must not pass for real ones, so a run refuses to mix either in one warehouse.
CREATE TABLE IF NOT EXISTS year_keys (
    year SMALLINT PRIMARY KEY,
    key_fingerprint VARCHAR NOT NULL,
    synthetic BOOLEAN NOT NULL
);
-- The row ledger: every line of every extract accounted for. At staging:
--   lines = header_lines + blank_lines + staged_rows + rejected_lines + unaccounted_lines
-- (unaccounted: lines DuckDB joined into another row, e.g. after a quote that is never closed);
-- after validation:
--   staged_rows = valid_rows + quarantined_rows + duplicate_rows.
-- The blocking check `row_ledger` stops a run for a file or a year that does not balance or
-- that holds too many bad lines; nothing downstream (and nothing published) sees such a year.
CREATE TABLE IF NOT EXISTS file_ledger (
    source_file VARCHAR NOT NULL,
    file_year SMALLINT NOT NULL,
    lines BIGINT NOT NULL,
    header_lines BIGINT NOT NULL,
    blank_lines BIGINT NOT NULL,
    staged_rows BIGINT NOT NULL,
    rejected_lines BIGINT NOT NULL,
    unaccounted_lines BIGINT NOT NULL,
    first_rejected_line BIGINT,
    duplicate_rows BIGINT,
    quarantined_rows BIGINT,
    valid_rows BIGINT,
    quarantined_by_rule VARCHAR,
    run_id VARCHAR
);
-- Which steps of a year a run has finished. A year leaves partitions_in_progress when its run
-- has built it to the end (applications and the three søgetal tables), also when the run was
-- started from the UI without the warehouse step: the next run may then publish it.
CREATE TABLE IF NOT EXISTS partition_steps (
    year SMALLINT NOT NULL,
    run_id VARCHAR NOT NULL,
    step VARCHAR NOT NULL
);
