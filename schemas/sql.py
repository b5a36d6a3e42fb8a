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


def check_condition(column: str, check: pa.Check) -> str:
    """SQL that is true for a valid value of `column` (NULLs pass, as in pandera)."""
    stats = check.statistics or {}
    col = f'"{column}"'
    if "sql" in stats:
        return stats["sql"]
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


def _filter(condition: str, default: str) -> str:
    """WHERE, or QUALIFY for a condition with a window function (e.g. duplicates per pupil)."""
    clause = "QUALIFY" if " OVER " in condition.upper() else "WHERE"
    return f"{clause} NOT coalesce(({condition}), {default})"


def failures_sql(schema: pa.DataFrameSchema, relation: str, key: str = "row_id",
                 column_for_check: dict[str, str] | None = None) -> str:
    """SELECT key, column_name, rule, message for every (row, rule) that fails."""
    parts = []
    for name, column in schema.columns.items():
        meta = column.metadata or {}
        shown = meta.get("report_as", name)  # e.g. year is derived from application_date
        if not column.nullable:
            missing = meta.get("missing", f"{name} is missing or not a valid {column.dtype}")
            parts.append(f"SELECT {key}, '{shown}' AS column_name, 'required_value' AS rule, "
                         f"{_literal(missing)} AS message "
                         f'FROM {relation} WHERE "{name}" IS NULL')
        for check in column.checks:
            parts.append(f"SELECT {key}, '{shown}', {_literal(check.name)}, {_literal(check.error or check.name)} "
                         f"FROM {relation} {_filter(check_condition(name, check), 'false')}")
    for check in schema.checks:
        target = (column_for_check or {}).get(check.name)
        parts.append(f"SELECT {key}, {_literal(target) if target else 'NULL'}, {_literal(check.name)}, "
                     f"{_literal(check.error or check.name)} FROM {relation} "
                     f"{_filter(check_condition('', check), 'true')}")
    return "\nUNION ALL\n".join(parts)
