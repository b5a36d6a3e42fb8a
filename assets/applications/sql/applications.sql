-- applications: validated application rows (søgninger), one per pupil, year and priority,
-- for the years in $years (the run's partitions).
-- Which run loaded each year is in year_loads (one row a year, not a value on every row: at
-- 10 M rows, per-row constants cost seconds to write). Rows in quarantine are left out;
-- `applicant_group` is 'direct' (direkte fra skole) or 'outside' (uden for skole), from the
-- spellings in data/config/column_map.yaml.
SELECT
    t.year,
    t.pupil_id,
    t.sex,
    t.school_institution_number,
    t.school_name,
    t.school_kommune,
    t.residence_kommune,
    t.grade,
    m.applicant_group,
    t.priority,
    t.education_code,
    c."group"                       AS education_group,
    t.eux = 'J'                     AS eux,
    t.application_date,
    t.application_status,
    t.source_file,
    t.source_line
FROM (${typed}) AS t
INNER JOIN applicant_types AS m ON t.applicant_type = m.applicant_type
INNER JOIN education_codes AS c ON t.education_code = c.code
WHERE t.file_year IN (SELECT unnest($years))
  AND t.row_id NOT IN (SELECT q.row_id FROM quarantine AS q WHERE q.row_id IS NOT NULL)
