-- The kommuner's applicants by school and måltal group (slot cond: which kommuner and years).
SELECT s.kommune_code, s.year, s.school_institution_number, min(s.school_name) AS school_name, g.target_group,
       sum(s.applicants)::BIGINT AS applicants
FROM school_application_shares AS s INNER JOIN education_groups AS g ON s.education_group = g."group"
WHERE g.in_denominator AND ${cond} GROUP BY ALL
