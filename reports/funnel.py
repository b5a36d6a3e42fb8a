"""Funnel-plot control limits: is a kommune's share further from the national share than chance
alone would put a kommune of its size? (Spiegelhalter, "Funnel plots for comparing institutional
performance", Statistics in Medicine 24 (2005) 1185-1202.)

A kommune of n leavers, each applying to an EUD with the national probability p0, has a number
of EUD applicants R ~ Binomial(n, p0). The limits are the exact binomial quantiles of R/n with
Spiegelhalter's interpolation (his appendix A.1.1), because søgetal have small n (a kommune of
23 leavers moves 4,3 points per pupil) where the normal approximation p0 ± z·sqrt(p0(1-p0)/n)
is too narrow on one side and can leave 0-100 %:

    r_p   = the smallest r with P(R <= r) >= p       (the p-quantile, scipy's binom.ppf)
    alpha = (P(R <= r_p) - p) / P(R = r_p)           (how far into r_p's step p falls)
    limit = (r_p - alpha) / n                        (clipped to 0-1)

at p = 0,025 / 0,975 (the 95 % limits, about 2 standard errors) and p = 0,001 / 0,999 (the
99,8 % limits, about 3). Pure Python (log-space binomial sums), no numerical library: the
report and the overview run without scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Two-sided coverage -> the lower and upper tail probability of the limits.
LIMITS = {"95": (0.025, 0.975), "99,8": (0.001, 0.999)}

# The three groups a kommune is put in, in the order the overview lists them, and their words.
OVER, WITHIN, UNDER = "over", "within", "under"
GROUP_WORDS = {OVER: "Over forventet", WITHIN: "Inden for forventet", UNDER: "Under forventet"}


def _log_pmf(r: int, n: int, p: float) -> float:
    return math.lgamma(n + 1) - math.lgamma(r + 1) - math.lgamma(n - r + 1) + r * math.log(p) + (n - r) * math.log1p(-p)


def binomial_limit(p0: float, n: int, prob: float) -> float:
    """The control limit (a proportion, 0-1) at tail probability `prob` for n leavers around p0
    (0 < p0 < 1), exact binomial with Spiegelhalter's interpolation (module docstring)."""
    if n <= 0:
        raise ValueError(f"a funnel limit needs at least one leaver, not n = {n}")
    if not 0 < p0 < 1:
        raise ValueError(f"the reference share must lie strictly between 0 and 1, not {p0}")
    cdf = 0.0
    for r in range(n + 1):
        pmf = math.exp(_log_pmf(r, n, p0))
        cdf += pmf
        if cdf >= prob or r == n:
            alpha = (cdf - prob) / pmf if pmf > 0 else 0.0
            return min(1.0, max(0.0, (r - alpha) / n))
    raise AssertionError("unreachable: the binomial CDF reaches 1 at r = n")


@dataclass(frozen=True)
class Limits:
    """The 95 % and 99,8 % limits for n leavers around the national share, in percent."""

    n: int
    national: float
    low95: float
    high95: float
    low998: float
    high998: float


def limits(national_pct: float, n: int) -> Limits:
    p0 = national_pct / 100
    (lo95, hi95), (lo998, hi998) = LIMITS["95"], LIMITS["99,8"]
    return Limits(
        n,
        national_pct,
        100 * binomial_limit(p0, n, lo95),
        100 * binomial_limit(p0, n, hi95),
        100 * binomial_limit(p0, n, lo998),
        100 * binomial_limit(p0, n, hi998),
    )


@dataclass(frozen=True)
class Placement:
    group: str  # OVER, WITHIN or UNDER: outside the 95 % limits is over or under
    beyond_998: bool  # also outside the 99,8 % limits
    limits: Limits

    @property
    def words(self) -> str:
        """'Over forventet', 'Under forventet (også uden for 99,8 %-grænsen)', 'Inden for forventet'."""
        extra = " (også uden for 99,8 %-grænsen)" if self.beyond_998 else ""
        return GROUP_WORDS[self.group] + extra


def place(share_pct: float, n: int, national_pct: float) -> Placement:
    """Where a kommune's share (as shown, percent) of n leavers falls against the national share.
    On a limit counts as inside: only a share beyond it differs by more than chance."""
    lim = limits(national_pct, n)
    if share_pct > lim.high95:
        group = OVER
    elif share_pct < lim.low95:
        group = UNDER
    else:
        group = WITHIN
    return Placement(group, share_pct > lim.high998 or share_pct < lim.low998, lim)
