"""The one verdict rule for every goal: what "Nået", "På vej" and a projection may say.

Søgetal are a census: a kommune's share for a year is a fact, so "Nået"/"Ikke nået" for a year is
decided on that year's figure alone, with no interval. A goal with a deadline is judged on its
deadline year's figure once that year has come; later figures are context, never its verdict.

Before the deadline the question is about a propensity, and there chance matters: a projection
rests on one series only (a series break, data/reference/series_breaks.csv, starts a new one),
on at least ``MIN_POINTS`` yearly points of it, and carries a 95 % prediction interval for the
deadline year's figure. "På vej" only when the interval's lower end reaches the goal, "Ikke på
vej" only when its upper end stays below, otherwise "Usikkert".

The model (``MODEL``): a linear trend on the logit scale fitted by weighted least squares. A
point's empirical logit is log((y+½)/(n−y+½)) with weight (y+½)(n−y+½)/(n+1), the inverse of its
binomial variance (y = the share times n, the leavers, both as printed); the residual variance is
estimated and never taken below the binomial one (quasi-binomial dispersion ≥ 1). The interval
adds the variance of a new year's figure (a cohort the size of the last one) to the trend's and
uses Student's t with k−2 degrees of freedom. A published percentage without its count (national
completion figures) gets equal weights and the residual variance alone (ordinary least squares).

Every surface (the report's cards and chart, the workbook, the overview, the run summary) asks
this module, so no two can disagree. Pure functions, no I/O but the wording file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from markupsafe import Markup

from overgang.numbers import da_pct

TEXTS = Path(__file__).resolve().parent / "templates" / "goal_texts.da.yaml"

MIN_POINTS = 4  # fewer yearly points of one series: "For tidligt at vurdere"
LEVEL = 0.95  # the prediction interval's coverage
MODEL = (
    "lineær trend på logit-skala, vægtet mindste kvadraters metode (vægte n·p·(1−p)), "
    "95 %-prædiktionsinterval med Student's t"
)

# Two-sided 95 % quantiles of Student's t, t(0.975; df) for df = 1..30 (any statistics table);
# above 30 the value for 30, which errs on the wide side. numpy has no t distribution, and
# scipy is not a dependency of the report (tests/test_verdicts.py checks the table against scipy).
T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@lru_cache(maxsize=1)
def _texts() -> dict:
    import yaml

    return yaml.safe_load(TEXTS.read_text(encoding="utf-8"))


def say(key: str, **values) -> str:
    """The Danish wording `key` ("section.name") from goal_texts.da.yaml, filled in."""
    section, name = key.split(".")
    return _texts()[section][name].format(**values)


@dataclass(frozen=True)
class Point:
    """One year's figure as printed: the share in percent and, where shown, the number it is of."""

    year: int
    share: float
    n: int | None = None


@dataclass(frozen=True)
class Projection:
    """A trend carried to the deadline, with the 95 % prediction interval of that year's figure."""

    deadline: int
    years: tuple[int, ...]  # the points it rests on: one series, at least MIN_POINTS of them
    centre: float  # percent at the deadline
    low: float
    high: float
    # (year, centre, low, high) from the last point's year to the deadline: the chart's band.
    band: tuple[tuple[int, float, float, float], ...] = ()


@dataclass(frozen=True)
class Verdict:
    key: str  # met, met_national, not_met, met_at, not_met_at, deadline_missing, met_early,
    #           on_track, off_track, uncertain, too_early, none
    year: int | None  # the year whose figure decides it (the deadline once it has come)
    value: float | None  # that year's figure
    deadline: int | None = None
    projection: Projection | None = None

    def text(self, value_text=None) -> str:
        """The verdict in Danish ("Ikke nået i 2020 (20,3 %)"); `value_text` prints the figure
        (the report passes it tied to its protected cell)."""
        raw = _texts()["status"][self.key]
        if isinstance(value_text, Markup):
            return Markup(raw).format(year=self.year, deadline=self.deadline, value=value_text)
        value = value_text if value_text is not None else da_pct(self.value)
        return raw.format(year=self.year, deadline=self.deadline, value=value)

    @property
    def css(self) -> str:
        return CSS.get(self.key, "status-not-met")


CSS = {
    "none": "status-none",
    "deadline_missing": "status-none",
    "too_early": "status-none",
    "uncertain": "status-none",
    "met": "status-met",
    "met_national": "status-met",
    "met_at": "status-met",
    "met_early": "status-met",
    "on_track": "status-on-track",
}


def one_series(points: list[Point], breaks: tuple[int, ...], upto: int | None = None) -> list[Point]:
    """The points of the series the newest one belongs to (up to `upto`): a break year starts a
    new series, so no points from before it are used beside points from it on."""
    pts = sorted((p for p in points if upto is None or p.year <= upto), key=lambda p: p.year)
    if not pts:
        return []
    start = max((b for b in breaks if b <= pts[-1].year), default=None)
    return [p for p in pts if start is None or p.year >= start]


def t975(df: int) -> float:
    return T975[min(df, len(T975)) - 1]


def _expit(x: float) -> float:
    return 100.0 / (1.0 + math.exp(-x))


def project(points: list[Point], deadline: int, breaks: tuple[int, ...] = ()) -> Projection | None:
    """The deadline year's figure, projected from the newest series (see the module's note on the
    model); None with fewer than MIN_POINTS points in it."""
    pts = one_series(points, breaks)
    if len(pts) < MIN_POINTS or deadline <= pts[-1].year:
        return None
    t = np.array([p.year for p in pts], dtype=float)
    weighted = all(p.n for p in pts)
    if weighted:
        n = np.array([p.n for p in pts], dtype=float)
        y = np.array([p.share for p in pts]) / 100.0 * n
        z = np.log((y + 0.5) / (n - y + 0.5))
        w = (y + 0.5) * (n - y + 0.5) / (n + 1.0)
    else:
        share = np.array([p.share for p in pts]) / 100.0
        z = np.log(share / (1.0 - share))
        w = np.ones_like(z)
    tbar = float(np.sum(w * t) / np.sum(w))
    sxx = float(np.sum(w * (t - tbar) ** 2))
    slope = float(np.sum(w * (t - tbar) * z) / sxx)
    intercept = float(np.sum(w * z) / np.sum(w))  # the fit at tbar
    df = len(pts) - 2
    resid = z - (intercept + slope * (t - tbar))
    sigma2 = float(np.sum(w * resid**2) / df)
    if weighted:
        sigma2 = max(sigma2, 1.0)  # never less variable than the binomial
    q = t975(df)

    def at(year: int) -> tuple[int, float, float, float]:
        fit = intercept + slope * (year - tbar)
        p = 1.0 / (1.0 + math.exp(-fit))
        # A new year's figure: a cohort the size of the last one (binomial), or one residual.
        w_new = (pts[-1].n or 0) * p * (1.0 - p) if weighted else 1.0  # weighted: every n is set
        se = math.sqrt(sigma2 * (1.0 / w_new + 1.0 / float(np.sum(w)) + (year - tbar) ** 2 / sxx))
        return year, _expit(fit), _expit(fit - q * se), _expit(fit + q * se)

    band = tuple(at(y) for y in range(pts[-1].year, deadline + 1))
    _, centre, low, high = band[-1]
    return Projection(deadline, tuple(p.year for p in pts), centre, low, high, band)


def judge(
    target: float | None,
    year: int,
    values: Mapping[int, float | None],
    *,
    deadline: int | None = None,
    points: list[Point] | None = None,
    breaks: tuple[int, ...] = (),
    national: float | None = None,
    or_national: bool = False,
) -> Verdict:
    """The verdict on a goal in a report for `year`. `values`: the figures by year as printed
    (None where hidden or missing); `points`: the same with their counts, for a projection."""
    if target is None:
        return Verdict("none", year, values.get(year))
    if deadline is not None and year >= deadline:
        # The deadline has come: its year's figure decides, whatever came after.
        value = values.get(deadline)
        if value is None:
            return Verdict("deadline_missing", deadline, None, deadline)
        return Verdict("met_at" if value >= target else "not_met_at", deadline, value, deadline)
    value = values.get(year)
    if value is None:
        return Verdict("none", year, None, deadline)
    if value >= target:
        return Verdict("met" if deadline is None else "met_early", year, value, deadline)
    if or_national and national is not None and value >= national:
        return Verdict("met_national", year, value, deadline)
    if deadline is None:
        return Verdict("not_met", year, value)
    projection = project([p for p in points or [] if p.year <= year], deadline, breaks)
    if projection is None:
        return Verdict("too_early", year, value, deadline)
    key = "on_track" if projection.low >= target else "off_track" if projection.high < target else "uncertain"
    return Verdict(key, year, value, deadline, projection)


__all__ = ["MIN_POINTS", "MODEL", "Point", "Projection", "Verdict", "judge", "one_series", "project", "say"]
