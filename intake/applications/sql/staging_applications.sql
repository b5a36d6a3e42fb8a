-- staging_applications: every data row of every extract, pseudonymised, as text.
-- The CPR number is turned into `pupil_id` here and never stored; names, addresses and
-- contact fields are not selected at all. Every other column is guarded (ingest.cpr_guarded): a
-- CPR number typed into the wrong column is replaced by '(CPR withheld)' before the row is
-- stored, and `cpr_found_in` names the column(s) so the row goes to quarantine. Slots
-- (filled by schemas/sqltext.fill) are the source file's own column names, quoted, looked up in
-- data/config/column_map.yaml. The extract slot is the file, read once by read_csv in parallel;
-- DuckDB keeps the rows in file order, so ingest.py numbers them (row_id, source_line) from
-- their position afterwards.
INSERT INTO staging_applications
SELECT
    NULL                                                        AS row_id,
    $file_year                                                  AS file_year,
    $source_file                                                AS source_file,
    NULL                                                        AS source_line,
    CASE WHEN cpr_ok THEN ${pseudonym} END                      AS pupil_id,
    CASE WHEN cpr_ok THEN 'ok' WHEN nullif(trim(${cpr}), '') IS NULL THEN 'missing' ELSE 'malformed' END AS cpr_status,
    -- The last digit of a CPR number is odd for men and even for women.
    CASE WHEN cpr_ok THEN CASE WHEN right(trim(${cpr}), 1)::INTEGER % 2 = 1 THEN 'M' ELSE 'K' END END AS sex,
    ${school_institution_number}                                AS school_institution_number,
    ${school_name}                                              AS school_name,
    ${school_kommune}                                           AS school_kommune,
    ${residence_kommune}                                        AS residence_kommune,
    ${grade}                                                    AS grade,
    ${applicant_type}                                           AS applicant_type,
    ${priority}                                                 AS priority,
    ${education_code}                                           AS education_code,
    ${eux}                                                      AS eux,
    ${application_date}                                         AS application_date,
    ${application_status}                                       AS application_status,
    ${cpr_found_in}                                             AS cpr_found_in
FROM (
    -- Which columns hold a CPR number, for the rare rows the prefilter passes (ingest.cpr_guarded).
    SELECT *, CASE WHEN cpr_in_row THEN ${cpr_hits} END AS cpr_hits
    FROM (
        SELECT *,
               regexp_full_match(trim(${cpr}), '(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{2}-?[0-9]{4}') AS cpr_ok,
               coalesce(${cpr_in_row}, FALSE) AS cpr_in_row
        FROM ${extract}
    ) AS file_rows
) AS read_rows;
