"""Danmarks Statistik StatBank tables: youth-education status (uddannelsesstatus)."""

import pandas as pd
import yaml
from dagster import MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from assets.sql import read_sql
from assets.statbank.reader import read_statbank
from overgang.settings import DATA_DIR, PROJECT_DIR
from pipelines.resources import DUCKDB_POOL, write_table
from schemas.completion import STATUSES, completion_status_schema, completion_wide_schema


@asset(group_name="statbank", kinds={"duckdb", "pandera"}, pool=DUCKDB_POOL)
def completion_status(context, duckdb: DuckDBResource) -> MaterializeResult:
    """Status of young people by kommune (STATUSU6: completed, in progress, dropped out, none).

    Observed figures, one of the three kinds of completion number: never on one axis with
    the profilmodel's projections or transition rates.
    """
    config = yaml.safe_load((DATA_DIR / "config" / "statbank.yaml").read_text(encoding="utf-8"))
    frames, quarantined = [], []
    for spec in config["files"]:
        path = PROJECT_DIR / spec["path"]
        wide = read_statbank(path, spec)
        unknown = wide[wide["kommune_code"].isna()]
        for r in unknown.itertuples():
            quarantined.append((path.name, r.source_line, "area", r.area, "known_area",
                                "area is not a municipality or 'Hele landet' (e.g. Christiansø)"))
        wide = completion_wide_schema.validate(wide[wide["kommune_code"].notna()], lazy=True)
        long = wide.melt(id_vars=["year", "kommune_code", "area"], value_vars=["total", *STATUSES],
                         var_name="status", value_name="persons")
        totals = wide[["year", "kommune_code", "total"]].rename(columns={"total": "all_persons"})
        long = long.merge(totals, on=["year", "kommune_code"])
        long["share_pct"] = (100 * long["persons"] / long["all_persons"].where(long["all_persons"] > 0)).astype(float)
        long = long.rename(columns={"area": "area_name"}).assign(
            table_code=spec["table"], age_group=spec["age_group"], geography_basis=spec["geography_basis"],
            source_file=path.name)
        frames.append(long)
        context.log.info(f"{path.name} ({spec['table']}): {len(wide)} areas, {len(unknown)} not municipalities")
    result = completion_status_schema.validate(pd.concat(frames, ignore_index=True)[list(completion_status_schema.columns)])
    with duckdb.get_connection() as con:
        write_table(con, "completion_status", result)
        con.execute(read_sql("applications", "quarantine"))
        con.execute("DELETE FROM quarantine WHERE dataset = 'completion_status'")
        con.executemany("INSERT INTO quarantine (dataset, source_file, source_line, column_name, value, rule, message) "
                        "VALUES ('completion_status', ?, ?, ?, ?, ?, ?)", quarantined)
    return MaterializeResult(metadata={"rows": len(result), "quarantined": len(quarantined)})
