-- school_application_shares: søgetal per school (skole), 9th and 10th grade together.
-- Same definition as application_shares (1st priority, 'direkte fra skole', 10th-grade
-- applicants out of the denominator). Not suppressed here: the warehouse is for the
-- municipality's analysts; the report blanks small cells before publishing.
WITH first_choice AS (
    SELECT year, school_kommune AS kommune_code, school_institution_number, school_name, education_group
    FROM applications
    WHERE priority = 1 AND applicant_group = 'direct' AND school_institution_number IS NOT NULL
      AND year IN (SELECT unnest($years))
),
counted AS (
    SELECT year, kommune_code, school_institution_number, education_group, count(*)::BIGINT AS applicants
    FROM first_choice GROUP BY ALL
),
schools AS (
    -- A school keeps one name per year (the most frequent spelling in the extract).
    SELECT year, kommune_code, school_institution_number, mode(school_name) AS school_name
    FROM first_choice GROUP BY ALL
),
grid AS (
    SELECT s.*, g."group" AS education_group, g.in_denominator, g.sort_order
    FROM schools AS s CROSS JOIN education_groups AS g
)
SELECT
    grid.year,
    CASE WHEN grid.year >= $series_break THEN 'from_' ELSE 'before_' END || $series_break::VARCHAR AS series_version,
    grid.kommune_code,
    grid.school_institution_number,
    grid.school_name,
    'leavers_excl_10th_grade_applicants' AS denominator_definition,
    grid.education_group,
    coalesce(c.applicants, 0) AS applicants,
    (sum(coalesce(c.applicants, 0)) FILTER (WHERE grid.in_denominator) OVER school)::BIGINT AS denominator,
    CASE WHEN grid.in_denominator
         THEN 100.0 * coalesce(c.applicants, 0)
              / nullif(sum(coalesce(c.applicants, 0)) FILTER (WHERE grid.in_denominator) OVER school, 0)
    END AS share_pct
FROM grid
LEFT JOIN counted AS c USING (year, kommune_code, school_institution_number, education_group)
WINDOW school AS (PARTITION BY grid.year, grid.school_institution_number)
ORDER BY grid.year, grid.kommune_code, grid.school_institution_number, grid.sort_order
