"""Row-level failures of small source tables: checked with their pandera schema, and what fails
goes to the ``quarantine`` table with file, line, column, value and rule (nothing is dropped)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from intake.sources.tables import FileRejected
from intake.sql import read_sql
from overgang.cpr import has_cpr, scrub


@dataclass
class Failure:
    source_file: str
    source_line: int | None
    column_name: str | None
    value: str | None
    rule: str
    message: str
    year: int | None = None


def _messages(schema: pa.DataFrameSchema) -> dict[tuple[str | None, str], str]:
    out = {}
    for name, column in schema.columns.items():
        for check in column.checks:
            out[(name, check.name)] = check.error or str(check)
    for check in schema.checks:
        out[(None, check.name)] = check.error or str(check)
    return out


def split_valid(
    frame: pd.DataFrame, schema: pa.DataFrameSchema, source_file: str, raw: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, list[Failure]]:
    """Validate lazily; the rows that pass, and one Failure per failing row and rule.

    `raw` is the text as read (same index), so the quarantine shows what the file said, not
    the value after parsing. A check on the whole frame without row positions fails every row.
    """
    try:
        return schema.validate(frame, lazy=True), []
    except SchemaErrors as err:
        cases = err.failure_cases
    messages = _messages(schema)
    # pandera reports a check by its `error` text where it has one: back to the rule's name.
    names = {message: name for (_, name), message in messages.items()}
    raw = frame if raw is None else raw
    failures, bad, seen = [], set(), set()
    for case in cases.itertuples():
        # A rule on the whole row (pandera repeats it for every column): one failure per row.
        whole_row = case.schema_context == "DataFrameSchema"
        column = (
            case.column if not whole_row and isinstance(case.column, str) and case.column in frame.columns else None
        )
        check = str(case.check)
        rule = names.get(check) or (check.split("(")[0] if check else "schema")
        if rule == "coerce_dtype":
            wanted = check.split("(")[1].strip("')")
            rule, check = "readable_value", f"the value cannot be read as {wanted}"
        index = case.index
        rows = [index] if index is not None and not pd.isna(index) and index in frame.index else list(frame.index)
        for i in rows:
            if (i, check, column) in seen:
                continue
            seen.add((i, check, column))
            bad.add(i)
            value = raw.at[i, column] if column and column in raw.columns else None
            failures.append(
                Failure(
                    source_file,
                    int(frame.at[i, "source_line"]),
                    column,
                    None if value is None or pd.isna(value) else scrub(str(value)),
                    rule,
                    messages.get((column, check), messages.get((None, check), check)),
                    _year(frame, i),
                )
            )
    valid = frame.drop(index=sorted(bad))
    return schema.validate(valid, lazy=True), failures


CPR_MESSAGE = (
    "a CPR-shaped number in this column: the value is withheld and the row is not loaded; "
    "a table of figures must not hold CPR numbers"
)


def withhold_cpr(frame: pd.DataFrame, source_file: str) -> tuple[pd.DataFrame, list[Failure]]:
    """Rows with a CPR-shaped number in any text cell, taken out before anything is stored.

    Small tables (targets, goals, published figures, StatBank, profilmodel) have free-text
    columns (a decision, a source, an area name) that the schema accepts whatever they hold."""
    failures, bad = [], set()
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        hits = frame[column].map(lambda v: isinstance(v, str) and has_cpr(v))
        for i in frame.index[hits]:
            bad.add(i)
            line = frame.at[i, "source_line"] if "source_line" in frame.columns else None
            failures.append(
                Failure(
                    source_file,
                    None if line is None or pd.isna(line) else int(line),
                    column,
                    None,
                    "cpr_in_wrong_column",
                    CPR_MESSAGE,
                    _year(frame, i),
                )
            )
    return frame.drop(index=sorted(bad)), failures


SHOWN_REASONS = 5  # in a refusal: the first reasons, each with its lines; the rest are counted
# pandera's own check names, in the analyst's words.
PLAIN = {"not_nullable": "the value is missing, or cannot be read as what the column holds"}


def refuse_when_nothing_loads(file_name: str, frame: pd.DataFrame, failures: list[Failure], what: str) -> None:
    """FileRejected when no row of a small table would be loaded: every row fails a rule (or holds
    a CPR-shaped number), or there is none below the header. Accepted, it would read "accepted,
    0 figures" while nothing of it reaches the warehouse; refused at intake, the analyst gets the
    reasons at once. The reasons name rules and lines, never a value of the file."""
    frame, withheld = withhold_cpr(frame, file_name)
    if len(frame):
        return
    failures = [*failures, *withheld]
    if not failures:
        raise FileRejected(
            f"{file_name}: no {what} below the header, so there is nothing to load. Nothing was loaded "
            "from it (is it the table you meant to send?)."
        )
    lines: dict[tuple[str | None, str], set[int]] = {}
    for failure in failures:
        where = lines.setdefault((failure.column_name, PLAIN.get(failure.message, failure.message)), set())
        if failure.source_line is not None:
            where.add(failure.source_line)
    reasons = [
        f"- {message}{f' (column {column})' if column else ''}: {_lines(where)}"
        for (column, message), where in list(lines.items())[:SHOWN_REASONS]
    ]
    if len(lines) > SHOWN_REASONS:
        reasons.append(f"- and {len(lines) - SHOWN_REASONS} other reason(s) (the same lines)")
    rows = len({f.source_line for f in failures})
    raise FileRejected(
        f"{file_name}: every one of its {what} fails a check ({rows} row(s)), so nothing of it would be "
        "loaded:\n" + "\n".join(reasons) + "\nNothing was loaded from it."
    )


def _lines(numbers: set[int]) -> str:
    if not numbers:
        return "the whole table"
    shown = sorted(numbers)
    listed = ", ".join(map(str, shown[:10])) + (f" and {len(shown) - 10} more" if len(shown) > 10 else "")
    return f"line{'s' if len(shown) > 1 else ''} {listed}"


def _year(frame: pd.DataFrame, i) -> int | None:
    for name in ("year", "target_year"):
        if name in frame.columns:
            value = pd.to_numeric(pd.Series([frame.at[i, name]]), errors="coerce").iloc[0]
            return None if pd.isna(value) or not 0 <= value < 10000 else int(value)
    return None


def replace_quarantine(con, dataset: str, failures: list[Failure], run_id: str | None = None) -> None:
    """The quarantine rows of `dataset` become `failures` (a source is always re-read whole)."""
    con.execute(read_sql("applications", "quarantine"))
    con.execute("DELETE FROM quarantine WHERE dataset = ?", [dataset])
    if failures:
        con.executemany(
            "INSERT INTO quarantine (dataset, year, source_file, source_line, column_name, value, rule, message, run_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            # Withheld here, once for every reader, whatever a reader put in the value or message.
            [
                (
                    dataset,
                    f.year,
                    scrub(f.source_file),
                    f.source_line,
                    f.column_name,
                    None if f.value is None else scrub(str(f.value)),
                    f.rule,
                    scrub(f.message),
                    run_id,
                )
                for f in failures
            ],
        )
