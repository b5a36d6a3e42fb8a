-- application_rows_typed: staging rows cast to their types for validation, for the run's years (temp
-- table typed_years, written by validate.stage_typed_rows: the view that reads this cannot hold parameters).
-- A number that cannot be read becomes -1 (never a valid code), so the schema's range or code
-- rule catches it, and the quarantine shows the raw text from staging_applications. An empty
-- field, or 'ukendt' for a kommune, is NULL (missing), which the schema allows or not.
SELECT
    row_id,
    file_year,
    source_file,
    source_line,
    pupil_id,
    cpr_status,
    sex,
    year(parsed_date)::SMALLINT AS year,
    parsed_date AS application_date,
    nullif(trim(school_institution_number), '')            AS school_institution_number,
    nullif(trim(school_name), '')                               AS school_name,
    CASE WHEN lower(coalesce(trim(school_kommune), '')) IN ('', 'ukendt') THEN NULL
         ELSE coalesce(try_cast(trim(school_kommune) AS SMALLINT), -1) END    AS school_kommune,
    CASE WHEN lower(coalesce(trim(residence_kommune), '')) IN ('', 'ukendt') THEN NULL
         ELSE coalesce(try_cast(trim(residence_kommune) AS SMALLINT), -1) END AS residence_kommune,
    CASE WHEN coalesce(trim(grade), '') = '' THEN NULL
         ELSE coalesce(try_cast(trim(grade) AS SMALLINT), -1) END             AS grade,
    trim(applicant_type)                                        AS applicant_type,
    CASE WHEN coalesce(trim(priority), '') = '' THEN NULL
         ELSE coalesce(try_cast(trim(priority) AS SMALLINT), -1) END          AS priority,
    lower(trim(education_code))                                 AS education_code,
    coalesce(upper(trim(eux)), '')                              AS eux,
    nullif(trim(application_status), '')                        AS application_status,
    cpr_found_in
FROM (
    SELECT *,
           -- Danish exports write dates ISO or day first; the ISO cast is the fast common case.
           coalesce(try_cast(trim(application_date) AS DATE),
                    try_strptime(trim(application_date), '%Y-%m-%d'),
                    try_strptime(trim(application_date), '%d-%m-%Y'),
                    try_strptime(trim(application_date), '%d.%m.%Y'))::DATE AS parsed_date
    FROM staging_applications
    WHERE file_year IN (SELECT typed_years.year FROM typed_years)
) AS dated
