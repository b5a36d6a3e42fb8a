-- A row with a CPR number in another column (withheld at staging) held back, naming the column,
-- never the value.
-- RF04 is left out where a column is named as the quarantine table names it (value, rule).
INSERT INTO quarantine (dataset, year, source_file, source_line, row_id, column_name, value, rule, message, run_id)
SELECT 'applications' AS dataset, file_year AS year, source_file, source_line, row_id,
       unnest(string_split(cpr_found_in, ',')) AS column_name,
       NULL AS value, 'cpr_in_wrong_column' AS rule,  -- noqa: RF04
       $message AS message, $run_id AS run_id
FROM typed_rows WHERE cpr_found_in IS NOT NULL
ORDER BY source_file, source_line
