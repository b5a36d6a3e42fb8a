-- The kommuner's applicants by sex and måltal group (slot cond: which kommuner and years).
SELECT s.kommune_code, s.year, s.sex, g.target_group, sum(s.applicants)::BIGINT AS applicants
FROM application_shares_by_sex AS s INNER JOIN education_groups AS g ON s.education_group = g."group"
WHERE g.in_denominator AND ${cond} GROUP BY ALL
