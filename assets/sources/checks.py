"""One asset check per small source: rows it held back in quarantine, shown in the Dagster UI
with a sample (file, line, column, value, rule). A warning, not a stop: the rest of the file
is good and loaded, and the analyst corrects the rows named."""

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check
from dagster_duckdb import DuckDBResource


def _quarantine_check(dataset: str):
    @asset_check(
        asset=dataset,
        name=f"{dataset}_rows_held_back",
        description=f"Rows of {dataset} files that broke a rule and were not loaded (see table quarantine).",
    )
    def check(duckdb: DuckDBResource) -> AssetCheckResult:
        with duckdb.get_connection() as con:
            by_rule = dict(
                con.execute(
                    "SELECT rule, count(*) FROM quarantine WHERE dataset = ? GROUP BY rule", [dataset]
                ).fetchall()
            )
            sample = con.execute(
                "SELECT source_file, source_line, column_name, value, rule, message FROM quarantine "
                "WHERE dataset = ? ORDER BY source_file, source_line LIMIT 10",
                [dataset],
            ).df()
        held_back = sum(by_rule.values())
        return AssetCheckResult(
            passed=held_back == 0,
            severity=AssetCheckSeverity.WARN,
            description=f"{held_back} rows held back" if held_back else "every row loaded",
            metadata={
                "rows_held_back": held_back,
                "by_rule": MetadataValue.json(by_rule),
                "sample": MetadataValue.json(sample.astype(str).to_dict(orient="records")),
            },
        )

    return check


targets_rows_held_back = _quarantine_check("targets")
goals_rows_held_back = _quarantine_check("goals")
completion_status_rows_held_back = _quarantine_check("completion_status")
published_application_shares_rows_held_back = _quarantine_check("published_application_shares")
profilmodel_projections_rows_held_back = _quarantine_check("profilmodel_projections")
