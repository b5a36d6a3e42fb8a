"""Rules for profilmodel results (the ministry's projection of a 9th-grade cohort's education).

A projection is one of the three kinds of completion number: it is stored with its vintage
(back-series are recomputed every year) and never drawn on an axis with observed status.
"""

from __future__ import annotations

import pandera.pandas as pa

from schemas.reference import kommune_codes

profilmodel_schema = pa.DataFrameSchema(
    {
        "vintage": pa.Column(str, pa.Check.str_length(min_value=1, name="vintage_given",
                             error="the profilmodel's vintage (e.g. 2023) must be given in a column or the description file"),
                             description="Which year's profilmodel the projection comes from."),
        "kommune_code": pa.Column("Int64", pa.Check.isin([0, *kommune_codes()], name="known_area",
                                  error="area is not one of the 98 municipalities or the whole country"),
                                  nullable=False, description="Kommune of residence in 9th grade; 0 = Hele landet."),
        "cohort": pa.Column("Int64", pa.Check.in_range(1990, 2100, name="plausible_cohort",
                            error="cohort (the year the pupils left 9th grade) must be a year"),
                            nullable=False, description="Year the cohort left 9th grade."),
        "horizon_years": pa.Column("Int64", pa.Check.in_range(1, 30, name="plausible_horizon",
                                   error="horizon must be 1 to 30 years after 9th grade"),
                                   nullable=False, description="Years after 9th grade the projection is for (e.g. 25)."),
        "projected_pct": pa.Column(float, pa.Check.in_range(0, 100, name="percentage_range",
                                   error="a percentage must be between 0 and 100"),
                                   nullable=False, description="Projected share with a completed youth education, percent."),
        "source_file": pa.Column(str, description="The file the figures were loaded from."),
        "source_line": pa.Column(int, description="Line (CSV) or row (Excel) in that file."),
    },
    name="profilmodel_projections", strict=True, coerce=True,
    description="Profilmodel: projected share of a 9th-grade cohort with a youth education (projection, not observed).",
)
