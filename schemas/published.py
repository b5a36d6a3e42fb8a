"""Rules for published søgetal tables (offentliggjorte søgetal) loaded from CSV or Excel.

A published table says, as data, which denominator and which geography basis it uses: the
same share means different things under different definitions (see the domain brief).
"""

from __future__ import annotations

from datetime import date

import pandera.pandas as pa

from schemas.reference import area_column, column_map, percentage_column, source_columns

# Denominators seen in published tables. The first is the ministry's definition, the one
# Overgang computes from extracts (application_shares.denominator_definition).
DENOMINATORS = {
    "leavers_excl_10th_grade_applicants": "9th and 10th graders leaving grundskolen, without 10th-grade applicants (ministry)",
    "youth_education_applicants": "only pupils applying to a youth education",
    "all_applicants": "all applicants including 10th-grade applicants",
}
GEOGRAPHY = ["school", "residence"]


def published_groups() -> list[str]:
    """The groups a published table may give, as listed under `published_groups` in
    data/config/column_map.yaml. OEVRIGE: a three-way table's other group (FGU, STU and the
    rest); OEVRIGT: the rest beside FGU and STU."""
    return list(column_map()["published_groups"])


FIGURE_KEY = ["year", "kommune_code", "grade", "education_group", "denominator_definition", "geography_basis"]
# A publication is a file: the same figure from two files is two publications, both kept.
PUBLICATION_KEY = [*FIGURE_KEY, "source_file"]


def this_year() -> int:
    """The calendar year: a figure for a later year is held back. An input of the table like its
    files (intake/sources/fingerprint.py): the same file read in a new year passes."""
    return date.today().year


def published_application_shares_schema() -> pa.DataFrameSchema:
    this_year_ = this_year()
    return pa.DataFrameSchema(
        {
            "year": pa.Column(
                "Int64",
                [
                    pa.Check.ge(2000, name="plausible_year", error="year must be 2000 or later"),
                    pa.Check.le(
                        this_year_, name="not_future_year", error=f"year lies in the future (after {this_year_})"
                    ),
                ],
                nullable=False,
                description="Application year of the figures.",
            ),
            "kommune_code": area_column("Kommune; 0 = Hele landet."),
            "grade": pa.Column(
                str,
                pa.Check.isin(["9", "10", "9+10"], name="known_grade", error="grade must be 9, 10 or both (9+10)"),
                description="'9', '10' or '9+10'.",
            ),
            "education_group": pa.Column(
                str,
                pa.Check.isin(
                    published_groups(),
                    name="known_group",
                    error="group must be one listed under published_groups in data/config/column_map.yaml",
                ),
                description="EUD, GYM, FGU, STU, OEVRIGT (work, abroad, ...) or OEVRIGE (a three-way table's other group: FGU, STU and the rest), as the table groups them.",
            ),
            "applicants": pa.Column(
                "Int64",
                pa.Check.ge(0, name="non_negative", error="a count cannot be negative"),
                nullable=True,
                description="Count, where the table gives counts.",
            ),
            "share_pct": percentage_column(
                "Share in percent as published (rounded), where the table gives shares.", nullable=True
            ),
            "suppressed_as": pa.Column(
                str,
                nullable=True,
                description=(
                    "The publisher's small-cell mark ('<5', 'x') where the table blanks the figure; the count and share "
                    "are then missing, as published."
                ),
            ),
            "group_sum_pct": pa.Column(
                float,
                nullable=True,
                description=(
                    "Sum of the published shares of this area, year and grade: about 100 in a complete table; "
                    "further off only where the table is described as rounded (kept, with this sum as the flag)."
                ),
            ),
            "denominator_definition": pa.Column(
                str,
                pa.Check.isin(
                    list(DENOMINATORS),
                    name="known_denominator",
                    error=f"denominator must be one of {', '.join(DENOMINATORS)}",
                ),
                description="What the share is a share of: "
                + "; ".join(f"{k} = {v}" for k, v in DENOMINATORS.items())
                + ".",
            ),
            "geography_basis": pa.Column(
                str,
                pa.Check.isin(GEOGRAPHY, name="known_geography", error="geography_basis must be school or residence"),
                description="school = pupils of schools in the kommune; residence = pupils living there.",
            ),
            **source_columns(),
            "source": pa.Column(
                str, nullable=True, description="Where the table was published (from its description file)."
            ),
            "published_on": pa.Column(
                "datetime64[ns]",
                nullable=True,
                description="When the table was published (`published: 2024-06-01` in its description), where known.",
            ),
            "current": pa.Column(
                bool,
                description=(
                    "True for the figure reports use. Two publications of the same figure are both kept; the later "
                    "one is current: by published date where both have one, else the one loaded later."
                ),
            ),
        },
        checks=[
            pa.Check(
                lambda df: df["applicants"].notna() | df["share_pct"].notna() | df["suppressed_as"].notna(),
                name="has_value",
                error="the row has neither a count nor a percentage nor a small-cell mark",
            ),
            pa.Check(
                lambda df: ~df.duplicated(PUBLICATION_KEY, keep=False),
                name="one_row_per_figure",
                error="the same area, year, grade and group appear twice in the table",
            ),
        ],
        name="published_application_shares",
        strict=True,
        coerce=True,
        description="Søgetal as published by a kommune or the ministry (not computed by Overgang), with their denominator and geography.",
    )
