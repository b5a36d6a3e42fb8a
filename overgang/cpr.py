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

# Separators outside the categories taken whole (below): signs (plus, the minus family, the
# slashes, dot operators, tilde), box-drawing lines, and the blank-looking letters and symbols
# that filters are dodged with (Hangul fillers, the braille blank). Not '|': staging joins a
# row's fields with it, and two fields must never read as one number.
_OTHER_SEPARATORS = "+~\u2212\u2215\u2216\u2219\u22c5\u2043\u3164\u115f\u1160\uffa0\u2800" + "".join(
    map(chr, range(0x2500, 0x2580))
)
# Whole categories: spaces, line and paragraph separators, dashes, connector and other
# punctuation (. , : ; / \\ _ * # …: a comma is Danish Excel's decimal separator), control characters.
_SEPARATOR_CATEGORIES = ("Zs", "Zl", "Zp", "Pd", "Pc", "Po", "Cc")
# Removed: format characters (zero-width space and joiners, soft hyphen, bidi controls, BOM) and
# combining marks (an accent after a digit, a keycap emoji's U+20E3, variation selectors).
_INVISIBLE_CATEGORIES = ("Cf", "Mn", "Me", "Mc")


@dataclass(frozen=True)
class _Chars:
    digits_from: str  # every non-ASCII character with a digit value …
    digits_to: str  # … and its ASCII digit, position for position
    invisible: str  # removed
    separators: str  # each run made one '-'


# The code points looked at: all but the blocks that hold only letters (the CJK and Hangul
# syllable blocks, the ideographic planes) and the unassigned and private-use planes, so that
# building the lists takes a fifth of the time. tests/test_cpr_in_any_spelling.py checks that the
# full range gives the same lists.
SCANNED = ((128, 0x4E00), (0xA000, 0xAC00), (0xD7A4, 0x20000), (0xE0000, 0xE1000))
EVERY_CODE_POINT = ((128, sys.maxunicode + 1),)


@functools.cache
def _chars(scanned: tuple[tuple[int, int], ...] = SCANNED) -> _Chars:
    """The character lists, from this Python's Unicode database (built once per process, about
    0.2 s: only the processes that guard or scrub text pay for it, not every import).

    A digit is any character with a digit value (decimal digits of every script, and the
    superscript, subscript, circled and parenthesised ones); a character whose compatibility
    form (NFKC) is a separator is one too (fullwidth and small forms, superscript minus)."""
    digits_from, digits_to, invisible = [], [], []
    separators = {chr(cp) for cp in range(128) if unicodedata.category(chr(cp)) in _SEPARATOR_CATEGORIES}
    separators |= set(_OTHER_SEPARATORS)
    compatible: list[tuple[str, str]] = []
    for cp in (cp for start, end in scanned for cp in range(start, end)):
        ch = chr(cp)
        category = unicodedata.category(ch)
        value = unicodedata.digit(ch, None)
        if value is not None:
            digits_from.append(ch)
            digits_to.append(str(value))
        elif category in _INVISIBLE_CATEGORIES:
            invisible.append(ch)
        elif category in _SEPARATOR_CATEGORIES:
            separators.add(ch)
        elif unicodedata.decomposition(ch).startswith("<"):
            compatible.append((ch, unicodedata.normalize("NFKC", ch)))
    separators |= {ch for ch, form in compatible if form in separators}
    separators -= {"-", "|"}
    return _Chars("".join(digits_from), "".join(digits_to), "".join(invisible), "".join(sorted(separators)) + "-")


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
# The month is 01-12 (a list of years, "2019, 2020, 2021", has month 19 and is no CPR number); the
# day is left loose (0-39), as substitute numbers and typing slips do not keep it a calendar day.
_MONTH = "(?:0-?[1-9]|1-?[0-2])"
_SHAPE10 = "[0-3]-?[0-9]-?" + _MONTH + "".join(f"-?{_D}" for _ in range(6))
# ddmmyyyy-xxxx: the birth date with its century, then the serial.
_SHAPE12 = "[0-3]-?[0-9]-?" + _MONTH + "-?[12]-?[09]" + "".join(f"-?{_D}" for _ in range(6))
# dmmyy-xxxx: Excel dropped the leading zero (and Danish Excel may show 51207,4417).
_SHAPE9 = f"[1-9](?:0[1-9]|1[0-2]){_D}{{2}}-?{_D}{{4}}"
_LONG = f"{_D}{{9,}}"
# RE2 (DuckDB) has no look-behind: the edges are groups there.
_SHAPES = f"{_SHAPE12}|{_SHAPE10}|{_SHAPE9}"
CPR_SQL = f"(^|[^0-9])({_SHAPES})([^0-9]|$)"
CPR_OR_LONG_NUMBER_SQL = f"(^|[^0-9])({_SHAPES})([^0-9]|$)|{_LONG}"
_CPR = re.compile(f"(?<![0-9])(?:{_SHAPES})(?![0-9])")
_CPR_OR_LONG = re.compile(f"(?<![0-9])(?:{_SHAPES})(?![0-9])|{_LONG}")


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


# An ASCII letter is no digit, separator or invisible character: normalised, it still stands
# between the digits on either side of it, so no CPR shape or long number can span it.
_ASCII_LETTERS = re.compile("[A-Za-z]+")


def _too_few_digits(text: str) -> bool:
    """No nine digits of any script without an ASCII letter between them: nothing to find, and
    no tables to build. A message that names a file ("rapport_169_2024.html (1.3 MB)") has
    more than nine digits in all, and building the tables cost `overgang report` 0.15 s."""
    return all(sum(ch.isdigit() for ch in piece) < 9 for piece in _ASCII_LETTERS.split(text))


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
