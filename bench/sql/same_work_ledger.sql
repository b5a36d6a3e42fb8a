-- The row ledger of every file, after validation: lines = header + blank + staged + rejected +
-- unaccounted, and staged = valid + quarantined + duplicates (as intake/applications/ledger.py).
INSERT INTO file_ledger
WITH held AS (
    SELECT
        source_file,
        count(DISTINCT row_id) FILTER (WHERE rule = 'duplicate_row') AS duplicates,
        count(DISTINCT row_id) FILTER (WHERE rule <> 'duplicate_row' AND row_id IS NOT NULL) AS quarantined
    FROM quarantine
    GROUP BY source_file
),
by_rule_and_file AS (
    SELECT
        source_file,
        rule,
        count(DISTINCT coalesce(row_id, -source_line)) AS n
    FROM quarantine
    GROUP BY ALL
),
by_rule AS (
    SELECT
        source_file,
        to_json(map(list(rule ORDER BY rule), list(n ORDER BY rule)))::VARCHAR AS rules
    FROM by_rule_and_file
    GROUP BY source_file
),
loaded AS (
    SELECT
        source_file,
        count(*) AS n_valid
    FROM applications
    GROUP BY source_file
)
SELECT
    f.source_file,
    f.file_year,
    f.lines,
    1 AS header_lines,
    f.blank_lines,
    f.data_rows AS staged_rows,
    f.rejected_lines,
    f.lines - 1 - f.blank_lines - f.data_rows - f.rejected_lines AS unaccounted_lines,
    f.first_rejected_line,
    coalesce(h.duplicates, 0) AS duplicate_rows,
    coalesce(h.quarantined, 0) AS quarantined_rows,
    coalesce(l.n_valid, 0) AS valid_rows,
    coalesce(r.rules, '{}') AS quarantined_by_rule,
    $run_id AS run_id  -- noqa: RF02 (a parameter, not a column)
FROM ingested_files AS f
LEFT JOIN held AS h ON f.source_file = h.source_file
LEFT JOIN by_rule AS r ON f.source_file = r.source_file
LEFT JOIN loaded AS l ON f.source_file = l.source_file
ORDER BY f.file_year, f.source_file;
