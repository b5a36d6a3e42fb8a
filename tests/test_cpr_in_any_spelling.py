"""The CPR guard catches a CPR number in any spelling, in Python and in DuckDB alike.

The end-to-end proof (every spelling in every column of an extract, run, loaded, reported,
queried, then every artefact scanned after normalisation) is in test_privacy_hostile.py; here
the rule itself: each spelling caught by each of the two implementations, the two agreeing on
any text, the cheap prefilter never missing what the rule catches, and ordinary values let be.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overgang import cpr
from tests.cpr_spellings import digit_forms, scannable, spellings

CPR = "051207-4417"
SPELLED = spellings(CPR)


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as con:
        yield con


def _sql(con, text: str) -> tuple[bool, bool, str]:
    """The DuckDB guard on `text`: (prefilter, rule, normalised)."""
    params = {**cpr.sql_params(), "v": text, "guard": cpr.CPR_OR_LONG_NUMBER_SQL}
    prefilter, caught, norm = con.execute(
        f"SELECT regexp_matches($v, $cpr_prefilter), regexp_matches({cpr.normalised_sql('$v')}, $guard), "
        f"{cpr.normalised_sql('$v')}",
        params,
    ).fetchone()
    return prefilter, caught, norm


@pytest.mark.parametrize("spelling", SPELLED)
def test_every_spelling_is_caught_in_python(spelling):
    text = f"Skole {SPELLED[spelling]} Nord"
    assert cpr.has_cpr_or_long_number(text)
    assert not any(form in scannable(cpr.scrub(text, long_numbers=True)) for form in digit_forms(CPR))
    # A long number is the strict rule's concern only (a file name may hold a time stamp).
    if spelling != "inside a longer number":
        assert cpr.has_cpr(text)
        assert not any(form in scannable(cpr.scrub(text)) for form in digit_forms(CPR))


@pytest.mark.parametrize("spelling", SPELLED)
def test_every_spelling_is_caught_in_duckdb(con, spelling):
    prefilter, caught, _ = _sql(con, f"Skole {SPELLED[spelling]} Nord")
    assert prefilter and caught


def test_scrub_keeps_the_rest_of_the_text():
    assert cpr.scrub("Skole 2 ０５１２０７－４４１７ Nord") == "Skole 2 (CPR withheld) Nord"
    assert cpr.scrub("Elev 0 5 1 2 0 7 4 4 1 7, 9. klasse") == "Elev (CPR withheld), 9. klasse"


@pytest.mark.parametrize(
    "ordinary",
    [
        "2025-02-20",
        "20-02-2025",
        "20.02.2025",
        "169001",
        "Skolen ved Søerne (10. klasse)",
        "eud_gf1",
        "Direkte fra skole",
        "2630 Taastrup",
        "Høje-Taastrup Kommune 169",
        "12345678",  # a telephone number: eight digits
        "2025-02-20 10:15:00",  # a time stamp with a four-digit year first
    ],
)
def test_ordinary_values_are_let_be(con, ordinary):
    assert not cpr.has_cpr_or_long_number(ordinary)
    assert not _sql(con, ordinary)[1]
    assert cpr.scrub(ordinary, long_numbers=True) == ordinary


# Text as a careless or hostile day makes it: digits of several scripts, every kind of
# separator and invisible character, and ordinary letters.
_DIGITS = st.sampled_from("0123456789０１２３４５６７８９٠١٢٣٤٥٦٧٨٩०१२३४५६७८९")
_GAPS = st.sampled_from(["", " ", "-", "/", "_", ".", "\u200b", "\u00ad", "\u2011", "\u00a0", "\u202e", "\ufeff", "\t"])
_OTHER = st.sampled_from(list("aøZ|,:;'\"(=+@") + ["\u2028", "é", "€"])
_TEXT = st.lists(st.one_of(_DIGITS, _GAPS, _OTHER), max_size=40).map("".join)


# No deadline: the first example builds the character tables (0.1 s) and a DuckDB connection.
@settings(deadline=None)
@given(_TEXT)
def test_python_and_duckdb_agree_on_any_text(text):
    with duckdb.connect() as con:
        prefilter, caught, norm = _sql(con, text)
    assert norm == cpr.normalised(text)
    assert caught == cpr.has_cpr_or_long_number(text)
    assert prefilter or not caught, "the prefilter must pass every value the rule catches"


@settings(deadline=None)
@given(st.lists(st.tuples(_DIGITS, _GAPS), min_size=10, max_size=10))
def test_ten_digits_of_any_script_with_any_gaps_and_a_date_shape_are_caught(pairs):
    text = "".join(d + gap for d, gap in pairs).rstrip()
    values = [int(cpr.normalised(d)) for d, _ in pairs]
    if values[0] <= 3 and 1 <= 10 * values[2] + values[3] <= 12:  # dd (loosely) and a month
        assert cpr.has_cpr(f"Skole {text} Nord")
        assert cpr.scrub(f"Skole {text} Nord").startswith("Skole (CPR withheld)")


@pytest.mark.parametrize(
    "years",
    ["2019, 2020, 2021", "2018, 2019, 2020, 2021, 2022", "2021 2022 2023 2024", "2013-2014-2015", "2024/2025/2026"],
)
def test_a_list_of_years_is_not_taken_for_a_cpr_number(years):
    """A message that lists years ("half-built years 2019, 2020, 2021") keeps them: twelve digits
    whose 'month' is 13-99 are no ddmmyyyy-xxxx. Found by a test that read "years (CPR withheld),
    (CPR withheld), 2021"."""
    message = f"The working database has half-built years {years}: rebuild them."
    assert cpr.scrub(message) == message
    assert not cpr.has_cpr(message)


@pytest.mark.parametrize("spelled", ["0101 2010 1234", "01012010-1234", "3112 1999 1234", "51207,4417"])
def test_a_cpr_number_with_a_real_month_is_still_caught_in_a_list_of_numbers(spelled):
    assert cpr.scrub(f"years 2019, {spelled}, 2021").count(cpr.CPR_WITHHELD) == 1


def test_the_blocks_left_unscanned_hold_no_digit_separator_or_invisible_character():
    """cpr.SCANNED leaves out letter-only blocks and empty planes for speed: every code point
    gives the same lists."""
    assert cpr._chars(cpr.EVERY_CODE_POINT) == cpr._chars()
