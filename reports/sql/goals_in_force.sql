-- The goals in force for the kommune in the report year ($k, $y): the national ones and its own,
-- the kommune's first, the application goals before the others, undated before dated.
-- AM04 is left out for this query: every column of goals is read by name.
SELECT *  -- noqa: AM04
FROM goals
WHERE
    (scope = 'national' OR kommune_code = $k)
    AND (valid_from_year IS NULL OR valid_from_year <= $y)
    AND (valid_to_year IS NULL OR valid_to_year >= $y)
ORDER BY scope = 'kommune' DESC, indicator_kind = 'application' DESC, deadline_year NULLS FIRST
