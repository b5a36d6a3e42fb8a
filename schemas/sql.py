"""A pandera schema checked where the data are: one SQL query listing every failure.

Used for application rows at national scale, so that no step holds millions of rows in pandas.
Translates the built-in checks the schemas use (isin, in_range, str_matches, not nullable) and
takes frame-wide checks from their ``statistics["sql"]`` (the condition a valid row meets).
A check that cannot be translated is an error, never silently skipped.
"""

from __future__ import annotations

import pandera.pandas as pa


class Untranslatable(ValueError):
    pass


def _literal(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def check_condition(column: str, check: pa.Check, relation: str = "") -> str:
    """SQL that is true for a valid value of `column` (NULLs pass, as in pandera). A frame-wide
    check's SQL may name the checked relation as {relation} (e.g. for duplicates)."""
    stats = check.statistics or {}
    col = f'"{column}"'
    if "sql" in stats:
        return stats["sql"].replace("{relation}", relation)
    if "allowed_values" in stats:
        return f"{col} IS NULL OR {col} IN ({', '.join(_literal(v) for v in stats['allowed_values'])})"
    if "min_value" in stats and "max_value" in stats:
        low = ">=" if stats.get("include_min", True) else ">"
        high = "<=" if stats.get("include_max", True) else "<"
        return f"{col} IS NULL OR ({col} {low} {stats['min_value']} AND {col} {high} {stats['max_value']})"
    if "pattern" in stats:
        pattern = str(stats["pattern"])
        pattern = pattern if pattern.startswith("^") else "^" + pattern  # re.match anchors at the start
        return f"{col} IS NULL OR regexp_matches({col}, {_literal(pattern)})"
    raise Untranslatable(f"check {check.name!r} on {column!r} has no SQL translation")


def rules(
    schema: pa.DataFrameSchema, relation: str, column_for_check: dict[str, str] | None = None
) -> list[tuple[str, str, str, str]]:
    """(SQL true when the row breaks the rule, column shown, rule name, message) for every rule."""
    out = []
    for name, column in schema.columns.items():
        meta = column.metadata or {}
        shown = meta.get("report_as", name)  # e.g. year is derived from application_date
        if not column.nullable:
            missing = meta.get("missing", f"{name} is missing or not a valid {column.dtype}")
            out.append((f'"{name}" IS NULL', shown, "required_value", missing))
        for check in column.checks:
            out.append(
                (f"NOT coalesce(({check_condition(name, check)}), false)", shown, check.name, check.error or check.name)
            )
    for check in schema.checks:
        target = (column_for_check or {}).get(check.name)
        out.append(
            (
                f"NOT coalesce(({check_condition('', check, relation)}), true)",
                target,
                check.name,
                check.error or check.name,
            )
        )
    return out


def failures_sql(
    schema: pa.DataFrameSchema, relation: str, key: str = "row_id", column_for_check: dict[str, str] | None = None
) -> str:
    """SELECT key, column_name, rule, message for every (row, rule) that fails.

    One scan of `relation` evaluates every rule into a flag per row; only the rows with a flag set
    (a handful) are kept, and unpacked into one line per broken rule.
    """
    found = rules(schema, relation, column_for_check)
    flags = ", ".join(f"({condition}) AS f{i}" for i, (condition, *_) in enumerate(found))
    any_flag = " OR ".join(f"f{i}" for i in range(len(found)))
    unpack = "\nUNION ALL\n".join(
        f"SELECT {key}, {_literal(column) if column else 'NULL'} AS column_name, {_literal(rule)} AS rule, "
        f"{_literal(message)} AS message FROM flagged WHERE f{i}"
        for i, (_, column, rule, message) in enumerate(found)
    )
    return f"WITH flagged AS MATERIALIZED (SELECT {key}, {flags} FROM {relation} WHERE {any_flag})\n{unpack}"
