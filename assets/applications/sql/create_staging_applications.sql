-- Empty staging tables for a fresh load of the extracts.
CREATE OR REPLACE SEQUENCE staging_row_id START 1;
CREATE OR REPLACE TABLE staging_applications (
    row_id BIGINT PRIMARY KEY,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
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
    application_date VARCHAR
);
CREATE OR REPLACE TABLE ingested_files (
    source_file VARCHAR PRIMARY KEY,
    sha256 VARCHAR NOT NULL,
    encoding VARCHAR NOT NULL,
    data_rows BIGINT NOT NULL,
    rejected_lines BIGINT NOT NULL,
    pseudonymised_with_demo_key BOOLEAN NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
