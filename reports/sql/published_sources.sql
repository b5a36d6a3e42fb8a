-- Every published søgetal table loaded for the kommune ($k) and the national ones, up to the
-- report year ($y): its source, date and years, and whether its figures are current.
-- RF04 is left out where a column keeps the table's own name (source, current).
SELECT
    source_file,
    min(source) AS source,  -- noqa: RF04
    strftime(max(published_on), '%Y-%m-%d') AS published_on,
    min(year) AS first_year,
    max(year) AS last_year,
    bool_and(current) AS current,  -- noqa: RF04
    bool_or(current) AS partly_current
FROM published_application_shares
WHERE kommune_code IN ($k, 0) AND year <= $y
GROUP BY source_file
ORDER BY min(source_line) IS NULL, source_file
