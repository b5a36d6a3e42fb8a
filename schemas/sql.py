"""A pandera schema checked where the data are: one SQL query listing every failure.

Used for application rows at national scale, so that no step holds millions of rows in pandas.
Translates the built-in checks the schemas use (isin, in_range, str_matches, not nullable) and
takes frame-wide checks from their ``statistics["sql"]`` (the condition a valid row meets).
A check that cannot be translated is an error, never silently skipped.
"""

from __future__ import annotations

from typing import Any

import pandera.pandas as pa

from schemas.sqltext import SQL, fill, ident, param


class Untranslatable(ValueError):
    pass


def _plain(value: object) -> object:
    return value.item() if hasattr(value, "item") else value


def check_condition(column: str, check: pa.Check, relation: str = "", key: str = "v") -> tuple[SQL, dict[str, Any]]:
    """SQL that is true for a valid value of `column` (NULLs pass, as in pandera), and the values
    of the parameters it names (``$<key>...``). A frame-wide check's SQL may name the checked
    relation as ${relation} (e.g. for duplicates) and carries its values in statistics["params"]."""
    stats = check.statistics or {}
    col = ident(column)
    if "sql" in stats:
        slots = {"relation": ident(relation)} if "${relation}" in stats["sql"] else {}
        return fill(stats["sql"], **slots), dict(stats.get("params", {}))
    if "allowed_values" in stats:
        allowed = [_plain(v) for v in stats["allowed_values"]]
        return fill("${col} IS NULL OR list_contains(${allowed}, ${col})", col=col, allowed=param(key)), {key: allowed}
    if "min_value" in stats and "max_value" in stats:
        low = SQL(">=" if stats.get("include_min", True) else ">")
        high = SQL("<=" if stats.get("include_max", True) else "<")
        return fill(
            "${col} IS NULL OR (${col} ${low} ${min} AND ${col} ${high} ${max})",
            col=col,
            low=low,
            high=high,
            min=param(f"{key}_min"),
            max=param(f"{key}_max"),
        ), {f"{key}_min": _plain(stats["min_value"]), f"{key}_max": _plain(stats["max_value"])}
    if "pattern" in stats:
        pattern = str(stats["pattern"])
        pattern = pattern if pattern.startswith("^") else "^" + pattern  # re.match anchors at the start
        return fill("${col} IS NULL OR regexp_matches(${col}, ${pattern})", col=col, pattern=param(key)), {key: pattern}
    raise Untranslatable(f"check {check.name!r} on {column!r} has no SQL translation")


def rules(
    schema: pa.DataFrameSchema, relation: str, column_for_check: dict[str, str] | None = None
) -> tuple[list[tuple[SQL, str | None, str, str]], dict[str, Any]]:
    """(SQL true when the row breaks the rule, column shown, rule name, message) for every rule,
    and the values of the parameters the SQL names."""
    out, params = [], {}
    for name, column in schema.columns.items():
        meta = column.metadata or {}
        shown = meta.get("report_as", name)  # e.g. year is derived from application_date
        if not column.nullable:
            missing = meta.get("missing", f"{name} is missing or not a valid {column.dtype}")
            out.append((fill("${col} IS NULL", col=ident(name)), shown, "required_value", missing))
        for check in column.checks:
            condition, values = check_condition(name, check, key=f"v{len(out)}")
            params.update(values)
            out.append((fill("NOT coalesce((${c}), false)", c=condition), shown, check.name, check.error or check.name))
    for check in schema.checks:
        target = (column_for_check or {}).get(check.name)
        condition, values = check_condition("", check, relation, key=f"v{len(out)}")
        params.update(values)
        out.append((fill("NOT coalesce((${c}), true)", c=condition), target, check.name, check.error or check.name))
    return out, params


def failures_sql(
    schema: pa.DataFrameSchema, relation: str, key: str = "row_id", column_for_check: dict[str, str] | None = None
) -> tuple[SQL, dict[str, Any]]:
    """SELECT key, column_name, rule, message for every (row, rule) that fails, and the values
    of its parameters (run it as ``con.execute(sql, params)``).

    One scan of `relation` evaluates every rule into a flag per row; only the rows with a flag set
    (a handful) are kept, and unpacked into one line per broken rule.
    """
    found, params = rules(schema, relation, column_for_check)
    flags = SQL(", ".join(fill("(${c}) AS ${f}", c=c, f=ident(f"f{i}")) for i, (c, *_) in enumerate(found)))
    any_flag = SQL(" OR ".join(ident(f"f{i}") for i in range(len(found))))
    unpack = SQL(
        "\nUNION ALL\n".join(
            fill(
                "SELECT ${key}, ${column}::VARCHAR AS column_name, ${rule} AS rule, ${message} AS message "
                "FROM flagged WHERE ${f}",
                key=ident(key),
                column=param(f"column_{i}"),
                rule=param(f"rule_{i}"),
                message=param(f"message_{i}"),
                f=ident(f"f{i}"),
            )
            for i in range(len(found))
        )
    )
    for i, (_, column, rule, message) in enumerate(found):
        params.update({f"column_{i}": column, f"rule_{i}": rule, f"message_{i}": message})
    sql = fill(
        "WITH flagged AS MATERIALIZED (SELECT ${key}, ${flags} FROM ${relation} WHERE ${any_flag})\n${unpack}",
        key=ident(key),
        flags=flags,
        relation=ident(relation),
        any_flag=any_flag,
        unpack=unpack,
    )
    return sql, params
