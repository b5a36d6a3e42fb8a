"""The same-work floor (issue 33): every step the run promises, on the same files, with nothing
around it: one process, one DuckDB connection, no Dagster, hand-written SQL (bench/sql/same_work_*.sql).

Step by step, against the run (bench/README.md has the table):
  * the encoding of each file: overgang.encoding's pre-pass (quick_inspect, and the full inspect
    where the read shows it is needed), which also counts the lines and hashes the file;
  * each file read once by DuckDB as text, unreadable lines to the quarantine (csv_structure);
  * the keyed pseudonym (overgang.pseudonymise.pseudonym_sql) and the CPR guard on every other
    column (the slots of intake.applications.ingest.cpr_guarded: overgang.cpr's prefilter, then
    normalised_sql for the rare rows it passes);
  * exact copies and every validation rule, with failing rows to the quarantine: the project's
    own SQL (intake/applications/validate.py, schemas/sql.py from the pandera schema), called
    without Dagster;
  * the row ledger of every file (same_work_ledger.sql) and its blocking check's sentences
    (intake.applications.ledger.ledger_problems);
  * the valid rows (applications.sql) and the three søgetal tables (their own SQL files);
  * the published file written once (same_work_publish.sql), with the analyst views and the
    søgetal as Parquet.
Not done: what only a run with history does (refusing mixed keys or synthetic years, the shrink
check against an earlier publication, keeping the previous file, the inbox), the registry's other
sources and the data dictionary.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import duckdb

from assets.sql import read_sql
from intake.applications.ingest import UNDECODABLE, cpr_guarded, match_columns, quarantine_rejects
from intake.applications.ledger import ledger_problems, ledger_rows
from intake.applications.validate import quarantine_duplicates, quarantine_failures, stage_typed_rows
from intake.sql import read_sql as read_intake_sql
from overgang.encoding import TextFile, duckdb_readable, inspect, quick_inspect
from overgang.pipeline_settings import load_unchecked
from overgang.pseudonymise import hmac_pads, pseudonym_sql
from overgang.settings import DATA_DIR, series_break_year
from schemas.reference import column_map
from schemas.sqltext import SQL, fill, ident, idents

SQL_DIR = Path(__file__).resolve().parent / "sql"
RUN_ID = "same-work-floor"
# The CPR column's own shape (staging_applications.sql): ddmmyy-xxxx, the hyphen optional.
CPR_SHAPE = "(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{2}-?[0-9]{4}"
SHARE_TABLES = ("application_shares", "school_application_shares", "application_shares_by_sex")
PUBLISHED = (
    "applications",
    *SHARE_TABLES,
    "quarantine",
    "file_ledger",
    "ingested_files",
    "kommuner",
    "education_codes",
    "education_groups",
    "applicant_types",
)


def _sql(name: str, **slots: SQL) -> SQL:
    return fill((SQL_DIR / f"same_work_{name}.sql").read_text(encoding="utf-8"), **slots)


def _run(con, sql: SQL, params: dict | None = None) -> None:
    """Each statement of a file in turn (DuckDB takes parameters for one statement at a time),
    with the parameters it names."""
    for statement in (s.strip() for s in sql.split(";\n")):
        if statement:
            named = set(re.findall(r"\$([a-z_][a-z0-9_]*)", statement))
            con.execute(statement, {k: v for k, v in (params or {}).items() if k in named})


def _header(text: TextFile) -> list[str]:
    with text.path.open("r", encoding=text.encoding, newline="") as f:
        line = f.readline().rstrip("\r\n")
    return [c.strip().strip('"') or f"(empty column {i})" for i, c in enumerate(line.split(";"), 1)]


def _stage(con, path: Path, year: int, text: TextFile, inner: bytes, outer: bytes) -> tuple[int, list] | None:
    """The file's rows into `staged`; (rows, rejected lines), or None, for the caller to roll back,
    when a quick pre-pass turns out not to be enough (a line not UTF-8, or lines missing: blank lines)."""
    header = _header(text)
    columns = match_columns(header, path.name)
    spec = column_map()["applications"]
    kept = [c for c in columns if not spec[c].get("drop")]
    sources = {c: (ident(columns[c]) if c in kept else SQL("NULL")) for c in spec}
    guarded, guard_params = cpr_guarded(sources)
    guarded = {c: e for c, e in guarded.items() if not spec.get(c, {}).get("drop")}
    first = con.execute("SELECT count(*) FROM staged").fetchone()[0]
    with duckdb_readable(text, con) as (readable, encoding):
        rows = con.execute(
            _sql(
                "stage", pseudonym=SQL(pseudonym_sql(sources["cpr"])), used=idents(columns[c] for c in kept), **guarded
            ),
            {
                "file_year": year,
                "source_file": path.name,
                "path": readable,
                "columns": {h: "VARCHAR" for h in header},
                "encoding": encoding,
                "cpr_shape": CPR_SHAPE,
                "hmac_inner": inner,
                "hmac_outer": outer,
                **guard_params,
            },
        ).fetchone()[0]
    rejects = con.execute(
        "SELECT DISTINCT ON (line) line, column_name, error_type FROM extract_rejects ORDER BY line"
    ).fetchall()
    if not text.checked and (any(kind in UNDECODABLE for *_, kind in rejects) or rows + len(rejects) + 1 != text.lines):
        return None
    skipped = text.blank_lines + [line for line, *_ in rejects]
    if skipped:
        # Rows after a blank or unreadable line sit further down the file than their position
        # says. (An open transaction's rows have rowids of their own: counted from its first.)
        skip = set(skipped)
        con.execute(
            "UPDATE staged SET source_line = ($lines::BIGINT[])[rowid - (SELECT min(rowid) FROM staged "
            "WHERE source_file = $f) + 1] WHERE source_file = $f",
            {"f": path.name, "lines": [line for line in range(2, text.lines + 1) if line not in skip]},
        )
    if rejects:
        quarantine_rejects(con, year, path.name, columns, rejects, RUN_ID)
    con.execute(
        "INSERT INTO ingested_files VALUES ($f, $y, $sha, $enc, $lines, $blank, $first, $rows, $rejected, $first_rejected)",
        {
            "f": path.name,
            "y": year,
            "sha": text.sha256,
            "enc": text.encoding,
            "lines": text.lines,
            "blank": len(text.blank_lines),
            "first": first,
            "rows": rows,
            "rejected": len(rejects),
            "first_rejected": rejects[0][0] if rejects else None,
        },
    )
    return rows, rejects


def same_work_job(
    files: list[Path],
    key: bytes,
    work_db: Path,
    published: Path,
    memory_limit: str = "1GB",
    synthetic: bool = False,
) -> dict:
    """The whole job; returns counts, the ledger's problems and seconds per step. The søgetal are
    in the published file's application_shares (and the working database's)."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = round(now - started, 3)
        started = now

    spec = column_map()
    types = [(value, group) for group, values in spec["applicant_types"].items() for value in values]
    years = sorted({int(f.stem[-4:]) for f in files})
    inner, outer = hmac_pads(key)
    with duckdb.connect(str(work_db)) as con:
        con.execute("SET memory_limit = $m", {"m": memory_limit})
        con.execute("SET preserve_insertion_order = true")  # a row's position is its place in the file
        con.execute(read_intake_sql("applications", "quarantine"))
        _run(
            con,
            _sql("tables"),
            {
                "kommuner": str(DATA_DIR / "reference" / "kommuner.csv"),
                "education_codes": str(DATA_DIR / "config" / "education_codes.csv"),
                "education_groups": str(DATA_DIR / "config" / "education_groups.csv"),
                "applicant_types": [v for v, _ in types],
                "applicant_groups": [g for _, g in types],
            },
        )
        step("tables")
        texts = {path: quick_inspect(path) for path in files}
        while True:  # every file staged in one transaction, then one commit
            con.execute("BEGIN TRANSACTION")
            redo = next((p for p in files if _stage(con, p, int(p.stem[-4:]), texts[p], inner, outer) is None), None)
            if redo is None:
                break
            # The full pre-pass (which encoding exactly, where the blank lines are), and staging
            # again from the start: no row is ever deleted, so a row's position stays its rowid.
            con.execute("ROLLBACK")
            texts[redo] = inspect(redo)
        con.execute("COMMIT")
        step("staging")
        # The project's validation, as build_applications calls it (without its Dagster asset).
        rows = stage_typed_rows(con, years)
        duplicates = quarantine_duplicates(con, years, RUN_ID)
        quarantine_failures(con, RUN_ID)
        step("validation")
        typed = ident("typed_rows")
        con.execute(
            fill(
                "CREATE TABLE applications AS ${select}", select=read_sql("applications", "applications", typed=typed)
            ),
            {"years": years},
        )
        step("applications")
        con.execute(_sql("ledger"), {"run_id": RUN_ID})
        problems = ledger_problems(ledger_rows(con, years), load_unchecked().max_quarantine_share)
        step("ledger")
        for table in SHARE_TABLES:
            con.execute(
                fill("CREATE TABLE ${table} AS ${select}", table=ident(table), select=read_sql("applications", table)),
                {"years": years, "series_break": series_break_year()},
            )
        step("soegetal")
        _publish(con, published, synthetic)
        step("publish")
        valid = con.execute("SELECT count(*) FROM applications").fetchone()[0]
        quarantined = con.execute(
            "SELECT count(DISTINCT row_id) FROM quarantine WHERE rule <> 'duplicate_row'"
        ).fetchone()[0]
    return {
        "rows": rows,
        "duplicates": duplicates,
        "rows_quarantined": quarantined,
        "rows_written": valid,
        "ledger_problems": problems,
        "step_seconds": seconds,
    }


def _publish(con, published: Path, synthetic: bool) -> None:
    """The published file written once, then its analyst views and the søgetal as Parquet (the
    `warehouse` asset's publish, without an earlier publication to append to or keep)."""
    from schemas.dictionary import create_views
    from schemas.warehouse import MARTS

    published.unlink(missing_ok=True)
    work = con.execute("SELECT current_database()").fetchone()[0]
    con.execute("ATTACH $path AS pub", {"path": str(published)})
    con.execute("BEGIN TRANSACTION")  # one commit: the file is written once
    for table in PUBLISHED:
        con.execute(_sql("publish", table=ident(table)))
    con.execute(_sql("publication"), {"run_id": RUN_ID, "synthetic": synthetic})
    con.execute("COMMIT")
    con.execute("USE pub")
    try:
        create_views(con)
        parquet = published.parent / "parquet"
        parquet.mkdir(parents=True, exist_ok=True)
        for name in MARTS:
            con.execute(
                fill("COPY (FROM analyst.${name}) TO $path (FORMAT parquet, COMPRESSION zstd)", name=ident(name)),
                {"path": str(parquet / f"{name}.parquet")},
            )
    finally:
        con.execute(fill("USE ${work}", work=ident(work)))
        con.execute("DETACH pub")


if __name__ == "__main__":  # a quick look on the shipped sample: uv run python bench/same_work.py
    import tempfile

    from overgang.pseudonymise import load_key
    from overgang.settings import SAMPLE_DIR

    sample = sorted(SAMPLE_DIR.glob("optagelse_*.csv"))
    with tempfile.TemporaryDirectory() as tmp:
        print(
            json.dumps(
                same_work_job(sample, load_key(sample)[0], Path(tmp) / "work.duckdb", Path(tmp) / "pub.duckdb"),
                indent=2,
            )
        )
