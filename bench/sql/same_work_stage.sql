-- One extract's rows into `staged`: read once by read_csv as text (unreadable lines to the rejects
-- table), the CPR number turned into the keyed pseudonym (overgang.pseudonymise.pseudonym_sql),
-- its status and the sex from its last digit, and every other column through the CPR guard
-- (the slots of intake.applications.ingest.cpr_guarded). Personal columns are never selected.
INSERT INTO staged
SELECT
    $file_year AS file_year,
    $source_file AS source_file,
    NULL AS source_line,
    CASE WHEN cpr_ok THEN ${pseudonym} END AS pupil_id,
    CASE WHEN cpr_ok THEN 'ok' WHEN nullif(trim(${cpr}), '') IS NULL THEN 'missing' ELSE 'malformed' END AS cpr_status,
    CASE WHEN cpr_ok THEN CASE WHEN right(trim(${cpr}), 1)::INTEGER % 2 = 1 THEN 'M' ELSE 'K' END END AS sex,
    ${school_institution_number} AS school_institution_number,
    ${school_name} AS school_name,
    ${school_kommune} AS school_kommune,
    ${residence_kommune} AS residence_kommune,
    ${grade} AS grade,
    ${applicant_type} AS applicant_type,
    ${priority} AS priority,
    ${education_code} AS education_code,
    ${eux} AS eux,
    ${application_date} AS application_date,
    ${application_status} AS application_status,
    ${cpr_found_in} AS cpr_found_in
FROM (
    SELECT
        *,
        CASE WHEN cpr_in_row THEN ${cpr_hits} END AS cpr_hits
    FROM (
        SELECT
            *,
            regexp_full_match(trim(${cpr}), $cpr_shape) AS cpr_ok,
            coalesce(${cpr_in_row}, FALSE) AS cpr_in_row
        FROM (
            SELECT ${used}
            FROM read_csv(
                $path, delim = ';', quote = '"', escape = '"', header = TRUE, auto_detect = FALSE,
                columns = $columns, encoding = $encoding, store_rejects = TRUE,
                rejects_table = 'extract_rejects', rejects_scan = 'extract_reject_scans', null_padding = FALSE
            )
        ) AS file_rows
    ) AS guarded_rows
) AS read_rows;
