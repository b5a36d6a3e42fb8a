"""The usual approaches, doing the pipeline's job: pandas + pandera, and polars + pandera.polars.

Both do what the pipeline does from the CSV files to the søgetal (issue 17, "a fair baseline"):
  * read every extract as text (Windows-1252 or UTF-8), keeping only the non-personal columns;
  * pseudonymise the CPR number with the pipeline's keyed HMAC-SHA256 (first 64 bits, the key
    from ``overgang.pseudonymise.load_key``), status ok / missing / malformed, sex from the last
    digit; every other column guarded for a CPR-shaped value (the row is held back);
  * hold back exact copies of an earlier row of the same year (``duplicate_row``);
  * cast to types as ``application_rows_typed.sql`` does (an unreadable number is -1, an empty
    field or 'ukendt' is missing; dates ISO, DD-MM-YYYY or DD.MM.YYYY);
  * validate with lazy validation against the pipeline's rules: pandas uses the pipeline's own
    pandera schema (``schemas.applications.application_schema``); polars uses a
    ``pandera.polars`` schema built from it (the same columns, nullability and built-in checks;
    the frame-wide checks written as polars expressions, one per rule of the pandas schema);
  * drop every row that failed a rule, join applicant types and education codes
    (``applications.sql``) and compute the søgetal as ``application_shares.sql`` does;
  * write the valid rows and the søgetal to Parquet.

``compare_shares`` checks a baseline's søgetal against the pipeline's ``application_shares``,
row for row: a fast but wrong baseline is worthless. Both are exercised on the shipped sample by
``tests/test_bench_baselines.py`` (no timings there).

Where a baseline has a choice, it takes the one a competent engineer would: the HMAC is computed
once per distinct CPR number (Python's one-shot ``hmac.digest``), not once per row; pandas reads
through pyarrow and uses Arrow-backed strings until pandera needs Python ``str`` columns.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
from pathlib import Path

import numpy as np
import pandas as pd

from intake.applications.validate import RAW_COLUMNS, STAGED_COLUMNS
from overgang import cpr as cpr_rule
from overgang.cpr import CPR_WITHHELD
from overgang.settings import DATA_DIR, series_break_year
from schemas.reference import column_map, education_codes, kommuner
from schemas.warehouse import application_shares_schema

CPR_SHAPE = r"(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{2}-?[0-9]{4}"  # staging_applications.sql
# The staged text columns and what makes two rows copies, as the pipeline names them.
RAW = [*RAW_COLUMNS, "application_status"]
STAGED = STAGED_COLUMNS  # equal in all = a copy
# The søgetal table's columns, in the pipeline's order (application_shares).
SHARE_COLUMNS = list(application_shares_schema.columns)
# The guard as the pipeline has it (overgang.cpr): a cheap RE2 test of the raw value, then the
# normalised value against the CPR-or-long-number rule for the rare values it passes.
CPR_PREFILTER = cpr_rule.prefilter()
CPR_OR_LONG = cpr_rule.CPR_OR_LONG_NUMBER_SQL.replace("(^|", "(?:^|").replace("([^0-9]|$)", "(?:[^0-9]|$)")
SMALLINT = (-32768, 32767)
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
SHARE_KEYS = ["year", "geography_basis", "kommune_code", "grade", "education_group"]


def file_year(path: Path) -> int:
    return int(path.stem[-4:])


def encoding_of(path: Path) -> str:
    """UTF-8 when the first megabyte decodes as UTF-8, else Windows-1252 (as overgang.encoding)."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def header_columns(path: Path, encoding: str) -> dict[str, str | None]:
    """Canonical column -> the file's header name, for the columns the pipeline keeps."""
    with path.open(encoding=encoding, newline="") as f:
        header = [h.strip().strip('"') for h in f.readline().rstrip("\r\n").split(";")]
    lower = {h.lower(): h for h in header}
    found = {}
    for canonical, spec in column_map()["applications"].items():
        if spec.get("drop"):
            continue
        name = next((lower[s.lower()] for s in spec["source"] if s.lower() in lower), None)
        if name is None and not spec.get("optional"):
            raise ValueError(f"{path.name}: no column for {canonical}")
        found[canonical] = name
    return found


def hmac_ids(key: bytes, values) -> np.ndarray:
    """First 64 bits of HMAC-SHA256(key, value), as overgang.pseudonymise.pseudonym_sql."""
    return np.fromiter(
        (int.from_bytes(hmac.digest(key, v.encode(), hashlib.sha256)[:8], "big") for v in values),
        dtype=np.uint64,
        count=len(values),
    )


def reference_tables() -> dict[str, pd.DataFrame]:
    types = [(v, g) for g, vs in column_map()["applicant_types"].items() for v in vs]
    return {
        "applicant_types": pd.DataFrame(types, columns=["applicant_type", "applicant_group"]),
        "education_codes": education_codes()[["code", "group"]].rename(columns={"group": "education_group"}),
        "education_groups": pd.read_csv(DATA_DIR / "config" / "education_groups.csv"),
        "kommuner": kommuner()[["kommune_code", "kommune_name"]],
    }


# -- pandas + pandera ---------------------------------------------------------------------------


def _pandas_file(path: Path, key: bytes) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    encoding = encoding_of(path)
    columns = header_columns(path, encoding)
    used = [h for h in columns.values() if h]
    raw = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf8" if encoding.startswith("utf-8") else encoding),
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(include_columns=used, column_types={h: pa.string() for h in used}),
    ).to_pandas(types_mapper=pd.ArrowDtype)
    n = len(raw)
    text = {c: (raw[h] if h else pd.Series([None] * n, dtype=pd.ArrowDtype(pa.string()))) for c, h in columns.items()}

    cpr = text.pop("cpr").str.strip(" ")
    cpr_ok = cpr.str.fullmatch(CPR_SHAPE).fillna(False).astype(bool)
    cpr_status = np.where(cpr_ok, "ok", np.where(cpr.fillna("").eq(""), "missing", "malformed"))
    pupil_id = pd.array(np.zeros(n, dtype=np.uint64), dtype="UInt64")
    pupil_id[~cpr_ok.to_numpy()] = pd.NA
    codes, uniques = pd.factorize(cpr[cpr_ok].str.replace("-", "", regex=False))
    pupil_id[cpr_ok.to_numpy()] = hmac_ids(key, list(uniques))[codes]
    odd = cpr.str[-1:].isin(list("13579")).fillna(False).to_numpy(dtype=bool)
    sex = pd.Series(np.where(odd, "M", "K"), dtype=object).where(cpr_ok.to_numpy(), None)

    # The CPR guard: a CPR-shaped value in any other column is withheld and the row held back.
    found = np.zeros(n, dtype=bool)
    for c in RAW:
        if columns.get(c):
            # Arrow's RE2 directly: pandas would compile the pattern with Python's re first.
            values = pa.array(text[c].array)
            hit = pc.fill_null(pc.match_substring_regex(values, CPR_PREFILTER), False).to_numpy(zero_copy_only=False)
            if hit.any():
                hit[hit] = [cpr_rule.has_cpr_or_long_number(v) for v in text[c][hit]]
            if hit.any():
                text[c] = text[c].where(~hit, CPR_WITHHELD)
                found |= hit
    staged = pd.DataFrame(
        {"pupil_id": pupil_id, "cpr_status": cpr_status, "sex": sex, **{c: text[c] for c in RAW}, "cpr_found_in": found}
    )
    staged["file_year"] = file_year(path)
    return staged


def _int_or_minus_one(s: pd.Series, missing: pd.Series) -> pd.Series:
    number = pd.to_numeric(s.astype(object), errors="coerce").round()
    out = pd.Series(number.where(number.between(*SMALLINT), -1).to_numpy(dtype="int64"), index=s.index, dtype="Int64")
    out[missing.to_numpy()] = pd.NA
    return out


def _pandas_typed(staged: pd.DataFrame) -> pd.DataFrame:
    """application_rows_typed.sql in pandas; text columns as Python str for pandera."""
    t = {c: staged[c].str.strip(" ") for c in RAW}
    blank = {c: t[c].fillna("").eq("") for c in RAW}
    text = t["application_date"].astype(object)
    date = pd.to_datetime(text, format=DATE_FORMATS[0], errors="coerce")
    for fmt in DATE_FORMATS[1:]:  # the other formats only where the ISO one failed
        if (todo := date.isna() & text.notna()).any():
            date[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")

    def kommune(c):
        return _int_or_minus_one(t[c], blank[c] | t[c].str.lower().eq("ukendt").fillna(False))

    def obj(s: pd.Series) -> pd.Series:
        return s.astype(object).where(s.notna(), None)

    return pd.DataFrame(
        {
            "cpr_status": staged["cpr_status"].astype(object),
            "pupil_id": staged["pupil_id"],
            "sex": staged["sex"].to_numpy(),
            "year": date.dt.year.astype("Int64"),
            "file_year": staged["file_year"],
            "application_date": date,
            "school_institution_number": obj(t["school_institution_number"].where(~blank["school_institution_number"])),
            "school_name": obj(t["school_name"].where(~blank["school_name"])),
            "school_kommune": kommune("school_kommune"),
            "residence_kommune": kommune("residence_kommune"),
            "grade": _int_or_minus_one(t["grade"], blank["grade"]),
            "applicant_type": obj(t["applicant_type"]),
            "priority": _int_or_minus_one(t["priority"], blank["priority"]),
            "education_code": obj(t["education_code"].str.lower()),
            "eux": obj(t["eux"].str.upper().fillna("")),
            "cpr_found_in": staged["cpr_found_in"].to_numpy(),
        },
        index=staged.index,
    )


def pandas_job(files: list[Path], key: bytes, out_dir: Path | None = None) -> tuple[pd.DataFrame, dict]:
    """The whole job with pandas + pandera: (søgetal, counts). Writes Parquet to out_dir."""
    import pandera.pandas as pa

    from schemas.applications import application_schema

    frames = []
    for path in files:
        frames.append(_pandas_file(path, key))
    staged = pd.concat(frames, ignore_index=True)
    del frames
    duplicate = staged.duplicated(["file_year", *STAGED], keep="first")
    staged = staged[~duplicate]
    typed = _pandas_typed(staged)
    del staged
    try:
        application_schema().validate(typed, lazy=True)
        failed = pd.Index([])
        failures = 0
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        if cases["index"].isna().any():
            raise AssertionError(f"a rule failed for a whole column:\n{cases[cases['index'].isna()]}") from None
        failed = pd.Index(cases["index"].unique())
        failures = len(cases)
    bad = typed.index.isin(failed) | typed["cpr_found_in"].to_numpy()
    ref = reference_tables()
    valid = (
        typed[~bad]
        .drop(columns=["cpr_found_in", "cpr_status"])
        .merge(ref["applicant_types"], on="applicant_type")
        .merge(ref["education_codes"], left_on="education_code", right_on="code")
        .drop(columns=["code"])
    )
    valid["eux"] = valid["eux"].eq("J")
    shares = pandas_shares(valid, ref)
    if out_dir is not None:
        valid.to_parquet(out_dir / "applications.parquet", index=False)
        shares.to_parquet(out_dir / "application_shares.parquet", index=False)
    counts = {
        "rows": len(typed) + int(duplicate.sum()),
        "duplicates": int(duplicate.sum()),
        "failure_cases": failures,
        "rows_held_back": int(bad.sum()),
        "rows_written": len(valid),
    }
    return shares, counts


def pandas_shares(apps: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """application_shares.sql in pandas."""
    first = apps.loc[
        apps["priority"].eq(1) & apps["applicant_group"].eq("direct"),
        ["year", "school_kommune", "residence_kommune", "grade", "education_group"],
    ]
    # Counted on small integer and categorical keys, named at the end (the grid is small).
    grade = first["grade"].fillna(-1).astype("int16").to_numpy()
    group = first["education_group"].astype("category")
    school = pd.DataFrame(
        {
            "year": first["year"].to_numpy(),
            "basis": 0,
            "kommune": first["school_kommune"],
            "grade": grade,
            "group": group,
        }
    )
    lives = first["residence_kommune"].notna().to_numpy()
    residence = school[lives].assign(basis=1, kommune=first["residence_kommune"][lives])
    located = pd.concat([school, residence], ignore_index=True)
    located["kommune"] = located["kommune"].astype("int16")
    keys = ["year", "basis", "kommune", "grade", "group"]
    by_grade = located.groupby(keys, observed=True).size()
    total = located.assign(grade=np.int16(-1)).groupby(keys, observed=True).size()
    counted = (
        pd.concat([by_grade, total])
        .groupby(level=list(range(5)), observed=True)
        .sum()
        .rename("applicants")
        .reset_index()
    )
    counted = counted.assign(
        geography_basis=np.where(counted["basis"] == 0, "school", "residence"),
        kommune_code=counted["kommune"].astype("int64"),
        grade=counted["grade"].astype(str).replace("-1", "9+10"),
        education_group=counted["group"].astype(str),
    )[SHARE_KEYS + ["applicants"]]
    groups = ref["education_groups"][["group", "in_denominator", "sort_order"]].rename(
        columns={"group": "education_group"}
    )
    cells = counted[SHARE_KEYS[:4]].drop_duplicates()
    grid = cells.merge(groups, how="cross")
    filled = grid.merge(counted, on=SHARE_KEYS, how="left")
    filled["applicants"] = filled["applicants"].fillna(0).astype("int64")
    in_den = filled["in_denominator"].astype(bool)
    filled["denominator"] = (
        filled["applicants"].where(in_den, 0).groupby([filled[k] for k in SHARE_KEYS[:4]]).transform("sum")
    )
    filled["share_pct"] = (100.0 * filled["applicants"] / filled["denominator"].replace(0, np.nan)).where(in_den)
    brk = series_break_year()
    filled["series_version"] = np.where(filled["year"] >= brk, f"from_{brk}", f"before_{brk}")
    out = filled.merge(ref["kommuner"], on="kommune_code", how="left")
    out["denominator_definition"] = "leavers_excl_10th_grade_applicants"
    out = out.sort_values(["year", "geography_basis", "kommune_code", "grade", "sort_order"])
    return out[SHARE_COLUMNS].reset_index(drop=True)


# -- polars + pandera.polars --------------------------------------------------------------------


def polars_schema():
    """The pipeline's pandera schema for polars: the same columns, nullability and built-in
    checks (from each check's statistics), and each frame-wide rule as a polars expression."""
    import pandera.polars as pap
    import polars as pl

    from schemas.applications import application_schema

    source = application_schema()
    dtypes = {
        "cpr_status": pl.String,
        # Validated as Int64, the same 64 bits (pl.Expr.reinterpret): pandera.polars 0.35 builds its
        # failure report of a frame-wide check from Python rows, and fails on a UInt64 above 2**63.
        "pupil_id": pl.Int64,
        "sex": pl.String,
        "year": pl.Int64,
        "application_date": pl.Date,
        "school_institution_number": pl.String,
        "school_name": pl.String,
        "school_kommune": pl.Int64,
        "residence_kommune": pl.Int64,
        "grade": pl.Int64,
        "applicant_type": pl.String,
        "priority": pl.Int64,
        "education_code": pl.String,
        "eux": pl.String,
    }

    def translate(check):
        s = check.statistics or {}
        if "allowed_values" in s:
            return pap.Check.isin(list(s["allowed_values"]), name=check.name, error=check.error)
        if "min_value" in s:
            return pap.Check.in_range(s["min_value"], s["max_value"], name=check.name, error=check.error)
        if "pattern" in s:
            return pap.Check.str_matches(str(s["pattern"]), name=check.name, error=check.error)
        raise ValueError(f"no polars translation for {check.name}")

    columns = {
        name: pap.Column(dtypes[name], [translate(c) for c in col.checks], nullable=col.nullable)
        for name, col in source.columns.items()
    }
    codes = education_codes()
    eud = list(codes.loc[codes["group"] == "EUD", "code"])
    from schemas.reference import applicant_type_values

    direct = applicant_type_values("direct")
    first_from = dict(zip(codes.code, pd.to_numeric(codes.valid_from_year).fillna(0).astype(int)))
    last_to = dict(zip(codes.code, pd.to_numeric(codes.valid_to_year).fillna(9999).astype(int)))
    y, p, pid = pl.col("year"), pl.col("priority"), pl.col("pupil_id")
    first = (p == 1) & pid.is_not_null()
    rules = {
        "one_first_priority": ~(first & (first.cast(pl.Int32).sum().over("year", "pupil_id") > 1)).fill_null(False),
        "missing_first_priority": (
            pid.is_null() | y.is_null() | (first.fill_null(False).cast(pl.Int32).sum().over("year", "pupil_id") > 0)
        ),
        "grade_required": ~pl.col("applicant_type").is_in(direct).fill_null(False) | pl.col("grade").is_not_null(),
        "eux_only_with_eud": (pl.col("eux") != "J").fill_null(True) | pl.col("education_code").is_in(eud),
        "year_matches_file": y.is_null() | (y == pl.col("file_year")),
        "code_valid_in_year": y.is_null()
        | y.is_between(
            pl.col("education_code").replace_strict(first_from, default=0, return_dtype=pl.Int64),
            pl.col("education_code").replace_strict(last_to, default=9999, return_dtype=pl.Int64),
        ),
    }
    missing = {c.name for c in source.checks} ^ set(rules)
    if missing:
        raise ValueError(f"the pipeline's frame-wide rules and the polars baseline's differ: {sorted(missing)}")

    def frame_check(expr):
        return lambda data: data.lazyframe.select(expr.fill_null(True))

    checks = [pap.Check(frame_check(rules[c.name]), name=c.name, error=c.error) for c in source.checks]
    return pap.DataFrameSchema(columns, checks=checks, strict=False, name="applications")


def _polars_file(path: Path, key: bytes):
    import polars as pl

    encoding = encoding_of(path)
    columns = header_columns(path, encoding)
    used = [h for h in columns.values() if h]
    raw = pl.read_csv(
        path,
        separator=";",
        columns=used,
        infer_schema=False,
        encoding="utf8" if encoding.startswith("utf-8") else encoding,
    )
    frame = raw.select(
        *[(pl.col(h) if h else pl.lit(None, pl.String)).alias(c) for c, h in columns.items()],
        pl.lit(file_year(path), pl.Int64).alias("file_year"),
    )
    cpr = pl.col("cpr").str.strip_chars(" ")
    frame = frame.with_columns(cpr.alias("cpr")).with_columns(
        pl.col("cpr").str.contains(f"^(?:{CPR_SHAPE})$").fill_null(False).alias("cpr_ok")
    )
    ok = frame.filter("cpr_ok").get_column("cpr").str.replace_all("-", "", literal=True).unique()
    ids = pl.Series(hmac_ids(key, ok.to_list()), dtype=pl.UInt64)
    guarded = [c for c in RAW if columns.get(c)]
    params = cpr_rule.sql_params()

    def caught(c):
        normalised = (
            pl.col(c)
            .str.replace_many(list(params["cpr_digits_from"]), list(params["cpr_digits_to"]))
            .str.replace_all(params["cpr_invisible"], "")
            .str.replace_all(params["cpr_separators"], "-")
        )
        return pl.col(c).str.contains(CPR_PREFILTER) & normalised.str.contains(CPR_OR_LONG)

    hits = {c: caught(c).fill_null(False) for c in guarded}
    return frame.with_columns(
        pl.when("cpr_ok")
        .then(
            pl.col("cpr")
            .str.replace_all("-", "", literal=True)
            .replace_strict(ok, ids, default=None, return_dtype=pl.UInt64)
        )
        .alias("pupil_id"),
        pl.when("cpr_ok")
        .then(pl.lit("ok"))
        .when(pl.col("cpr").fill_null("") == "")
        .then(pl.lit("missing"))
        .otherwise(pl.lit("malformed"))
        .alias("cpr_status"),
        pl.when("cpr_ok")
        .then(pl.when(pl.col("cpr").str.slice(-1).cast(pl.Int64) % 2 == 1).then(pl.lit("M")).otherwise(pl.lit("K")))
        .alias("sex"),
        *[pl.when(hits[c]).then(pl.lit(CPR_WITHHELD)).otherwise(pl.col(c)).alias(c) for c in guarded],
        pl.any_horizontal(*hits.values()).alias("cpr_found_in") if hits else pl.lit(False).alias("cpr_found_in"),
    ).drop("cpr", "cpr_ok")


def _polars_typed(staged):
    import polars as pl

    def t(c):
        return pl.col(c).str.strip_chars(" ")

    def number(c, missing):
        n = t(c).cast(pl.Float64, strict=False).round()
        n = pl.when(n.is_between(*SMALLINT)).then(n).otherwise(-1).cast(pl.Int64)
        return pl.when(missing).then(None).otherwise(n).alias(c)

    def blank(c):
        return t(c).fill_null("") == ""

    def kommune(c):
        return number(c, blank(c) | (t(c).str.to_lowercase() == "ukendt").fill_null(False))

    date = pl.coalesce(*[t("application_date").str.to_date(fmt, strict=False) for fmt in DATE_FORMATS])
    return staged.select(
        "cpr_status",
        "pupil_id",
        "sex",
        date.dt.year().cast(pl.Int64).alias("year"),
        "file_year",
        date.alias("application_date"),
        pl.when(blank("school_institution_number"))
        .then(None)
        .otherwise(t("school_institution_number"))
        .alias("school_institution_number"),
        pl.when(blank("school_name")).then(None).otherwise(t("school_name")).alias("school_name"),
        kommune("school_kommune"),
        kommune("residence_kommune"),
        number("grade", blank("grade")),
        t("applicant_type").alias("applicant_type"),
        number("priority", blank("priority")),
        t("education_code").str.to_lowercase().alias("education_code"),
        t("eux").str.to_uppercase().fill_null("").alias("eux"),
        "cpr_found_in",
    )


def polars_job(files: list[Path], key: bytes, out_dir: Path | None = None) -> tuple[pd.DataFrame, dict]:
    """The whole job with polars + pandera.polars: (søgetal as pandas, counts). Writes Parquet."""
    import pandera.polars as pap
    import polars as pl

    staged = pl.concat([_polars_file(p, key) for p in files])
    first_copy = pl.struct("file_year", *STAGED).is_first_distinct()
    staged = staged.with_columns(first_copy.alias("first_copy"))
    duplicates = staged.height - int(staged.get_column("first_copy").sum())
    typed = _polars_typed(staged.filter("first_copy")).with_row_index("row")
    del staged
    try:
        polars_schema().validate(typed.with_columns(pl.col("pupil_id").reinterpret(signed=True)), lazy=True)
        failed = pl.Series("row", [], pl.UInt32)
        failures = 0
    except pap.errors.SchemaErrors as err:
        cases = err.failure_cases
        if cases.get_column("index").null_count():
            whole = cases.filter(pl.col("index").is_null())
            raise AssertionError(f"a rule failed for a whole column:\n{whole}") from None
        failed = cases.get_column("index").unique().cast(pl.UInt32)
        failures = cases.height
    ref = {k: pl.from_pandas(v) for k, v in reference_tables().items()}
    held = pl.col("row").is_in(failed.implode()) | pl.col("cpr_found_in")
    valid = (
        typed.filter(~held)
        .drop("row", "cpr_found_in", "cpr_status")
        .join(ref["applicant_types"], on="applicant_type")
        .join(ref["education_codes"], left_on="education_code", right_on="code")
        .with_columns(pl.col("eux") == "J")
    )
    shares = polars_shares(valid, ref)
    if out_dir is not None:
        valid.write_parquet(out_dir / "applications.parquet")
        shares.write_parquet(out_dir / "application_shares.parquet")
    counts = {
        "rows": typed.height + duplicates,
        "duplicates": duplicates,
        "failure_cases": failures,
        "rows_held_back": typed.height - valid.height,
        "rows_written": valid.height,
    }
    return shares.to_pandas(), counts


def polars_shares(apps, ref):
    """application_shares.sql in polars."""
    import polars as pl

    # Counted once by school and residence kommune together (a few thousand rows), then summed
    # into the two geography bases, the whole country and 9+10: no copy of the pupils' rows.
    first = (
        apps.filter((pl.col("priority") == 1) & (pl.col("applicant_group") == "direct"))
        .group_by("year", "school_kommune", "residence_kommune", "grade", "education_group")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .with_columns(pl.col("grade").cast(pl.String))
    )
    cols = ["year", "geography_basis", "kommune_code", "grade", "education_group"]
    located = pl.concat(
        [
            first.with_columns(
                pl.lit("school").alias("geography_basis"), pl.col("school_kommune").alias("kommune_code")
            ),
            first.filter(pl.col("residence_kommune").is_not_null()).with_columns(
                pl.lit("residence").alias("geography_basis"), pl.col("residence_kommune").alias("kommune_code")
            ),
        ]
    ).select(*cols, "n")
    counted = (
        pl.concat([located, located.with_columns(pl.lit("9+10").alias("grade"))])
        .group_by(cols)
        .agg(pl.col("n").sum().alias("applicants"))
    )
    groups = ref["education_groups"].select(
        pl.col("group").alias("education_group"), pl.col("in_denominator").cast(pl.Boolean), "sort_order"
    )
    cell = ["year", "geography_basis", "kommune_code", "grade"]
    filled = (
        counted.select(cell)
        .unique()
        .join(groups, how="cross")
        .join(counted, on=cols, how="left")
        .with_columns(pl.col("applicants").fill_null(0))
        .with_columns(pl.col("applicants").filter(pl.col("in_denominator")).sum().over(cell).alias("denominator"))
    )
    brk = series_break_year()
    return (
        filled.with_columns(
            pl.when(pl.col("in_denominator"))
            .then(100.0 * pl.col("applicants") / pl.when(pl.col("denominator") != 0).then(pl.col("denominator")))
            .alias("share_pct"),
            pl.when(pl.col("year") >= brk)
            .then(pl.lit(f"from_{brk}"))
            .otherwise(pl.lit(f"before_{brk}"))
            .alias("series_version"),
            pl.lit("leavers_excl_10th_grade_applicants").alias("denominator_definition"),
        )
        .join(ref["kommuner"], on="kommune_code", how="left")
        .sort(["year", "geography_basis", "kommune_code", "grade", "sort_order"])
        .select(SHARE_COLUMNS)
    )


# -- the check ----------------------------------------------------------------------------------


def compare_shares(baseline: pd.DataFrame, pipeline: pd.DataFrame) -> int:
    """Raise AssertionError unless the baseline's søgetal equal the pipeline's application_shares
    in every cell (counts exactly, shares to 1e-9); returns the number of cells compared."""
    cols = ["series_version", "kommune_name", "denominator_definition", "applicants", "denominator", "share_pct"]

    def norm(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[SHARE_KEYS + cols].copy()
        for c in ("year", "kommune_code", "applicants", "denominator"):
            out[c] = out[c].astype("int64")
        out["share_pct"] = out["share_pct"].astype("float64")
        for c in ("geography_basis", "grade", "education_group", "series_version", "kommune_name"):
            out[c] = out[c].astype(str)
        return out.set_index(SHARE_KEYS).sort_index()

    a, b = norm(baseline), norm(pipeline)
    if not a.index.equals(b.index):
        only_a, only_b = a.index.difference(b.index), b.index.difference(a.index)
        raise AssertionError(
            f"cells differ: {len(only_a)} only in the baseline (e.g. {list(only_a[:3])}), "
            f"{len(only_b)} only in the pipeline (e.g. {list(only_b[:3])})"
        )
    exact = ["series_version", "kommune_name", "denominator_definition", "applicants", "denominator"]
    diff = (a[exact] != b[exact]).any(axis=1)
    sa, sb = a["share_pct"].to_numpy(), b["share_pct"].to_numpy()
    diff |= ~((np.isnan(sa) & np.isnan(sb)) | (np.abs(sa - sb) <= 1e-9))
    if diff.any():
        raise AssertionError(
            f"{int(diff.sum())} of {len(a)} cells differ, e.g.\nbaseline:\n{a[diff].head()}\npipeline:\n{b[diff].head()}"
        )
    return len(a)
