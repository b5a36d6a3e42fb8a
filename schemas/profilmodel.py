"""Rules for profilmodel results (the ministry's projection of a 9th-grade cohort's education).

A projection is one of the three kinds of completion number: it is stored with its vintage
(back-series are recomputed every year) and never drawn on an axis with observed status.
"""

from __future__ import annotations

import pandera.pandas as pa

from schemas.reference import area_column, percentage_column, source_columns

profilmodel_schema = pa.DataFrameSchema(
    {
        "vintage": pa.Column(
            str,
            pa.Check.str_length(
                min_value=1,
                name="vintage_given",
                error="the profilmodel's vintage (e.g. 2023) must be given in a column or the description file",
            ),
            description="Which year's profilmodel the projection comes from.",
        ),
        "kommune_code": area_column("Kommune of residence in 9th grade; 0 = Hele landet."),
        "cohort": pa.Column(
            "Int64",
            pa.Check.in_range(
                1990, 2100, name="plausible_cohort", error="cohort (the year the pupils left 9th grade) must be a year"
            ),
            nullable=False,
            description="Year the cohort left 9th grade.",
        ),
        "horizon_years": pa.Column(
            "Int64",
            pa.Check.in_range(1, 30, name="plausible_horizon", error="horizon must be 1 to 30 years after 9th grade"),
            nullable=False,
            description="Years after 9th grade the projection is for (e.g. 25).",
        ),
        "projected_pct": percentage_column("Projected share with a completed youth education, percent."),
        **source_columns(),
    },
    name="profilmodel_projections",
    strict=True,
    coerce=True,
    description="Profilmodel: projected share of a 9th-grade cohort with a youth education (projection, not observed).",
)
