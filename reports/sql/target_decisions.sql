-- Each måltal decision of the kommune ($k) with its years and values (Danish decimal comma,
-- '(interpoleret)' and '(erstattet)' marked), and whether a later decision replaced it everywhere.
-- RF04 is left out where a column keeps the table's own name (source).
WITH t AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY target_year, target_group
            ORDER BY decided_year DESC NULLS LAST, decided_on DESC NULLS LAST
        ) = 1 AS in_force
    FROM targets WHERE kommune_code = $k
)

SELECT
    decided_year,
    strftime(decided_on, '%Y-%m-%d') AS decided_on,
    decided_by,
    target_group,
    string_agg(
        target_year || ': '
        || CASE
            WHEN target_pct = round(target_pct) THEN cast(cast(target_pct AS INTEGER) AS VARCHAR)
            WHEN target_pct = round(target_pct, 1) THEN replace(cast(round(target_pct, 1) AS VARCHAR), '.', ',')
            ELSE replace(cast(round(target_pct, 2) AS VARCHAR), '.', ',')
        END || ' %'
        || CASE value_basis WHEN 'interpolated' THEN ' (interpoleret)' ELSE '' END
        || CASE WHEN in_force THEN '' ELSE ' (erstattet)' END,
        '; ' ORDER BY target_year
    ) AS targets,
    bool_and(NOT in_force) AS replaced,
    string_agg(DISTINCT source, '; ' ORDER BY source) AS source  -- noqa: RF04
FROM t
GROUP BY ALL
ORDER BY target_group, decided_year, decided_on
