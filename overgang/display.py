"""What text from the input files (a school's, a kommune's or an education's name, a file name)
may do where Overgang shows it: nothing but be read.

- A spreadsheet runs a cell that begins with one of FORMULA_START as a formula (``=HYPERLINK(…)``,
  ``@SUM(…)``, ``+1+1``, ``-2+3``; a leading tab or carriage return is dropped by some, leaving the
  rest to run). Workbooks write such text as text (reports/render.py); CSV for spreadsheets puts
  a ``'`` before it (the OWASP CSV-injection rule), which spreadsheets show as a plain text cell.
- Bidi controls (BIDI_CONTROLS) in a name reorder the text around it: U+202E before a school's name
  shows "26,2 %" after it as "% 2,62". They are removed wherever a name is shown.
- On a terminal, control characters in a file name or a value (ESC sequences that erase a line,
  move the cursor or colour text; a carriage return, a backspace) can hide or fake what the
  command says: `for_terminal` shows each as its code (``\x1b``), and removes bidi controls.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069), the marks LRM, RLM and ALM.
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)] + ["\u200e", "\u200f", "\u061c"]
)
_NO_BIDI = str.maketrans(dict.fromkeys(BIDI_CONTROLS))


def without_bidi(text: str) -> str:
    """`text` with every bidi control removed (see BIDI_CONTROLS)."""
    return text.translate(_NO_BIDI)


def runs_in_a_spreadsheet(text: str) -> bool:
    """A spreadsheet would read this text as a formula."""
    return text.startswith(FORMULA_START)


def csv_text(text: str) -> str:
    """A text cell for CSV that a spreadsheet opens: a ``'`` before text it would run as a formula."""
    return "'" + text if runs_in_a_spreadsheet(text) else text


# C0 and C1 control characters but the line feed and the tab, and DEL.
_CONTROLS = [c for c in range(0x20) if c not in (0x0A, 0x09)] + list(range(0x7F, 0xA0))
_FOR_TERMINAL = str.maketrans({**{c: f"\\x{c:02x}" for c in _CONTROLS}, **dict.fromkeys(map(ord, BIDI_CONTROLS))})


def for_terminal(text: str) -> str:
    """`text` safe to print on a terminal: control characters shown as their codes, bidi controls
    removed (see the module's docstring)."""
    return text.translate(_FOR_TERMINAL)
