-- Each (row, rule) of the rules query (slot found) that fails, held back with file, line and the staged raw value
-- (slot raw_value); a withheld column's value as its placeholder.
-- RF04 is left out where a column is named as the quarantine table names it (value).
INSERT INTO quarantine (dataset, year, source_file, source_line, row_id, column_name, value, rule, message, run_id)
SELECT 'applications' AS dataset, s.file_year AS year, s.source_file, s.source_line, f.row_id, f.column_name,
       CASE WHEN list_contains($withheld_columns, f.column_name)
            THEN $withheld_values[list_position($withheld_columns, f.column_name)]
            ELSE ${raw_value} END AS value, f.rule, f.message, $run_id AS run_id  -- noqa: RF04
FROM (SELECT DISTINCT * FROM (${found})) AS f INNER JOIN staging_applications AS s USING (row_id)
ORDER BY s.source_file, s.source_line
