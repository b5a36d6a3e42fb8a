-- Every row a year's cubes are made from (reports/cells.py: load_published reads a subset of
-- these), one JSON value per row so that no value can run into the next; a digest per year.
WITH r AS (
    SELECT
        year,
        to_json({t: 'g', k: kommune_code, b: geography_basis, d: grade, g: education_group, n: applicants}) AS r
    FROM application_shares WHERE kommune_code <> 0
    UNION ALL
    SELECT
        year,
        to_json({t: 's', k: kommune_code, b: geography_basis, d: sex, g: education_group, n: applicants}) AS r
    FROM application_shares_by_sex WHERE kommune_code <> 0
    UNION ALL
    SELECT
        year,
        to_json({
            t: 'c', k: kommune_code, d: school_institution_number, m: school_name, g: education_group, n: applicants
        }) AS r
    FROM school_application_shares WHERE kommune_code <> 0
)

SELECT
    year,
    sha256(string_agg(r::VARCHAR, chr(10) ORDER BY r::VARCHAR)) AS digest
FROM r GROUP BY year
