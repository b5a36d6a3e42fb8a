-- Every exact copy of an earlier row of the same year (slot cols: every staged column) held back as
-- duplicate_row: candidates by a hash of the row, then compared column by column.
-- RF04 is left out where a column is named as the quarantine table names it (value, rule).
INSERT INTO quarantine (dataset, year, source_file, source_line, row_id, column_name, value, rule, message, run_id)
WITH hashed AS (SELECT row_id, file_year, hash(${cols}) AS h FROM staging_applications
                WHERE file_year IN (SELECT unnest($years))
),
     candidates AS (SELECT o.row_id FROM hashed AS o WHERE (o.file_year, o.h) IN (
                    SELECT (d.file_year, d.h) FROM hashed AS d GROUP BY ALL HAVING count(*) > 1)
),
     copies AS (SELECT row_id, file_year, source_file, source_line,
                       row_number() OVER w AS copy_number,
                       first(source_file || ' line ' || source_line) OVER w AS original
                FROM staging_applications WHERE row_id IN (SELECT c.row_id FROM candidates AS c)
                WINDOW w AS (PARTITION BY file_year, ${cols} ORDER BY row_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
SELECT 'applications' AS dataset, file_year AS year, source_file, source_line, row_id, NULL AS column_name,
       NULL AS value, 'duplicate_row' AS rule,  -- noqa: RF04
       'an exact copy of ' || original
       || ' (every field the same); the first copy is loaded, this one is not' AS message,
       $run AS run_id
FROM copies WHERE copy_number > 1 ORDER BY source_file, source_line
