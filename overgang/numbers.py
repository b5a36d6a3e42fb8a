"""Danish number and date formats for everything a council member reads (16,1 %; 3.443)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

LOCALE = "da_DK"


# babel is imported when a number is first formatted, not when the module is: `overgang query`
# formats none and starts 0.05 s sooner (the import budget of issue 17, tests/test_layers.py).
def format_decimal(*args: Any, **kwargs: Any) -> str:
    from babel.numbers import format_decimal as babel_format_decimal

    return babel_format_decimal(*args, **kwargs)


def format_date(*args: Any, **kwargs: Any) -> str:
    from babel.dates import format_date as babel_format_date

    return babel_format_date(*args, **kwargs)


def format_datetime(*args: Any, **kwargs: Any) -> str:
    from babel.dates import format_datetime as babel_format_datetime

    return babel_format_datetime(*args, **kwargs)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def da_pct(value: float | None, decimals: int = 1) -> str:
    """16.1 -> '16,1 %' (a blank value is shown as a dash, never as 0)."""
    if value is None or _missing(value):  # None named for the checker: _missing covers it too
        return "–"
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return f"{format_decimal(round(float(value), decimals), format=fmt, locale=LOCALE)} %"


def da_target(value: float | None) -> str:
    """A måltal as the council decided it, with the decimals it was given (up to two):
    30 -> '30 %', 17.5 -> '17,5 %', 22.33 -> '22,33 %' (never rounded to a value not decided)."""
    if value is None or _missing(value):  # None named for the checker: _missing covers it too
        return "–"
    v = float(value)
    decimals = next((d for d in (0, 1) if abs(round(v, d) - v) < 1e-9), 2)
    return da_pct(v, decimals)


def da_int(value: float | None) -> str:
    """3443 -> '3.443'."""
    if value is None or _missing(value):  # None named for the checker: _missing covers it too
        return "–"
    return format_decimal(int(value), format="#,##0", locale=LOCALE)


def da_pp(value: float | None, decimals: int = 1) -> str:
    """Percentage points with a sign: -1.9 -> '−1,9 procentpoint'."""
    if value is None or _missing(value):  # None named for the checker: _missing covers it too
        return "–"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{format_decimal(abs(round(float(value), decimals)), format='#,##0.0', locale=LOCALE)} procentpoint"


def da_date(value: object) -> str:
    """A date or time in Danish long form: '23. november 2026' or '23. november 2026 kl. 14.05'."""
    if _missing(value):
        return "–"
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return format_datetime(value, "d. MMMM y 'kl.' HH.mm", locale=LOCALE)
    if isinstance(value, date):
        return format_date(value, "d. MMMM y", locale=LOCALE)
    return str(value)
