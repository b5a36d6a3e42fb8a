-- application_shares: søgetal by year x kommune x grade x education group.
--
-- National definition (Børne- og Undervisningsministeriet): the share of group X is pupils
-- whose 1st priority is X divided by pupils in 9th and 10th grade who leave grundskolen.
--   * 1st priority only;
--   * 'direkte fra skole' only ('uden for skole' applicants are out);
--   * 9th graders applying to 10th grade (TIENDE) are counted but out of the denominator;
--   * 'øvrigt' (work, abroad, ...) stays in the denominator.
-- Two geography bases: where the school is located ('school') and where the pupil lives
-- ('residence'). No national row (kommune_code 0): a sum of the loaded extracts is not the
-- country's figure, so the whole country comes only from published tables
-- (published_application_shares, published_figures); the analysts' sum of what was loaded is the
-- view analyst.application_shares_loaded_sum, named so (schemas/dictionary.py).
-- From 2023 ($series_break, data/reference/series_breaks.csv) 'direkte fra skole' means enrolled at the
-- moment of application: series_version marks the break.
WITH first_choice AS (
    SELECT year, school_kommune, residence_kommune, grade, education_group
    FROM applications
    WHERE priority = 1 AND applicant_group = 'direct' AND year IN (SELECT unnest($years))
),
located AS (
    SELECT year, 'school' AS geography_basis, school_kommune AS kommune_code, grade, education_group FROM first_choice
    UNION ALL
    SELECT year, 'residence' AS geography_basis, residence_kommune AS kommune_code, grade, education_group
    FROM first_choice WHERE residence_kommune IS NOT NULL
),
counted AS (
    SELECT year, geography_basis, kommune_code,
           coalesce(grade::VARCHAR, '9+10') AS grade,
           education_group, count(*)::BIGINT AS applicants
    FROM located
    GROUP BY GROUPING SETS ((year, geography_basis, kommune_code, grade, education_group),
                            (year, geography_basis, kommune_code, education_group))
),
-- Every group appears in every cell, with 0 where nobody applied.
grid AS (
    SELECT DISTINCT c.year, c.geography_basis, c.kommune_code, c.grade, g."group" AS education_group,
           g.in_denominator, g.sort_order
    FROM counted AS c CROSS JOIN education_groups AS g
),
filled AS (
    SELECT grid.*, coalesce(counted.applicants, 0) AS applicants
    FROM grid LEFT JOIN counted USING (year, geography_basis, kommune_code, grade, education_group)
)
SELECT
    f.year,
    CASE WHEN f.year >= $series_break THEN 'from_' ELSE 'before_' END || $series_break::VARCHAR AS series_version,
    kommune_code,
    k.kommune_name,
    f.geography_basis,
    'leavers_excl_10th_grade_applicants'                           AS denominator_definition,
    f.grade,
    f.education_group,
    f.applicants,
    (sum(f.applicants) FILTER (WHERE f.in_denominator) OVER cell)::BIGINT AS denominator,
    CASE WHEN f.in_denominator
         THEN 100.0 * f.applicants / nullif(sum(f.applicants) FILTER (WHERE f.in_denominator) OVER cell, 0)
    END                                                            AS share_pct
FROM filled AS f
LEFT JOIN kommuner AS k USING (kommune_code)
WINDOW cell AS (PARTITION BY f.year, f.geography_basis, kommune_code, f.grade)
ORDER BY f.year, f.geography_basis, kommune_code, f.grade, f.sort_order
