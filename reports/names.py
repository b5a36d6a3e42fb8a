"""Names from the input files as the report shows them: a school's, a kommune's, a region's, an
education group's, a file's.

A ``Name`` is the text without bidi controls (overgang/display.py), and in HTML it is isolated in
``<bdi>``: neither a control nor a right-to-left name can reorder the sentence or table cell
around it ("26,2 %" shown as "% 2,62"). Jinja's autoescape and markupsafe's ``escape`` and
``Markup.format`` call ``__html__``, so every place a template or a caption puts a name gets the
isolation without asking for it; charts, workbooks and f-strings get the plain text.
"""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup, escape

from overgang.display import without_bidi


class Name(str):
    """A name from the data: plain text without bidi controls; ``<bdi>`` isolated in HTML."""

    __slots__ = ()

    def __new__(cls, value: str) -> Name:
        return super().__new__(cls, without_bidi(str(value)))

    def __html__(self) -> Markup:
        return Markup("<bdi>{}</bdi>").format(escape(str(self)))


def name(value):
    """`value` as a Name when it is text; anything else (None, NaN) as it is."""
    return Name(value) if isinstance(value, str) else value


def named(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """`frame` with the text in `columns` (those it has) as Names."""
    present = [c for c in columns if c in frame.columns]
    if not present:
        return frame
    frame = frame.copy()
    for c in present:
        frame[c] = pd.Series([name(v) for v in frame[c]], index=frame.index, dtype=object)
    return frame


def plain(value) -> str:
    """Text for where markup cannot go (the page's <title>, an attribute): a Name as its text,
    and markup made of Names (Jinja's ``~`` joins them into Markup) as the text it shows."""
    return value.striptags() if isinstance(value, Markup) else str(value)
