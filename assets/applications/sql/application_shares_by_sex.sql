-- application_shares_by_sex: søgetal for boys (M) and girls (K), 9th and 10th grade together,
-- schools located in the kommune; no national row (see application_shares.sql). Sex comes from the
-- CPR number at ingestion; rows whose CPR could not be read have none and are left out.
WITH first_choice AS (
    SELECT year, school_kommune AS kommune_code, sex, education_group
    FROM applications
    WHERE priority = 1 AND applicant_group = 'direct' AND sex IS NOT NULL AND year IN (SELECT unnest($years))
),
counted AS (
    SELECT year, kommune_code, sex, education_group, count(*)::BIGINT AS applicants FROM first_choice GROUP BY ALL
),
grid AS (
    SELECT DISTINCT c.year, c.kommune_code, c.sex, g."group" AS education_group, g.in_denominator, g.sort_order
    FROM counted AS c CROSS JOIN education_groups AS g
)
SELECT
    grid.year,
    CASE WHEN grid.year >= $series_break THEN 'from_' ELSE 'before_' END || $series_break::VARCHAR AS series_version,
    grid.kommune_code,
    'school' AS geography_basis,
    'leavers_excl_10th_grade_applicants' AS denominator_definition,
    grid.sex,
    grid.education_group,
    coalesce(c.applicants, 0) AS applicants,
    (sum(coalesce(c.applicants, 0)) FILTER (WHERE grid.in_denominator) OVER cell)::BIGINT AS denominator,
    CASE WHEN grid.in_denominator
         THEN 100.0 * coalesce(c.applicants, 0)
              / nullif(sum(coalesce(c.applicants, 0)) FILTER (WHERE grid.in_denominator) OVER cell, 0)
    END AS share_pct
FROM grid
LEFT JOIN counted AS c USING (year, kommune_code, sex, education_group)
WINDOW cell AS (PARTITION BY grid.year, grid.kommune_code, grid.sex)
ORDER BY grid.year, grid.kommune_code, grid.sex, grid.sort_order
