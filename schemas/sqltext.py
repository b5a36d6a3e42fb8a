"""How SQL is filled, in one style (docs/architecture.md, "How SQL is filled").

- **Values** (years, kommune codes, file names, rule names, messages, patterns) are DuckDB
  parameters, ``$name``, passed to ``execute``; they are never written into SQL text.
- **Structure** (table and column names, column lists, sub-queries, conditions written here)
  goes into ``${name}`` slots, filled by :func:`fill`. A slot takes only :class:`SQL`: an
  identifier quoted by :func:`ident`/:func:`idents`, or a fragment the code base wrote itself
  (``SQL("...")``, :func:`fill`'s own result, a ``sql/<name>.sql`` file). A plain ``str`` is
  refused, so a value cannot slip into a slot.

``$name`` (a parameter) and ``${name}`` (a slot) never clash: DuckDB has no ``${``. sqlfluff's
placeholder templater reads both (``[tool.sqlfluff.templater.placeholder]`` in pyproject.toml).
No pandera or Dagster here: the reports import this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

SLOT = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


class SQL(str):
    """SQL text written by this code base (structure), as opposed to a value."""


def ident(name: str) -> SQL:
    """A quoted identifier (a table or column name), safe for any name."""
    return SQL('"' + str(name).replace('"', '""') + '"')


def idents(names: Iterable[str]) -> SQL:
    """A comma-separated list of quoted identifiers."""
    return SQL(", ".join(ident(n) for n in names))


def param(name: str) -> SQL:
    """A reference to the DuckDB parameter `name` (for a parameter named by the code, e.g. one a column)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a parameter name: {name!r}")
    return SQL("$" + name)


def literal(text: str) -> SQL:
    """A string literal, only where DuckDB takes no parameter (``COMMENT ON ... IS``)."""
    return SQL("'" + str(text).replace("'", "''") + "'")


def fill(template: str, **slots: SQL) -> SQL:
    """`template` with each ``${name}`` replaced by its slot. Every slot must be used, every
    ``${name}`` filled, and every slot value must be :class:`SQL` (never a plain value)."""
    for name, value in slots.items():
        if not isinstance(value, SQL):
            raise TypeError(
                f"SQL slot ${{{name}}} takes structure (ident(), idents(), SQL(...)), not a value "
                f"({type(value).__name__}): pass values as DuckDB $parameters"
            )
    named = set(SLOT.findall(template))
    if missing := named - slots.keys():
        raise KeyError(f"SQL slots not filled: {', '.join(sorted(missing))}")
    if unused := slots.keys() - named:
        raise KeyError(f"SQL slots not in the template: {', '.join(sorted(unused))}")
    return SQL(SLOT.sub(lambda m: slots[m.group(1)], template))


def sql_file(path: Path, **slots: SQL) -> SQL:
    """The SQL file at `path` (one of the code base's own ``sql/<name>.sql`` files, beside the
    module that runs it), its ``${name}`` slots filled by :func:`fill`."""
    return fill(path.read_text(encoding="utf-8"), **slots)
