-- The same-work floor's tables (bench/same_work.py), on one connection, no Dagster.
-- `staged` holds each file's rows as read, in file order; a row's number and line come from its
-- position (rowid), so no statement rewrites every row to number it. The view named as the
-- pipeline's table lets the project's typed-rows SQL and validation run on it unchanged.
CREATE TABLE staged (
    file_year SMALLINT NOT NULL,
    source_file VARCHAR NOT NULL,
    -- NULL: the line is the row's position + 2; set only for a file with blank or unreadable lines.
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
    cpr_found_in VARCHAR
);
-- One row a file: the encoding pre-pass's findings and where the file's rows start in `staged`.
CREATE TABLE ingested_files (
    source_file VARCHAR PRIMARY KEY,
    file_year SMALLINT NOT NULL,
    sha256 VARCHAR NOT NULL,
    encoding VARCHAR NOT NULL,
    lines BIGINT NOT NULL,
    blank_lines BIGINT NOT NULL,
    first_rowid BIGINT NOT NULL,
    data_rows BIGINT NOT NULL,
    rejected_lines BIGINT NOT NULL,
    first_rejected_line BIGINT
);
CREATE VIEW staging_applications AS
SELECT
    s.rowid + 1 AS row_id,
    s.file_year,
    s.source_file,
    coalesce(s.source_line, s.rowid - f.first_rowid + 2) AS source_line,
    s.pupil_id,
    s.cpr_status,
    s.sex,
    s.school_institution_number,
    s.school_name,
    s.school_kommune,
    s.residence_kommune,
    s.grade,
    s.applicant_type,
    s.priority,
    s.education_code,
    s.eux,
    s.application_date,
    s.application_status,
    s.cpr_found_in
FROM staged AS s
INNER JOIN ingested_files AS f ON s.source_file = f.source_file;
-- The row ledger, with the columns of the pipeline's file_ledger.
CREATE TABLE file_ledger (
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
CREATE TABLE kommuner AS FROM read_csv($kommuner);
CREATE TABLE education_codes AS FROM read_csv($education_codes);
CREATE TABLE education_groups AS FROM read_csv($education_groups);
CREATE TABLE applicant_types AS
SELECT
    unnest($applicant_types) AS applicant_type,
    unnest($applicant_groups) AS applicant_group;
