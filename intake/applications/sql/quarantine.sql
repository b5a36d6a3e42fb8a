-- quarantine: rows that failed a rule, one line per row and rule. Nothing is dropped silently:
-- `row_id` points to the pseudonymised row in staging_applications (NULL when the line could
-- not be parsed at all). `value` is the raw text from the file, except for the CPR number,
-- which is never shown.
CREATE TABLE IF NOT EXISTS quarantine (
    dataset VARCHAR NOT NULL,
    year SMALLINT,
    source_file VARCHAR NOT NULL,
    source_line BIGINT,
    row_id BIGINT,
    column_name VARCHAR,
    value VARCHAR,
    rule VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    run_id VARCHAR,
    quarantined_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
