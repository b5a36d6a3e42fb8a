"""Funnel-plot limits (reports/funnel.py) against limits worked out by hand: exact binomial sums
in rational arithmetic (no floating point, no scipy), then Spiegelhalter's interpolation
(Stat Med 2005, appendix A.1.1). The kommune sizes are the issue's: 23 and 453 leavers."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest

from reports import funnel


def by_hand(n: int, p0: Fraction, prob: Fraction) -> tuple[int, float]:
    """(r_p, limit in percent): r_p the smallest r with P(R <= r) >= prob, then the limit
    (r_p - alpha) / n with alpha = (P(R <= r_p) - prob) / P(R = r_p), clipped at 0."""
    cdf = Fraction(0)
    for r in range(n + 1):
        pmf = comb(n, r) * p0**r * (1 - p0) ** (n - r)
        cdf += pmf
        if cdf >= prob:
            return r, max(0.0, float(100 * (r - (cdf - prob) / pmf) / n))
    raise AssertionError


# n, national share, tail probability, the quantile r_p and the limit in percent, both worked out
# with by_hand() above and written down here so that a change to either shows.
CASES = [
    (23, Fraction(1, 5), Fraction(1, 40), 1, 2.446249),
    (23, Fraction(1, 5), Fraction(39, 40), 9, 35.336032),
    (23, Fraction(1, 5), Fraction(1, 1000), 0, 0.0),  # (0 - alpha)/23 < 0: the limit is 0 %
    (23, Fraction(1, 5), Fraction(999, 1000), 11, 46.906186),
    (453, Fraction(1, 5), Fraction(1, 40), 74, 16.266898),
    (453, Fraction(1, 5), Fraction(39, 40), 108, 23.633908),
    (453, Fraction(1, 5), Fraction(1, 1000), 65, 14.276230),
    (453, Fraction(1, 5), Fraction(999, 1000), 118, 25.879366),
    (453, Fraction(194, 1000), Fraction(39, 40), 105, 22.994998),
]


@pytest.mark.parametrize(("n", "p0", "prob", "r_p", "limit"), CASES)
def test_a_limit_is_the_exact_binomial_quantile_interpolated(n, p0, prob, r_p, limit):
    hand_r, hand_limit = by_hand(n, p0, prob)
    assert (hand_r, round(hand_limit, 6)) == (r_p, limit)
    assert 100 * funnel.binomial_limit(float(p0), n, float(prob)) == pytest.approx(hand_limit, abs=1e-6)


def test_the_95_and_998_limits_of_a_kommune_are_the_four_tails():
    lim = funnel.limits(20.0, 453)
    assert (lim.low998, lim.low95, lim.high95, lim.high998) == pytest.approx(
        (14.276230, 16.266898, 23.633908, 25.879366), abs=1e-5
    )


def test_the_small_kommune_has_the_wide_funnel_not_the_normal_approximation():
    # The normal approximation's 95 % limits for n = 23 around 20 % are 3,7-36,3 %; the exact
    # binomial's are 2,4-35,3 %: skewed, as a count of 23 pupils near 0 is.
    lim = funnel.limits(20.0, 23)
    assert round(lim.low95, 1) == 2.4 and round(lim.high95, 1) == 35.3


def test_a_share_is_grouped_by_the_limits_of_its_own_size():
    # The two kommuner, 19,4 % nationally: 30,4 % of 23 leavers (7 pupils) is within what
    # chance gives a kommune that small; 24,1 % of 453 is above it, though not beyond 99,8 %.
    small = funnel.place(30.4, 23, 19.4)
    large = funnel.place(24.1, 453, 19.4)
    assert (small.group, small.words) == (funnel.WITHIN, "Inden for forventet")
    assert (large.group, large.words) == (funnel.OVER, "Over forventet")
    far = funnel.place(12.0, 453, 19.4)
    assert (far.group, far.beyond_998, far.words) == (
        funnel.UNDER,
        True,
        "Under forventet (også uden for 99,8 %-grænsen)",
    )
    # On the limit is inside: only a share beyond it differs by more than chance.
    edge = funnel.limits(19.4, 453).high95
    assert funnel.place(edge, 453, 19.4).group == funnel.WITHIN


@pytest.mark.parametrize(("national", "n"), [(0.0, 23), (100.0, 23), (19.4, 0)])
def test_a_funnel_without_a_share_or_leavers_is_refused(national, n):
    with pytest.raises(ValueError, match="reference share|leaver"):
        funnel.limits(national, n)
