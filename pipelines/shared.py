"""Runs of the shared deployment (deploy/shared/, README "Shared deployment"): one main-job run
per tenant, submitted to the instance's queue. The daemon starts them as the queue allows (one
run per tenant at a time, tenants side by side: deploy/shared/dagster.yaml) and the Celery run
launcher hands each to a worker, which runs it with the same Definitions as one machine
(pipelines/definitions.py). What makes a run a tenant's is configuration only: the tag that names
it and the resources pointed at its home and key, built here from its entry in the tenants file.

    python -m pipelines.shared submit aarhus odense   # DAGSTER_HOME, OVERGANG_TENANTS set
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from overgang.paths import PROJECT_DIR, ConfigError
from overgang.settings import Settings
from overgang.tenants import TENANTS_ENV, Tenant, tenants_from_env
from pipelines.jobs import MAIN_JOB

# What makes a run a tenant's, also for the sensors and schedules (which must not import this module).
from pipelines.tenant_config import tenant_own_tags, tenant_run_config

# The national job's runs: one at a time (deploy/shared/dagster.yaml), apart from the tenants' queue.
NATIONAL_TAG = "overgang/national"
WORKSPACE = PROJECT_DIR / "deploy" / "shared" / "workspace.yaml"
LOCATION = "overgang"


def tenant_tags(tenant: Tenant, years: tuple[int, int] | None = None) -> dict[str, str]:
    """The run's tenant, its years, and how a failed run is tried again (deploy/shared/dagster.yaml:
    run_retries): all steps anew, since the outputs of the steps that succeeded stay on the worker
    that ran them and the retry may land on another machine."""
    from pipelines.run import main_job_tags

    return {**main_job_tags(years), **tenant_own_tags(tenant)}


def submit(names: list[str], years: tuple[int, int] | None = None, workspace: Path = WORKSPACE) -> list[str]:
    """Queue one main-job run for each tenant in `names`; their run ids."""
    tenants = tenants_from_env()
    if tenants is None:
        raise ConfigError(f"{TENANTS_ENV} is not set: point it at the tenants file (deploy/shared/tenants.yaml).")
    if unknown := [n for n in names if n not in tenants]:
        raise ConfigError(
            f"No tenant {', '.join(unknown)} in {os.environ[TENANTS_ENV]} (tenants: {', '.join(sorted(tenants))}). "
            "Nothing was submitted."
        )
    pipeline = Settings.load(checked=True).pipeline
    return submit_runs(
        [(tenant_run_config(tenants[n], pipeline), tenant_tags(tenants[n], years)) for n in names], workspace
    )


def submit_national(home: str, names: list[str], workspace: Path = WORKSPACE) -> str:
    """Queue the national job (assets/national/job.py): the national set and overview at `home`
    from the publication sets of `names` (every tenant when empty); its run id. The run belongs
    to no tenant: it reads only the tenants' publication sets."""
    from assets.national.job import NATIONAL_JOB

    config = {"ops": {"national_overview_op": {"config": {"home": home, "tenants": names}}}}
    return submit_runs([(config, {NATIONAL_TAG: "national"})], workspace, NATIONAL_JOB)[0]


def submit_runs(
    runs: list[tuple[dict[str, Any], dict[str, str]]], workspace: Path = WORKSPACE, job_name: str = MAIN_JOB
) -> list[str]:
    """Queue a run of `job_name` for each (run config, tags); their run ids. The code location is
    loaded once for all of them."""
    from dagster import DagsterInstance
    from dagster._cli.job import _create_run
    from dagster._cli.workspace.cli_target import (
        get_code_location_from_workspace,
        get_remote_job_from_remote_repo,
        get_remote_repository_from_code_location,
    )
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    instance = DagsterInstance.get()
    with WorkspaceProcessContext(
        instance, WorkspaceFileTarget(paths=[str(workspace)]), code_server_log_level="ERROR"
    ) as process:
        context = process.create_request_context()
        location = get_code_location_from_workspace(context, LOCATION)
        repo = get_remote_repository_from_code_location(location, None)
        job = get_remote_job_from_remote_repo(repo, job_name)
        run_ids = []
        for run_config, tags in runs:
            run = _create_run(
                instance=instance,
                code_location=location,
                remote_repo=repo,
                remote_job=job,
                run_config=run_config,
                tags=tags,
                op_selection=None,
                run_id=None,
            )
            instance.submit_run(run.run_id, context)
            run_ids.append(run.run_id)
        return run_ids


@click.group()
def cli() -> None:
    """The shared deployment's commands."""


@cli.command("submit")
@click.argument("tenants", nargs=-1, required=True)
def submit_command(tenants: tuple[str, ...]) -> None:
    """Queue the main job for each TENANT of the tenants file; prints one run id per line."""
    try:
        for run_id in submit(list(tenants)):
            click.echo(run_id)
    except ConfigError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(2)


@cli.command("national")
@click.option("--home", required=True, help="The national home: publication/ and reports/ are written there.")
@click.argument("tenants", nargs=-1)
def national_command(home: str, tenants: tuple[str, ...]) -> None:
    """Queue the national job over TENANTS' publication sets (all tenants when none); prints its run id."""
    try:
        click.echo(submit_national(home, list(tenants)))
    except ConfigError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    cli()
