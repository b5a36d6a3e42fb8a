"""Rules for youth-education status counts from Danmarks Statistik (uddannelsesstatus)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandera.pandas as pa

if TYPE_CHECKING:
    import pandas as pd

STATUSES = ["completed", "in_progress", "dropped_out", "no_registered_education"]


def _parts_add_up(df: pd.DataFrame) -> pd.Series:
    parts = df[STATUSES].sum(axis=1)
    return (parts - df["total"]).abs() < 0.5


completion_wide_schema = pa.DataFrameSchema(
    {
        "year": pa.Column(int, pa.Check.in_range(2000, 2100), description="Year of the status."),
        "kommune_code": pa.Column(
            "Int64", nullable=False, description="Kommune (0 = Hele landet), by the location of the grundskole."
        ),
        "total": pa.Column(float, pa.Check.ge(0), description="All persons in the age group."),
        **{s: pa.Column(float, pa.Check.ge(0)) for s in STATUSES},
    },
    checks=[pa.Check(_parts_add_up, name="statuses_add_up", error="the four statuses must add up to the total")],
    name="completion_status_file",
    strict=False,
)

completion_status_schema = pa.DataFrameSchema(
    {
        "table_code": pa.Column(str, description="StatBank table the figures come from (e.g. STATUSU6)."),
        "year": pa.Column(int, description="Year of the status."),
        "kommune_code": pa.Column(int, description="Kommune (0 = Hele landet)."),
        "area_name": pa.Column(str, description="Area as named by StatBank."),
        "age_group": pa.Column(str, description="Age group counted, e.g. 18-25."),
        "geography_basis": pa.Column(str, description="grundskole_location: where the person went to grundskole."),
        "status": pa.Column(
            str,
            pa.Check.isin(["total", *STATUSES]),
            description="total, completed (fuldført), in_progress (i gang), dropped_out (afbrudt), no_registered_education (ingen registreret uddannelse).",
        ),
        "persons": pa.Column(int, pa.Check.ge(0), description="Number of persons."),
        "share_pct": pa.Column(float, nullable=True, description="Share of the total, percent."),
        "source_file": pa.Column(str, description="The downloaded file."),
    },
    name="completion_status",
    strict=True,
    coerce=True,
)
