"""The council report (rapport til byrådet), rendered from the published warehouse."""

from dagster import MaterializeResult, asset

from assets.resources import ProjectSettings


@asset(group_name="report", kinds={"html"}, deps=["warehouse"])
def council_report(project: ProjectSettings) -> MaterializeResult:
    """Self-contained HTML report in Danish for the configured municipality and year (report_year in
    data/config/pipeline.yaml; empty = the newest year in the warehouse)."""
    from reports.render import render_report  # plotly is only needed here

    settings = project.settings()
    path = render_report(settings, settings.kommune_code, settings.config.get("report_year"))
    return MaterializeResult(metadata={"path": str(path), "bytes": path.stat().st_size})
