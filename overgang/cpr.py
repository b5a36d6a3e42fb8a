"""What counts as a CPR number in text, in any spelling: the one rule behind every guard.

A CPR number typed where it does not belong is rarely typed as `ddmmyy-xxxx` in ASCII: Word and
Excel, web forms and phones write it with fullwidth or Arabic-Indic digits, with a slash, an
underscore, a non-breaking hyphen, a zero-width space, a space between every digit, or as nine
digits (Excel reads `0512074417` as a number and drops the leading zero). So text is first
*normalised*, and the patterns are matched on that:

1. every Unicode decimal digit (category Nd: fullwidth, Arabic-Indic, Devanagari, …) becomes its
   ASCII digit;
2. invisible format characters (category Cf: zero-width space and joiners, soft hyphen, the
   byte-order mark, bidirectional controls) are removed;
3. every run of separators (all Unicode spaces, the dash family, minus signs, slashes, an
   underscore, dots) becomes one `-`.

On the normalised text, a **CPR shape** is ten digits, not inside a longer run of digits, with at
most one separator between any two of them, whose first four digits are loosely a day and a
month (`[0-3]d[01]d`), or nine digits in a row shaped like a CPR number with its leading zero
dropped (`[1-9][01]d{7}`). The date part is loose on purpose: a typo'd or fictitious CPR number
is still personal data, and a false positive only holds a row back. Dates Overgang reads are
written with a four-digit year (2025-03-01, 01.03.2025: eight digits), so they never fit.

Columns that should hold no long numbers (the extract's names, codes and dates) are held to the
stricter rule: any run of nine or more digits (a CPR number inside a longer number too).

The same normalisation is written twice, once here for Python (messages, file names, the small
sources, the shell history) and once as DuckDB SQL for the extracts (`normalised_sql`), both
from the character lists below, so the two cannot drift: `tests/test_cpr_in_any_spelling.py`
holds them to each other.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass

CPR_WITHHELD = "(CPR withheld)"

# Separators that are not in the Unicode space or dash categories: the slash family, the
# underscore and the dot family (fullwidth and small forms too), the minus signs.
_OTHER_SEPARATORS = (
    "/\\_.\t\n\r\v\f\x1c\x1d\x1e\x1f\x85"
    "\u00b7\u2024\u2027\u2044\u2212\u2215\u2216\u2219\u22c5\u3002\u30fb"
    "\ufe52\ufe63\uff0e\uff0f\uff3c\uff3f\uff61\uff65\u2e31\u2e33"
)


@dataclass(frozen=True)
class _Chars:
    digits_from: str  # every non-ASCII decimal digit …
    digits_to: str  # … and its ASCII digit, position for position
    invisible: str  # format characters (Cf), removed
    separators: str  # spaces, dashes and the rest, each run made one '-'


@functools.cache
def _chars() -> _Chars:
    """The character lists, from this Python's Unicode database (built once per process, 0.2 s:
    only the processes that guard or scrub text pay for it, not every import)."""
    digits_from, digits_to, invisible, separators = [], [], [], list(_OTHER_SEPARATORS)
    for cp in range(128, sys.maxunicode + 1):
        ch = chr(cp)
        category = unicodedata.category(ch)
        if category == "Nd":
            digits_from.append(ch)
            digits_to.append(str(unicodedata.decimal(ch)))
        elif category == "Cf":
            invisible.append(ch)
        elif category in ("Zs", "Zl", "Zp", "Pd") and ch not in separators:
            separators.append(ch)
    separators += [" ", "-"]
    return _Chars("".join(digits_from), "".join(digits_to), "".join(invisible), "".join(separators))


def _class(chars: str, python: bool = False) -> str:
    """A regular-expression character class of exactly these characters, every one written as a
    hex escape: RE2's `\\x{…}` (DuckDB, Arrow, polars) or Python's `\\U…`."""
    if python:
        return "[" + "".join(f"\\U{ord(c):08x}" for c in chars) + "]"
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


@functools.cache
def _python_tables() -> tuple[dict[int, str | None], re.Pattern[str]]:
    chars = _chars()
    table: dict[int, str | None] = {ord(a): b for a, b in zip(chars.digits_from, chars.digits_to, strict=True)}
    table.update(dict.fromkeys(map(ord, chars.invisible)))
    return table, re.compile(_class(chars.separators, python=True) + "+")


# On normalised text (ASCII digits, every separator run one '-').
_D = "[0-9]"
_SHAPE10 = "[0-3]-?[0-9]-?[01]" + "".join(f"-?{_D}" for _ in range(7))
_SHAPE9 = f"[1-9][01]{_D}{{7}}"
_LONG = f"{_D}{{9,}}"
# RE2 (DuckDB) has no look-behind: the edges are groups there.
CPR_SQL = f"(^|[^0-9])({_SHAPE10}|{_SHAPE9})([^0-9]|$)"
CPR_OR_LONG_NUMBER_SQL = f"(^|[^0-9])({_SHAPE10}|{_SHAPE9})([^0-9]|$)|{_LONG}"
_CPR = re.compile(f"(?<![0-9])(?:{_SHAPE10}|{_SHAPE9})(?![0-9])")
_CPR_OR_LONG = re.compile(f"(?<![0-9])(?:{_SHAPE10}|{_SHAPE9})(?![0-9])|{_LONG}")


def normalised(text: str) -> str:
    """The text as the patterns see it (see the module's docstring)."""
    table, separators = _python_tables()
    return separators.sub("-", text.translate(table))


def _normalised_with_origin(text: str) -> tuple[str, list[int], list[int]]:
    """The normalised text, and for each of its characters where it starts and ends in `text`."""
    table, separators = _python_tables()
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        mapped = table.get(ord(ch), ch)
        if mapped is None:
            continue  # invisible: removed
        if separators.fullmatch(mapped):
            if out and out[-1] == "-":
                ends[-1] = i + 1  # one more separator in the run
                continue
            mapped = "-"
        out.append(mapped)
        starts.append(i)
        ends.append(i + 1)
    return "".join(out), starts, ends


def _too_few_digits(text: str) -> bool:
    """Fewer than nine digits of any script: nothing to find (and no tables to build, so a
    message without numbers costs a process nothing)."""
    return sum(ch.isdigit() for ch in text) < 9


def has_cpr(text: str) -> bool:
    """A CPR number in any spelling (file names, messages, free text of the small sources)."""
    return not _too_few_digits(text) and _CPR.search(normalised(text)) is not None


def has_cpr_or_long_number(text: str) -> bool:
    """The stricter rule, for values that should hold no number of nine digits or more."""
    return not _too_few_digits(text) and _CPR_OR_LONG.search(normalised(text)) is not None


def scrub(text: str, long_numbers: bool = False) -> str:
    """Text safe to show or store: every CPR number in any spelling (and with `long_numbers`,
    every run of nine or more digits) replaced by CPR_WITHHELD, the rest kept as it was."""
    if _too_few_digits(text):
        return text
    pattern = _CPR_OR_LONG if long_numbers else _CPR
    norm, starts, ends = _normalised_with_origin(text)
    spans = [(starts[m.start()], ends[m.end() - 1]) for m in pattern.finditer(norm)]
    for start, end in reversed(spans):
        text = text[:start] + CPR_WITHHELD + text[end:]
    return text


def normalised_sql(expression: str) -> str:
    """DuckDB SQL for `normalised(expression)`. Its parameters ($cpr_digits_from, …) are
    `sql_params()`: the character lists go in as values, never spliced into the statement."""
    return (
        "regexp_replace(regexp_replace(translate("
        f"{expression}, $cpr_digits_from, $cpr_digits_to), $cpr_invisible, '', 'g'), $cpr_separators, '-', 'g')"
    )


def prefilter(python: bool = False) -> str:
    """A cheap test of a raw value, true for every value the guard could catch: nine digits of
    any script with nothing but separators and invisible characters between them. Only the rare
    values it passes are normalised and matched."""
    chars = _chars()
    digit = "[0-9" + _class(chars.digits_from, python)[1:]
    gap = _class(chars.invisible + chars.separators, python) + "*"
    return f"{digit}(?:{gap}{digit}){{8}}"


def sql_params() -> dict[str, str]:
    """The parameters `normalised_sql` names, and the prefilter."""
    chars = _chars()
    return {
        "cpr_digits_from": chars.digits_from,
        "cpr_digits_to": chars.digits_to,
        "cpr_invisible": _class(chars.invisible),
        "cpr_separators": _class(chars.separators) + "+",
        "cpr_prefilter": prefilter(),
    }
