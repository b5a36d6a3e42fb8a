"""One asset check per small source: rows it held back in quarantine, shown in the Dagster UI
with a sample (file, line, column, value, rule). A warning, not a stop: the rest of the file
is good and loaded, and the analyst corrects the rows named."""

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check
from dagster_duckdb import DuckDBResource

def _quarantine_check(dataset: str):
    @asset_check(asset=dataset, name=f"{dataset}_rows_held_back",
                 description=f"Rows of {dataset} files that broke a rule and were not loaded (see table quarantine).")
    def check(duckdb: DuckDBResource) -> AssetCheckResult:
        with duckdb.get_connection() as con:
            sample = con.execute("SELECT source_file, source_line, column_name, value, rule, message FROM quarantine "
                                 "WHERE dataset = ? ORDER BY source_file, source_line", [dataset]).df()
        return AssetCheckResult(
            passed=sample.empty, severity=AssetCheckSeverity.WARN,
            description=f"{len(sample)} rows held back" if len(sample) else "every row loaded",
            metadata={"rows_held_back": len(sample), "by_rule": MetadataValue.json(sample["rule"].value_counts().to_dict()),
                      "sample": MetadataValue.json(sample.head(10).astype(str).to_dict(orient="records"))})
    return check


published_application_shares_rows_held_back, profilmodel_projections_rows_held_back, targets_rows_held_back, \
    goals_rows_held_back, completion_status_rows_held_back = (
        _quarantine_check(d) for d in ["published_application_shares", "profilmodel_projections", "targets", "goals",
                                       "completion_status"])
