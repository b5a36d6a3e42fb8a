"""Danmarks Statistik StatBank tables: youth-education status (uddannelsesstatus)."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from assets.resources import DUCKDB_POOL, ProjectSettings, write_table
from assets.sources.files import source_files
from assets.sources.load import later_wins
from assets.sources.quarantine import Failure, replace_quarantine
from assets.statbank.reader import config, read_statbank
from schemas.completion import STATUSES, completion_status_schema, completion_wide_schema


@asset(group_name="statbank", kinds={"duckdb", "pandera"}, pool=DUCKDB_POOL)
def completion_status(
    context: AssetExecutionContext, duckdb: DuckDBResource, project: ProjectSettings
) -> MaterializeResult:
    """Status of young people by kommune (STATUSU6: completed, in progress, dropped out, none).

    Observed figures, one of the three kinds of completion number: never on one axis with
    the profilmodel's projections or transition rates. Files from data/statbank/ and the inbox;
    a later file replaces an earlier one's figures for the same table, year and area.
    """
    frames, quarantined = [], []
    for path in source_files(project.settings(), "statbank"):
        wide, layout = read_statbank(path)
        table = config()["tables"][layout["table"]]
        unknown = wide[wide["kommune_code"].isna()]
        for r in unknown.itertuples():
            quarantined.append(
                Failure(
                    path.name,
                    int(r.source_line),
                    "area",
                    r.area,
                    "known_area",
                    "area is not a municipality or 'Hele landet' (e.g. Christiansø)",
                    None if pd.isna(r.year) else int(r.year),
                )
            )
        wide = completion_wide_schema.validate(wide[wide["kommune_code"].notna()], lazy=True)
        long = wide.melt(
            id_vars=["year", "kommune_code", "area"],
            value_vars=["total", *STATUSES],
            var_name="status",
            value_name="persons",
        )
        totals = wide[["year", "kommune_code", "total"]].rename(columns={"total": "all_persons"})
        long = long.merge(totals, on=["year", "kommune_code"])
        long["share_pct"] = (100 * long["persons"] / long["all_persons"].where(long["all_persons"] > 0)).astype(float)
        long = long.rename(columns={"area": "area_name"}).assign(
            table_code=layout["table"],
            age_group=table["age_group"],
            geography_basis=table["geography_basis"],
            source_file=path.name,
        )
        frames.append(long)
        context.log.info(
            f"{path.name} ({layout['table']}, layout {layout['name']}): {len(wide)} areas, "
            f"{len(unknown)} not municipalities"
        )
    result = later_wins(frames, ["table_code", "year", "kommune_code", "status"])
    result = completion_status_schema.validate(result[list(completion_status_schema.columns)])
    with duckdb.get_connection() as con:
        write_table(con, "completion_status", result)
        replace_quarantine(con, "completion_status", quarantined, context.run.run_id)
    return MaterializeResult(metadata={"rows": len(result), "quarantined": len(quarantined)})
