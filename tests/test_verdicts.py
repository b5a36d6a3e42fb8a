"""The one verdict rule (reports/verdicts.py), case by case, with each case's Danish wording and
its interval derived here by hand (numpy's matrix algebra and scipy's t), not by the code under test:

- a year's figure decides "Nået"/"Ikke nået" for that year (søgetal are a census);
- a goal with a deadline is judged on the deadline year's figure once it has come, later figures
  never; a missing deadline figure is said;
- before the deadline: a projection of one series (never across a break), of at least 4 points,
  with a 95 % prediction interval: "På vej" only if its lower end reaches the goal, "Ikke på vej"
  only if its upper end stays below, else "Usikkert"; fewer points "For tidligt at vurdere".
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from reports.verdicts import T975, Point, judge, project


def _by_hand(points: list[tuple[int, float, int | None]], deadline: int) -> tuple[float, float, float]:
    """The documented model in matrix form: WLS of the empirical logit on (1, year), weights the
    inverse binomial variance, dispersion at least 1, Student's t with k-2 df; percent at deadline."""
    years = np.array([p[0] for p in points], float)
    X = np.column_stack([np.ones_like(years), years])
    if points[0][2] is None:
        share = np.array([p[1] for p in points]) / 100
        z, w = np.log(share / (1 - share)), np.ones(len(points))
    else:
        n = np.array([p[2] for p in points], float)
        y = np.array([p[1] for p in points]) / 100 * n
        z = np.log((y + 0.5) / (n - y + 0.5))
        w = (y + 0.5) * (n - y + 0.5) / (n + 1)
    W = np.diag(w)
    cov = np.linalg.inv(X.T @ W @ X)
    beta = cov @ X.T @ W @ z
    r = z - X @ beta
    s2 = float(r @ W @ r) / (len(points) - 2)
    if points[0][2] is not None:
        s2 = max(s2, 1.0)
    x0 = np.array([1.0, deadline])
    fit = float(x0 @ beta)
    p0 = 1 / (1 + np.exp(-fit))
    w0 = points[-1][2] * p0 * (1 - p0) if points[0][2] is not None else 1.0
    se = np.sqrt(s2 * (1 / w0 + x0 @ cov @ x0))
    q = stats.t.ppf(0.975, len(points) - 2)

    def pct(v):
        return float(100 / (1 + np.exp(-v)))

    return pct(fit), pct(fit - q * se), pct(fit + q * se)


def _verdict(target, year, points, deadline=None, breaks=(), national=None, or_national=False):
    pts = [Point(y, s, n) for y, s, n in points]
    values = {p.year: p.share for p in pts}
    return judge(
        target, year, values, deadline=deadline, points=pts, breaks=breaks, national=national, or_national=or_national
    )


RISING_LARGE = [(2016, 20.0, 4000), (2017, 22.0, 4000), (2018, 24.1, 4000), (2019, 26.0, 4000), (2020, 28.1, 4000)]
RISING_SMALL = [(y, s, 64) for y, s, _ in RISING_LARGE]
FLAT_LOW_LARGE = [(2016, 15.0, 4000), (2017, 15.4, 4000), (2018, 14.8, 4000), (2019, 15.2, 4000), (2020, 15.1, 4000)]

CASES = [
    # (case, target, report year, points (year, share, n), deadline, breaks, expected wording)
    ("no deadline, the year's figure reaches it", 24, 2022, [(2022, 24.0, 300)], None, (), "Nået"),
    ("no deadline, the year's figure below", 24, 2022, [(2021, 30.0, 300), (2022, 23.9, 300)], None, (), "Ikke nået"),
    # Esbjerg 2022: the 2020 goal judged on 2020 (20,3 %), not on 2022's 25,0 %.
    (
        "deadline passed: judged at the deadline, later figure ignored",
        25,
        2022,
        [(2019, 22.0, 64), (2020, 20.3, 64), (2021, 24.0, 64), (2022, 25.0, 64)],
        2020,
        (2023,),
        "Ikke nået i 2020 (20,3 %)",
    ),
    (
        "deadline passed and met at the deadline, later fall ignored",
        25,
        2024,
        [(2020, 25.4, 500), (2023, 10.0, 500), (2024, 11.0, 500)],
        2020,
        (2023,),
        "Nået i 2020 (25,4 %)",
    ),
    (
        "deadline is the report year",
        25,
        2020,
        [(2019, 30.0, 80), (2020, 24.9, 80)],
        2020,
        (),
        "Ikke nået i 2020 (24,9 %)",
    ),
    (
        "deadline passed, its figure missing",
        25,
        2022,
        [(2019, 26.0, 64), (2021, 27.0, 64), (2022, 28.0, 64)],
        2020,
        (),
        "Ikke afgjort: ingen tal for 2020",
    ),
    (
        "points across the break: only 2023-2024 form a series",
        30,
        2024,
        [
            (2019, 20.0, 400),
            (2020, 21.0, 400),
            (2021, 22.0, 400),
            (2022, 23.0, 400),
            (2023, 16.1, 400),
            (2024, 23.7, 400),
        ],
        2025,
        (2023,),
        "For tidligt at vurdere",
    ),
    ("three points are too few, whatever n", 30, 2019, RISING_LARGE[1:4], 2025, (), "For tidligt at vurdere"),
    ("large n, steady rise: the whole interval reaches the goal", 28.5, 2020, RISING_LARGE, 2022, (), "På vej"),
    ("small n (64), same shares: the interval straddles the goal", 28.5, 2020, RISING_SMALL, 2022, (), "Usikkert"),
    ("large n, flat well below: the whole interval stays under", 30, 2020, FLAT_LOW_LARGE, 2025, (), "Ikke på vej"),
    ("reached before the deadline", 25, 2019, [(2019, 25.5, 200)], 2020, (), "Nået i 2019"),
    # The national 90 % goal: two published figures (2013, 2023) are no trend.
    ("national goal on two published points", 90, 2024, [(2013, 75.0, None), (2023, 84.0, None)], 2030, (), None),
]


@pytest.mark.parametrize(("case", "target", "year", "points", "deadline", "breaks", "wording"), CASES)
def test_verdict_table(case, target, year, points, deadline, breaks, wording):
    if wording is None:  # the national case: the newest figure stands for the report year
        v = judge(
            target, 2023, {y: s for y, s, _ in points}, deadline=deadline, points=[Point(y, s) for y, s, _ in points]
        )
        assert v.text() == "For tidligt at vurdere", case
        return
    v = _verdict(target, year, points, deadline, breaks)
    assert v.text() == wording, case
    if deadline is not None and year >= deadline:
        assert v.year == deadline and v.projection is None, case
    if v.projection is not None:
        assert len(v.projection.years) >= 4, case


@pytest.mark.parametrize(
    ("points", "deadline", "target", "wording"),
    [
        (RISING_LARGE, 2022, 28, "På vej"),
        (RISING_SMALL, 2022, 28, "Usikkert"),
        (FLAT_LOW_LARGE, 2025, 30, "Ikke på vej"),
    ],
)
def test_projection_interval_matches_the_model_by_hand(points, deadline, target, wording):
    centre, low, high = _by_hand(points, deadline)
    p = project([Point(*q) for q in points], deadline)
    assert p is not None and p.deadline == deadline
    assert (p.centre, p.low, p.high) == pytest.approx((centre, low, high), abs=0.02)  # t table to 3 decimals
    # The wording follows from the hand-derived interval alone.
    expected = "På vej" if low >= target else "Ikke på vej" if high < target else "Usikkert"
    assert expected == wording
    # The band ends at the deadline on the same numbers.
    assert p.band[-1][0] == deadline and p.band[-1][1:] == (p.centre, p.low, p.high)


def test_small_n_widens_the_interval():
    large, small = project([Point(*q) for q in RISING_LARGE], 2022), project([Point(*q) for q in RISING_SMALL], 2022)
    assert (small.high - small.low) > 3 * (large.high - large.low)


def test_a_projection_never_uses_points_before_a_break():
    points = [Point(y, 20.0 + y - 2018, 500) for y in range(2018, 2027)]
    p = project(points, 2030, breaks=(2023,))
    assert p.years == (2023, 2024, 2025, 2026)
    assert project(points[:-1], 2030, breaks=(2023,)) is None  # 2023-2025: three points


def test_t_table_is_students_t():
    assert [round(float(stats.t.ppf(0.975, df)), 3) for df in range(1, 31)] == list(T975)
