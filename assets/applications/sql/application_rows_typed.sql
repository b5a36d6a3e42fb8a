-- application_rows_typed: staging rows cast to their types for validation.
-- TRY_CAST leaves NULL where a value cannot be cast; the schema then names the rule and the
-- quarantine shows the raw text from staging_applications.
SELECT
    row_id,
    pupil_id,
    cpr_status,
    sex,
    year(parsed_date)::SMALLINT AS year,
    parsed_date AS application_date,
    nullif(trim(school_institution_number), '')            AS school_institution_number,
    TRY_CAST(nullif(trim(school_kommune), '') AS SMALLINT)      AS school_kommune,
    TRY_CAST(nullif(trim(residence_kommune), '') AS SMALLINT)   AS residence_kommune,
    TRY_CAST(nullif(trim(grade), '') AS SMALLINT)               AS grade,
    trim(applicant_type)                                        AS applicant_type,
    TRY_CAST(nullif(trim(priority), '') AS SMALLINT)            AS priority,
    lower(trim(education_code))                                 AS education_code,
    coalesce(upper(trim(eux)), '')                              AS eux
FROM (
    SELECT *,
           -- Danish exports write dates ISO or day first.
           coalesce(TRY_STRPTIME(trim(application_date), '%Y-%m-%d'),
                    TRY_STRPTIME(trim(application_date), '%d-%m-%Y'),
                    TRY_STRPTIME(trim(application_date), '%d.%m.%Y'))::DATE AS parsed_date
    FROM staging_applications
)
