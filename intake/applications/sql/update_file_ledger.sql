-- The row ledger of the files of $years, after validation: valid, quarantined and duplicate rows,
-- and the quarantined rows by rule (JSON).
UPDATE file_ledger AS l SET
    duplicate_rows = coalesce(q.duplicates, 0),
    quarantined_rows = coalesce(q.quarantined, 0),
    valid_rows = coalesce(a.valid_rows, 0),
    quarantined_by_rule = coalesce(r.by_rule, '{}')
FROM (SELECT f.source_file FROM file_ledger AS f WHERE f.file_year IN (SELECT unnest($years))) AS k
LEFT JOIN (SELECT source_file,
                  count(DISTINCT row_id) FILTER (WHERE rule = 'duplicate_row') AS duplicates,
                  count(DISTINCT row_id) FILTER (WHERE rule <> 'duplicate_row' AND row_id IS NOT NULL) AS quarantined
           FROM quarantine WHERE dataset = 'applications' AND year IN (SELECT unnest($years))
           GROUP BY source_file) AS q USING (source_file)
LEFT JOIN (SELECT source_file, to_json(map(list(rule ORDER BY rule), list(n ORDER BY rule)))::VARCHAR AS by_rule
           FROM (SELECT source_file, rule, count(DISTINCT coalesce(row_id, -source_line)) AS n FROM quarantine
                 WHERE dataset = 'applications' AND year IN (SELECT unnest($years)) GROUP BY ALL) AS per_rule
           GROUP BY source_file) AS r USING (source_file)
LEFT JOIN (SELECT source_file, count(*) AS valid_rows FROM applications
           WHERE year IN (SELECT unnest($years)) GROUP BY source_file) AS a USING (source_file)
WHERE l.source_file = k.source_file
