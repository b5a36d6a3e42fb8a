"""The hand-written publication sets of the national job's tests (assets/national/): two tenants,
each with a home that holds only a publication set, and the cells written by hand (the expected
answers are worked out beside them)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from assets.national import combine
from assets.warehouse.publication import write_cells
from overgang.tenants import TENANTS_ENV, load_tenants
from reports.cells import read_scheme_file

SCHEME = read_scheme_file()
HT, AARHUS = 169, 751  # Høje-Taastrup and Aarhus (data/reference/kommuner.csv)


def groups_rows(code: int, name: str, year: int, cells: dict[str, tuple[int, str | None]]) -> list[dict]:
    """The 'groups' rows of one kommune and year: group -> (count, mark); a marked count is not
    published (NULL), as in a real set."""
    n = cells["n"][0]
    rows = []
    for group, (count, mark) in cells.items():
        shown = mark is None
        rows.append(
            {
                "kommune_code": code,
                "kommune_name": name,
                "year": year,
                "part": "groups",
                "row_key": None,
                "row_name": None,
                "education_group": group,
                "applicants": count if shown else None,
                "share_pct": round(100.0 * count / n, 1) if shown and group not in ("n", "TIENDE") else None,
                "mark": mark,
            }
        )
    return rows


# Høje-Taastrup 2024 as its own set publishes it. FGU (3) is '<5', STU (6) hidden with 'x'. A
# reader knows FGU + STU = n - EUD - GYM - OEVRIGT = 99 - 30 - 50 - 10 = 9, so STU = 9 - FGU lies
# in 5-9 and FGU in 0-4: four or more values each, protected.
HT_2024 = {
    "EUD": (30, None),
    "GYM": (50, None),
    "FGU": (3, "<5"),
    "STU": (6, "x"),
    "OEVRIGT": (10, None),
    "OEVRIGE": (19, None),
    "n": (99, None),
    "TIENDE": (12, None),
}
# Aarhus 2024: every cell shown. EUD 40 of 160 leavers.
AARHUS_2024 = {
    "EUD": (40, None),
    "GYM": (90, None),
    "FGU": (10, None),
    "STU": (6, None),
    "OEVRIGT": (14, None),
    "OEVRIGE": (30, None),
    "n": (160, None),
    "TIENDE": (20, None),
}


def frame(*parts: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame([row for part in parts for row in part], columns=combine.COLUMNS)
    out["applicants"] = out["applicants"].astype("Int64")
    out["share_pct"] = out["share_pct"].astype("Float64")
    return out


@pytest.fixture
def tenants(tmp_path, monkeypatch):
    """Two tenants, each with a home holding only a publication set (no warehouse at all: the
    national job must not need one)."""
    file = tmp_path / "tenants.yaml"
    file.write_text(
        yaml.safe_dump(
            {
                "tenants": [
                    {"name": "ht", "kommuner": [HT], "home": str(tmp_path / "ht"), "cpr_key_env": "KEY_HT"},
                    {"name": "aarhus", "kommuner": [AARHUS], "home": str(tmp_path / "aarhus"), "cpr_key_env": "KEY_A"},
                ]
            }
        )
    )
    monkeypatch.setenv(TENANTS_ENV, str(file))
    return load_tenants(file)


def publish(tenant, cells: pd.DataFrame, synthetic: bool = False) -> None:
    write_cells(cells, SCHEME, tenant.home / "publication", "v1.0.0", "run-" + tenant.name, synthetic)


def publish_2024(tenants) -> None:
    """Both tenants' hand-written 2024 sets, each with its own kommune only: the start of most cases."""
    publish(tenants["ht"], frame(groups_rows(HT, "Høje-Taastrup", 2024, HT_2024)))
    publish(tenants["aarhus"], frame(groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024)))
