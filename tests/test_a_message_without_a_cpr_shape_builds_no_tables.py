"""A message whose digits are split by letters (a report's path and size, a year, a kommune code)
is printed without building the CPR guard's Unicode tables (overgang/cpr.py: about 0.15 s of every
`overgang report`), and a CPR number with letters around it is still withheld."""

from __future__ import annotations

from overgang import cpr


def _fresh() -> None:
    cpr._python_tables.cache_clear()
    cpr._chars.cache_clear()


def test_a_report_path_with_many_digits_builds_no_tables():
    _fresh()
    message = "Report: /home/anna2/var/reports/rapport_169_2024.html (1.3 MB)\n"
    assert cpr.scrub(message) == message
    assert not cpr.has_cpr(message) and not cpr.has_cpr_or_long_number(message)
    assert cpr._chars.cache_info().currsize == 0


def test_a_cpr_number_between_letters_is_still_withheld():
    _fresh()
    for text in ("rapport_0512074417.html", "a０５１２０７－４４１７b", "x0 5 1 2 0 7 4 4 1 7y", "v51207-4417z"):
        assert cpr.has_cpr(text), text
        assert "(CPR withheld)" in cpr.scrub(text), text
