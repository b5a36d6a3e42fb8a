-- The current published søgetal of each (kommune, year) of $ks and $ys ($ys NULL: every year), one
-- table's definition per year: the preferred denominator and geography first (slot preferred).
WITH figures AS (
    SELECT *, dense_rank() OVER (PARTITION BY kommune_code, year ORDER BY ${preferred},
                                 denominator_definition, geography_basis) AS pick
    FROM published_application_shares
    WHERE current AND grade = '9+10' AND list_contains($ks, kommune_code::INTEGER)
      AND ($ys IS NULL OR list_contains($ys, year::INTEGER))
)
SELECT kommune_code, year, education_group, share_pct, applicants, suppressed_as, source, source_file,
       strftime(published_on, '%Y-%m-%d') AS published_on, denominator_definition, geography_basis
FROM figures WHERE pick = 1 ORDER BY kommune_code, year, source_line
