"""Which figure is "Hele landet": the one rule, in SQL, read by the report (reports/data.py
national_shares, which rounds it as printed) and by the analysts' view analyst.national_shares
(schemas/dictionary.py), so the warehouse and every surface give the same national share.

A published national table of søgetal (published_application_shares, kommune_code 0, the
ministry's denominator, the current publication) for a year, else the national figures of
data/reference/published_figures.csv for that year; never a sum of the loaded extracts."""

from __future__ import annotations

from schemas.sqltext import SQL

NATIONAL_SHARES = SQL("""
WITH tabled AS (
    SELECT year::INTEGER AS year, education_group, share_pct, 'offentliggjort tabel' AS source
    FROM main.published_application_shares
    WHERE kommune_code = 0 AND grade = '9+10' AND share_pct IS NOT NULL AND current
      AND denominator_definition = 'leavers_excl_10th_grade_applicants'
)
SELECT * FROM tabled
UNION ALL
SELECT year::INTEGER, "group", value, 'offentliggjorte tal' FROM main.published_figures
WHERE scope = 'national' AND measure = 'soegetal_share' AND year::INTEGER NOT IN (SELECT year FROM tabled)""")
