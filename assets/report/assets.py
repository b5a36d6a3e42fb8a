"""The council report (rapport til byrådet), rendered from the published warehouse."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.resources import ProjectSettings


@asset(group_name="report", kinds={"html"}, deps=["warehouse"])
def council_report(context: AssetExecutionContext, project: ProjectSettings) -> MaterializeResult:
    """Self-contained HTML report in Danish for the configured municipality and year (report_year in
    data/config/pipeline.yaml; empty = the newest year in the warehouse). When the configured
    municipality has no figures, the report of each municipality that has is written instead: an
    analyst who loads only Køge's published tables gets Køge's report, not an error about another."""
    import duckdb

    from reports.archive import keep
    from reports.data import kommuner_with_figures
    from reports.render import render_report  # plotly is only needed here

    settings = project.settings()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        loaded = kommuner_with_figures(con)
    home_kommune = settings.pipeline.municipality.kommune_code
    kommuner = [home_kommune] if home_kommune in loaded or not loaded else loaded
    if kommuner != [home_kommune]:
        context.log.info(f"kommune {home_kommune} has no figures; writing reports for {kommuner}")
    paths = [render_report(settings, k, settings.pipeline.report_year) for k in kommuner]
    # Reports as published: a copy of each, under its year and this run's id, never overwritten.
    kept = keep(settings.reports_dir, paths, context.run_id)
    return MaterializeResult(
        metadata={
            "path": str(paths[0]),
            # A link the UI opens in the browser.
            "report": MetadataValue.url(paths[0].resolve().as_uri()),
            "reports": len(paths),
            "archived": len(kept),
            "bytes": sum(p.stat().st_size for p in paths),
        }
    )
