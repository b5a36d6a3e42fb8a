-- The kommuner's applicants by grade and education group, with the måltal group and whether it
-- counts in the denominator (slot cond: which kommuner and years).
SELECT s.kommune_code, s.year, s.grade, s.education_group, g.target_group, g.in_denominator, s.applicants
FROM application_shares AS s INNER JOIN education_groups AS g ON s.education_group = g."group"
WHERE s.geography_basis = 'school' AND ${cond}
