"""National-scale benchmark: Overgang's ingest -> validate -> aggregate against the floor and
against the usual approach, at 1 M and 10 M application rows.

    uv run python bench/scale.py                 # 1M and 10M, 3 repetitions each
    uv run python bench/scale.py --sizes 1m --repeat 1

Measured, each in its own process (wall time and peak RSS of that process and its children):
  pipeline   a Dagster run of the assets application_extracts -> applications (+ quarantine and
             its blocking check) -> application_shares for all years, in a fresh home
  floor      (a) the pipeline's own SQL files run as plain DuckDB statements: the same reads and
             the same tables with the same columns written (staging_applications, applications,
             application_shares), without the encoding pre-pass, rejects, validation,
             quarantine or Dagster
  lean       a narrower reference: all files in one statement, only the columns søgetal need
  bare       (a') DuckDB reading the CSVs and computing the same aggregate, nothing written
  pandas     (b) pandas (pyarrow engine) reading the CSVs and pandera validating the same rules
  increment  the pipeline for one new year after ten loaded years, against its full rebuild
Data come from the project's generator (cached under bench/data/, not committed).
Results: bench/results/scale.json and a table on standard output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
SIZES = {"1m": 0.88, "10m": 8.8}  # generator scale giving about 1 and 10 million rows
KEY = "benchmark-key-not-secret-" + "0" * 40
MEMORY_LIMIT = "1GB"


def _files(size: str) -> list[Path]:
    folder = DATA / size
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {size} rows into {folder} ...", flush=True)
        from overgang.generator import generate

        generate(
            folder,
            scale=SIZES[size],
            all_municipalities=True,
            progress=lambda y, n: print(f"  {y}: {n:,} rows", flush=True),
        )
        marker.write_text("ok")
    return sorted(folder.glob("optagelse_*.csv"))


# -- the measured pieces, each run in a child process ------------------------------------------


def run_pipeline(size: str, home: str, years: str | None) -> dict:
    os.environ.update(OVERGANG_HOME=home, OVERGANG_INPUT_DIR=str(DATA / size), OVERGANG_CPR_KEY=KEY)
    from dagster import AssetKey, DagsterInstance
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from assets.partitions import APPLICATION_YEARS
    from overgang.settings import Settings, prepare_dagster_home
    from pipelines.definitions import build_definitions

    settings = Settings.load()
    prepare_dagster_home(settings)
    defs = build_definitions(settings)
    keys = APPLICATION_YEARS.get_partition_keys()
    first, last = (years.split("-") + [years])[:2] if years else (keys[0], keys[-1])
    job = defs.resolve_implicit_global_asset_job_def()
    wanted = [
        AssetKey(k)
        for k in (
            "application_extracts",
            "applications",
            "application_shares",
            "kommuner",
            "education_codes",
            "education_groups",
            "applicant_types",
        )
    ]
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            asset_selection=wanted,
            raise_on_error=True,
            run_config={"loggers": {"progress": {}}},
            tags={ASSET_PARTITION_RANGE_START_TAG: str(first), ASSET_PARTITION_RANGE_END_TAG: str(last)},
        )
    assert result.success
    import duckdb

    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM applications").fetchone()[0]
    return {"rows_loaded": rows}


def _floor_sql(files: list[Path]) -> list[tuple[str, dict]]:
    """The pipeline's own SQL files, run in order with nothing around them: the same tables with
    the same columns are written (staging_applications, applications, application_shares), but
    without the encoding pre-pass, the rejects table, validation, quarantine or Dagster."""
    import yaml

    from assets.applications.ingest import cpr_guarded
    from assets.sql import read_sql
    from overgang.pseudonymise import hmac_pads, pseudonym_sql
    from overgang.settings import DATA_DIR

    inner, outer = hmac_pads(KEY.encode())
    mapping = yaml.safe_load((DATA_DIR / "config" / "column_map.yaml").read_text(encoding="utf-8"))
    spec = mapping["applications"]
    types = [(v, group) for group, values in mapping["applicant_types"].items() for v in values]
    statements = [
        (f"SET memory_limit = '{MEMORY_LIMIT}'", {}),
        (read_sql("applications", "create_staging_applications"), {}),
        (f"CREATE TABLE kommuner AS FROM read_csv('{DATA_DIR / 'reference' / 'kommuner.csv'}')", {}),
        (f"CREATE TABLE education_codes AS FROM read_csv('{DATA_DIR / 'config' / 'education_codes.csv'}')", {}),
        (f"CREATE TABLE education_groups AS FROM read_csv('{DATA_DIR / 'config' / 'education_groups.csv'}')", {}),
        (
            "CREATE TABLE applicant_types AS SELECT * FROM (VALUES "
            + ", ".join(f"('{v}', '{g}')" for v, g in types)
            + ") AS t(applicant_type, applicant_group)",
            {},
        ),
    ]
    for f in files:
        year = int(f.stem[-4:])
        encoding = "latin-1" if year < 2020 else "utf-8"
        header = f.open(encoding="cp1252" if year < 2020 else "utf-8").readline().strip().replace('"', "").split(";")
        lower = {h.lower(): h for h in header}
        found = {c: next((lower[s.lower()] for s in v["source"] if s.lower() in lower), None) for c, v in spec.items()}
        sources = {c: f'"{h}"' if h and not spec[c].get("drop") else "NULL" for c, h in found.items()}
        used = ", ".join(f'"{h}"' for c, h in found.items() if h and not spec[c].get("drop"))
        extract = (
            f"(SELECT {used} FROM read_csv('{f}', delim=';', quote='\"', escape='\"', header=true, "
            f"auto_detect=false, columns={{{', '.join(repr(h) + ': ' + repr('VARCHAR') for h in header)}}}, "
            f"encoding='{encoding}'))"
        )
        statements += [
            (
                read_sql("applications", "staging_applications").format(
                    pseudonym=pseudonym_sql(sources["cpr"]), extract=extract, **cpr_guarded(sources)
                ),
                {"source_file": f.name, "file_year": year, "hmac_inner": inner, "hmac_outer": outer},
            ),
            (
                "UPDATE staging_applications SET row_id = rowid + 1, source_line = rowid - "
                "(SELECT min(rowid) FROM staging_applications WHERE row_id IS NULL) + 2 WHERE row_id IS NULL",
                {},
            ),
        ]
    years = sorted({int(f.stem[-4:]) for f in files})
    typed = read_sql("applications", "application_rows_typed").replace("$years", f"{years}")
    applications = read_sql("applications", "applications").format(typed=typed)
    applications = applications.replace(
        "AND row_id NOT IN (SELECT row_id FROM quarantine WHERE row_id IS NOT NULL)", ""
    )
    return statements + [
        (f"CREATE TABLE applications AS {applications}", {"years": years}),
        ("CREATE TABLE application_shares AS " + read_sql("applications", "application_shares"), {"years": years}),
    ]


def _lean_floor_sql(files: list[Path]) -> list[tuple[str, dict]]:
    """A leaner reference than (a): every file read in one statement, and only the ten columns
    the søgetal need staged and the nine they need kept. Not the pipeline's layout, so not the
    floor the targets are against; reported beside it to show what a narrower layout would save."""
    from assets.sql import read_sql
    from overgang.pseudonymise import hmac_pads, pseudonym_sql
    from overgang.settings import DATA_DIR

    inner, outer = hmac_pads(KEY.encode())
    reads = " UNION ALL ".join(
        f"SELECT * FROM read_csv('{f}', delim=';', header=true, all_varchar=true, "
        f"encoding='{'latin-1' if int(f.stem[-4:]) < 2020 else 'utf-8'}')"
        for f in files
    )
    return [
        (f"SET memory_limit = '{MEMORY_LIMIT}'", {}),
        (f"CREATE TABLE kommuner AS FROM read_csv('{DATA_DIR / 'reference' / 'kommuner.csv'}')", {}),
        (f"CREATE TABLE education_codes AS FROM read_csv('{DATA_DIR / 'config' / 'education_codes.csv'}')", {}),
        (f"CREATE TABLE education_groups AS FROM read_csv('{DATA_DIR / 'config' / 'education_groups.csv'}')", {}),
        (
            f"""CREATE TABLE staging AS SELECT {pseudonym_sql('"CPR"')} AS pupil_id, "Skolens institutionsnummer" AS inst,
                "Skolens kommunenr" AS school_kommune, "Bopælskommunenr" AS residence_kommune, "Klassetrin" AS grade,
                "Ansøgertype" AS applicant_type, "Prioritet" AS priority, "Uddannelse" AS education_code,
                "EUX" AS eux, "Ansøgningsdato" AS application_date FROM ({reads})""",
            {"hmac_inner": inner, "hmac_outer": outer},
        ),
        (
            """CREATE TABLE applications AS SELECT year(application_date::DATE)::SMALLINT AS year, pupil_id,
                TRY_CAST(school_kommune AS SMALLINT) AS school_kommune, TRY_CAST(residence_kommune AS SMALLINT) AS residence_kommune,
                TRY_CAST(grade AS SMALLINT) AS grade, CASE WHEN applicant_type = 'Direkte fra skole' THEN 'direct' ELSE 'outside' END AS applicant_group,
                TRY_CAST(priority AS SMALLINT) AS priority, education_code, c."group" AS education_group
            FROM staging JOIN education_codes c ON c.code = staging.education_code""",
            {},
        ),
        (
            "CREATE TABLE application_shares AS " + read_sql("applications", "application_shares"),
            {"years": list(range(2000, 2100))},
        ),
    ]


def run_floor(size: str, db: str, lean: bool = False) -> dict:
    import duckdb

    with duckdb.connect(db) as con:
        for sql, params in (_lean_floor_sql if lean else _floor_sql)(_files(size)):
            con.execute(sql, params)
        return {"rows_loaded": con.execute("SELECT count(*) FROM applications").fetchone()[0]}


def run_bare(size: str) -> dict:
    import duckdb

    files = _files(size)
    reads = " UNION ALL ".join(
        f'SELECT "Skolens kommunenr" AS k, "Uddannelse" AS code, "Ansøgningsdato" AS d, "Prioritet" AS p, '
        f"\"Ansøgertype\" AS t FROM read_csv('{f}', delim=';', header=true, all_varchar=true, "
        f"encoding='{'latin-1' if int(f.stem[-4:]) < 2020 else 'utf-8'}')"
        for f in files
    )
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    rows = con.execute(f"""SELECT year(d::DATE) AS year, k, code, count(*) FROM ({reads})
                           WHERE p = '1' AND t = 'Direkte fra skole' GROUP BY ALL""").fetchall()
    return {"groups": len(rows)}


def run_pandas(size: str) -> dict:
    import hashlib
    import hmac

    import pandas as pd
    import pyarrow as pa_arrow
    import pyarrow.csv as pacsv

    from schemas.applications import application_schema

    key = KEY.encode()
    frames = []
    for f in _files(size):
        # pandas' own pyarrow engine infers numbers before dtype=str applies (101002 -> '101002.0'),
        # so read through pyarrow with every column as text, then hand the table to pandas.
        header = (
            f.open(encoding="cp1252" if int(f.stem[-4:]) < 2020 else "utf-8")
            .readline()
            .strip()
            .replace('"', "")
            .split(";")
        )
        raw = pacsv.read_csv(
            f,
            read_options=pacsv.ReadOptions(encoding="cp1252" if int(f.stem[-4:]) < 2020 else "utf8"),
            parse_options=pacsv.ParseOptions(delimiter=";"),
            convert_options=pacsv.ConvertOptions(column_types={c: pa_arrow.string() for c in header}),
        ).to_pandas()
        raw = raw.replace("", None)  # as the pipeline's typed view: an empty field is missing
        typed = pd.DataFrame(
            {
                "cpr_status": raw["CPR"].str.fullmatch(r"\d{6}-?\d{4}").map({True: "ok", False: "malformed"}),
                # The same keyed pseudonym as the pipeline (HMAC-SHA256, first 64 bits), per row in Python:
                # an unkeyed hash would flatter this baseline (issue 17).
                "pupil_id": pd.array(
                    [
                        None
                        if c is None
                        else int.from_bytes(
                            hmac.new(key, c.strip().replace("-", "").encode(), hashlib.sha256).digest()[:8], "big"
                        )
                        for c in raw["CPR"]
                    ],
                    dtype="UInt64",
                ),
                "sex": None,
                "year": pd.to_datetime(raw["Ansøgningsdato"], errors="coerce").dt.year.astype("Int64"),
                "file_year": int(f.stem[-4:]),
                "application_date": pd.to_datetime(raw["Ansøgningsdato"], errors="coerce"),
                "school_institution_number": raw["Skolens institutionsnummer"],
                "school_name": raw["Skolens navn"],
                "school_kommune": pd.to_numeric(raw["Skolens kommunenr"], errors="coerce").astype("Int64"),
                "residence_kommune": pd.to_numeric(raw["Bopælskommunenr"], errors="coerce").astype("Int64"),
                "grade": pd.to_numeric(raw["Klassetrin"], errors="coerce").astype("Int64"),
                "applicant_type": raw["Ansøgertype"],
                "priority": pd.to_numeric(raw["Prioritet"], errors="coerce").astype("Int64"),
                "education_code": raw["Uddannelse"],
                "eux": raw["EUX"].fillna(""),
            }
        )
        frames.append(typed)
    frame = pd.concat(frames, ignore_index=True)
    import pandera.pandas as pa

    try:
        valid = application_schema().validate(frame, lazy=True)
        failures = 0
    except pa.errors.SchemaErrors as err:
        failures = len(err.failure_cases)
        valid = frame.drop(index=err.failure_cases["index"].dropna().unique())
    # The same output as the pipeline's: the validated rows written once (Parquet, as an analyst
    # would hand them on), so the baseline does the whole job and not only the reading.
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        valid.to_parquet(Path(tmp) / "applications.parquet", index=False)
    return {"rows_validated": len(frame), "failure_cases": failures, "rows_written": len(valid)}


# -- measuring --------------------------------------------------------------------------------


def measure(args: list[str]) -> tuple[float, float, dict]:
    """Wall time and peak RSS (MB) of `python bench/scale.py _child ARGS` and its children."""
    code = (
        "import resource, subprocess, sys, json; "
        f"r = subprocess.run([sys.executable, {str(Path(__file__))!r}, '_child', *sys.argv[1:]], capture_output=True, text=True); "
        "sys.stderr.write(r.stderr[-3000:] if r.returncode else ''); "
        "print(json.dumps({'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, 'out': r.stdout.strip().splitlines()[-1] if r.stdout.strip() else '{}', 'rc': r.returncode}))"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if out.returncode != 0 or not out.stdout.strip():
        sys.exit(f"{args} failed:\n{out.stderr[-3000:]}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    if info["rc"] != 0:
        sys.exit(f"{args} failed:\n{out.stderr[-3000:]}")
    return wall, info["rss"] / 1024, json.loads(info["out"])


def child(argv: list[str]) -> None:
    mode, size, *rest = argv
    if mode == "pipeline":
        result = run_pipeline(size, rest[0], rest[1] if len(rest) > 1 else None)
    elif mode in ("floor", "lean"):
        result = run_floor(size, rest[0], lean=mode == "lean")
    elif mode == "bare":
        result = run_bare(size)
    else:
        result = run_pandas(size)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1m,10m")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    results = {"measured_at": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{os.cpu_count()} cores", "sizes": {}}
    out_file = ROOT / "bench" / "results" / "scale.json"
    for size in args.sizes.split(","):
        files = _files(size)
        rows = sum(1 for f in files for _ in f.open("rb")) - len(files)
        entry = {"rows": rows, "bytes": sum(f.stat().st_size for f in files)}
        modes = ["pipeline", "floor", "lean", "bare"] + ([] if args.skip_pandas else ["pandas"])
        for mode in modes:
            walls, peaks = [], []
            for i in range(args.repeat):
                with tempfile.TemporaryDirectory(dir=DATA) as tmp:
                    extra = {
                        "pipeline": [str(Path(tmp) / "home")],
                        "floor": [str(Path(tmp) / "floor.duckdb")],
                        "lean": [str(Path(tmp) / "lean.duckdb")],
                    }.get(mode, [])
                    wall, rss, info = measure([mode, size, *extra])
                walls.append(wall)
                peaks.append(rss)
                print(f"{size} {mode:9s} run {i + 1}: {wall:6.1f} s  {rss:7.0f} MB  {info}", flush=True)
            entry[mode] = {
                "seconds": round(statistics.median(walls), 2),
                "peak_rss_mb": round(statistics.median(peaks)),
                "all_seconds": [round(w, 2) for w in walls],
            }
        # One new year after ten loaded, against the full rebuild just measured.
        with tempfile.TemporaryDirectory(dir=DATA) as tmp:
            home = str(Path(tmp) / "home")
            measure(["pipeline", size, home, "2015-2024"])
            walls = [measure(["pipeline", size, home, "2025"])[0] for _ in range(args.repeat)]
        entry["increment"] = {
            "seconds": round(statistics.median(walls), 2),
            "share_of_full": round(statistics.median(walls) / entry["pipeline"]["seconds"], 3),
        }
        p, a, b = entry["pipeline"], entry["floor"], entry["bare"]
        entry["ratios"] = {
            "pipeline_over_floor": round(p["seconds"] / a["seconds"], 2),
            "pipeline_over_lean_floor": round(p["seconds"] / entry["lean"]["seconds"], 2),
            "pipeline_over_bare": round(p["seconds"] / b["seconds"], 2),
        }
        if "pandas" in entry:
            entry["ratios"].update(
                pandas_over_pipeline_time=round(entry["pandas"]["seconds"] / p["seconds"], 2),
                pandas_over_pipeline_memory=round(entry["pandas"]["peak_rss_mb"] / p["peak_rss_mb"], 2),
            )
        results["sizes"][size] = entry
        out_file.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(sys.argv[2:])
    else:
        main()
