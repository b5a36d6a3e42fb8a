"""The council report's comparison table says, for the kommune and each peer, whether its EUD
share lies over, within or under what chance allows around the national share for its number of
leavers (reports/funnel.py), in the page and in the workbook alike; "–" where there is no
national figure or the share is hidden; the region and Hele landet rows are not judged."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from scipy.stats import binom

from reports.render import SYNTHETIC_MARK, render_report
from tests.test_public_report import _page


def _outside(share: float, n: int, p0: float) -> str:
    """over / within / under by the exact binomial 95 % limits with Spiegelhalter's interpolation."""

    def limit(prob):
        r = binom.ppf(prob, n, p0)
        return 100 * (r - (binom.cdf(r, n, p0) - prob) / binom.pmf(r, n, p0)) / n

    return "Over" if share > limit(0.975) else "Under" if share < limit(0.025) else "Inden for"


@pytest.mark.parametrize(("year", "national"), [(2023, 0.194), (2024, None)])
def test_the_comparison_table_says_what_chance_allows(sample_run, tmp_path, year, national):
    path = render_report(sample_run.settings, 169, year, tmp_path / f"r{year}.html")
    table = _page(path).tables["table-comparison"]
    head, body = table[0], table[1:]
    assert head[-1] == "EUD mod landet"
    eud = head.index("EUD")
    judged = 0
    for row in body:
        verdict = row[-1]
        shown = row[1].replace(".", "").isdigit() and row[eud].endswith(" %")
        if national is None or row[0].startswith(("Region", "Hele landet")) or not shown:
            assert verdict == "–", row
            continue
        share = float(row[eud].replace(" %", "").replace(",", "."))
        assert verdict.startswith(_outside(share, int(row[1].replace(".", "")), national)), row
        judged += 1
    assert judged >= (1 if national else 0)
    book = load_workbook(path.with_suffix(".xlsx"))
    sheet = list(book["Sammenligning"].iter_rows(values_only=True))
    sheet = (
        sheet[1:] if str(sheet[0][0]).startswith(SYNTHETIC_MARK) else sheet
    )  # the sample's workbook says it is synthetic
    assert sheet[0][-1] == "EUD mod landet"
    assert [r[-1] or "–" for r in sheet[1:]] == [r[-1] for r in body]
