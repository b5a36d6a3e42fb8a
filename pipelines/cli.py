"""`overgang`: the analyst's entry point.

overgang run                  extracts -> validated warehouse -> council report (a Dagster run)
overgang report --kommune 259 the council report for another municipality
overgang generate DIR         synthetic extracts (the shipped sample, or benchmark volumes)
overgang clean-rejected --older-than DAYS   clear refused files and their reasons out of the inbox
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import click
from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.table import Table

from overgang.numbers import da_int, da_pct
from overgang.process import exit_now, start_command, status_of
from overgang.settings import SAMPLE_DIR, ConfigError, Settings, prepare_dagster_home

if TYPE_CHECKING:
    from reports.run_summary import LedgerRow


def escape(text: str) -> str:
    """Text from outside (a file name, a value, a message quoting them) as the terminal shows it:
    no rich markup, no control characters or bidi controls (overgang/display.py). Every printed
    piece of such text goes through here."""
    from overgang.display import for_terminal

    return _markup_escape(for_terminal(text))


class _Withheld:
    """Standard error with every CPR number in any spelling withheld (overgang.cpr): whatever a
    message quotes from a file (a header cell, a value, a file name), it is printed through here."""

    # sys.stderr looked up at every call, as Rich does: a test's CliRunner swaps it.
    def write(self, text: str) -> int:
        from overgang.cpr import scrub

        return sys.stderr.write(scrub(text))

    def __getattr__(self, name: str):
        return getattr(sys.stderr, name)


# A stand-in for standard error (a file in every way but `write`), as Rich's IO[str].
console = Console(file=cast(IO[str], _Withheld()), soft_wrap=True)
# Dagster flags its own beta parameters on every load; analysts cannot act on that.
warnings.filterwarnings("ignore", message=".*is currently in beta.*")


def _warn_about_key() -> None:
    from overgang.pseudonymise import key_warnings

    for warning in key_warnings():
        console.print(f"[yellow]Warning:[/] {warning}")


def _fail(message: str) -> None:
    console.print(f"[bold red]Error:[/] {escape(message)}")
    sys.exit(1)


# Commands whose settings are checked, every key, before they start: they run the pipeline or
# change the home. The quick ones read the settings unchecked (no pydantic import).
CHECKED_COMMANDS = ("run", "load", "clean-rejected", "rollback")
_COMMAND = "overgang.command"  # ctx.meta: the command's name, as typed
# Commands that publish or replace the warehouse; every other command only reads it.
WRITES_THE_WAREHOUSE = ("run", "load", "rollback")
# The exit status of a command stopped by Ctrl-C, as the shell gives a process killed by SIGINT.
INTERRUPTED_STATUS = 130


def _published_version(settings: Settings | None) -> tuple[int, int] | None:
    """Which file the published warehouse is now (inode, modification time), to tell afterwards
    whether a command replaced it."""
    try:
        stat = settings.warehouse.stat() if settings else None
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns) if stat else None


def _true_state(command: str | None, settings: Settings | None, before: tuple[int, int] | None) -> str:
    """What a command stopped by a fault left behind: the published warehouse as it was, or the
    new version it had already published (publishing swaps one whole file in: never half)."""
    where = f" ({settings.warehouse})" if settings else ""
    if command not in WRITES_THE_WAREHOUSE:
        done = {"report": "The report (with --all: some of the reports) was not written. "}.get(command or "", "")
        return f"{done}Nothing was changed: this command only reads the published warehouse{where}."
    if _published_version(settings) == before:
        what = "Nothing was rolled back" if command == "rollback" else "Nothing was published"
        return f"{what}: the published warehouse{where} is as it was before this command."
    return (
        f"The warehouse{where} was published by this command before it stopped, whole; what comes after "
        "publishing (the report) may be missing: `overgang report` renders it again."
    )


def _fault_message(err: BaseException, kind: str | None, command: str | None, settings, before) -> str:
    from overgang.faults import INTERRUPTED, first_line
    from overgang.home import explain

    state = _true_state(command, settings, before)
    if kind == INTERRUPTED:
        return f"Interrupted (Ctrl-C): `overgang {command}` stopped. {state}"
    return f"{explain(first_line(err), settings)} {state}"


class _PlainFaults(click.Group):
    """Every command goes through here: a fault of the machine (a full disk, a read-only or
    inaccessible home, a damaged database file, Ctrl-C; overgang/faults.py) ends the command with
    what happened, the true state of the published warehouse and what to do, never a traceback.
    A fault of the program keeps its traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # The command's name, for invoke (click names it in ctx.invoked_subcommand only once the
        # group's invoke has begun): what the group leaves is the command and then its arguments.
        given = list(args)
        rest = super().parse_args(ctx, args)
        ctx.meta[_COMMAND] = given[-len(rest) - 1] if len(given) > len(rest) else None
        return rest

    def invoke(self, ctx: click.Context):
        from overgang.faults import INTERRUPTED, kind_of

        # The settings, built once for the command (_settings() hands them to it), checked for the
        # commands that run the pipeline or change the home.
        try:
            settings = Settings.load(checked=ctx.meta.get(_COMMAND) in CHECKED_COMMANDS)
            ctx.obj = settings
        except Exception as err:  # a wrong setting is said when the command asks for them
            settings = None
            ctx.obj = err
        before = _published_version(settings)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except ConfigError as err:
            # A setting a quick command could not read (the others check every setting first).
            _fail(f"{err}\n(see the comments in data/config/pipeline.yaml)")
        except BaseException as err:
            import duckdb

            kind = kind_of(err)
            # Any other I/O error is the machine's too: said plainly, as it is.
            if kind is None and not isinstance(err, (OSError, duckdb.Error)):
                raise
            command = ctx.invoked_subcommand
            console.print(f"[bold red]Error:[/] {escape(_fault_message(err, kind, command, settings, before))}")
            sys.exit(INTERRUPTED_STATUS if kind == INTERRUPTED else 1)


@click.group(cls=_PlainFaults)
def main() -> None:
    """Overgang: søgetal, måltal and completion goals for Danish municipalities."""


def _ledger_table(ledger: list[LedgerRow]) -> None:
    """The row ledger of the published years: every line of every file accounted for."""
    if not ledger:
        return
    table = Table(
        title="Row ledger (lines = header + blank + unreadable + rows; rows = valid + quarantine + duplicates)"
    )
    for column in ("year", "file", "lines", "blank", "unreadable", "rows", "valid", "quarantine", "duplicates"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for r in ledger:
        table.add_row(
            str(r.year),
            r.file,
            *(da_int(n) for n in (r.lines, r.blank, r.unreadable, r.rows, r.valid, r.quarantined, r.duplicates)),
        )
    console.print(table)


def _summary(settings: Settings, kommune: int, years: list[int] | None = None) -> None:
    import duckdb

    try:
        _summary_of(settings, kommune, years)
    except duckdb.Error as err:
        from overgang.home import explain

        _fail(
            explain(
                f"the published warehouse {settings.warehouse} cannot be read ({str(err).splitlines()[0]}).", settings
            )
            + " Run `overgang rollback` to put the previous version back."
        )


def _summary_of(settings: Settings, kommune: int, years: list[int] | None) -> None:
    from reports.run_summary import run_summary

    summary = run_summary(settings.warehouse, kommune, years)
    _ledger_table(summary.ledger)
    console.print(f"Loaded {summary.files} files, {da_int(summary.rows)} rows.")
    if summary.by_rule:
        table = Table(title="Quarantine (rows that failed a rule; see table `quarantine`)")
        for column in ("dataset", "file", "line", "column", "value", "rule"):
            table.add_column(column)
        for q in summary.newest_quarantined:
            table.add_row(*(escape(str(v)) for v in (q.dataset, q.file, q.line, q.column, q.value, q.rule)))
        console.print(table)
        console.print("By rule: " + ", ".join(f"{r} {n}" for r, n in summary.by_rule))
    table = Table(title=f"EUD share, kommune {kommune} (schools in the kommune, 1st priority)")
    table.add_column("year")
    table.add_column(f"kommune {kommune}", justify="right")
    table.add_column("Hele landet (published)", justify="right")
    for share in summary.eud:
        table.add_row(str(share.year), da_pct(share.kommune_pct), da_pct(share.national_pct))
    console.print(table)


def _year_range(year_range: str | None) -> tuple[int, int] | None:
    if not year_range:
        return None
    first, _, last = year_range.partition("-")
    if not (first.strip().isdigit() and (not last or last.strip().isdigit())):
        _fail(f"--year {year_range}: expected a year or a range, e.g. 2025 or 2023-2025.")
    return int(first), int(last or first)


def _report_result(settings: Settings, result, elapsed: float, years: list[int] | None) -> bool:
    """Say exactly what the run published and what it did not. True when it succeeded."""
    from pipelines.run import failure_messages, published_in

    if result.success:
        return True
    for message in failure_messages(result, settings):
        console.print(f"[bold red]✗[/] {escape(message)}")
    what = (
        f"years {years[0]}-{years[-1]}"
        if years and len(years) > 1
        else (f"year {years[0]}" if years else "the run's data")
    )
    if published_in(result):
        console.print(
            f"[yellow]The warehouse was published by this run (Dagster run {result.run_id[:8]}): {settings.warehouse} "
            f"now holds {what}.[/] What failed came after publishing; see above (e.g. `overgang report` "
            "renders the report again)."
        )
    elif not settings.warehouse.exists():  # a fresh home: there is no "as before" to speak of
        console.print(f"Nothing was published (the run stopped after {elapsed:.1f} s): this home has no warehouse yet.")
    else:
        stays = "stay" if years and len(years) > 1 else "stays"
        console.print(
            f"Nothing was published (the run stopped after {elapsed:.1f} s): the published warehouse "
            f"({settings.warehouse}) is as it was before this run; {what} {stays} as published before."
        )
    return False


def _settings() -> Settings:
    """The command's settings, built once by _PlainFaults.invoke (checked for CHECKED_COMMANDS);
    a ConfigError there is said plainly by it, before anything is read or written."""
    found = click.get_current_context().find_root().obj
    if isinstance(found, Exception):
        raise found
    return cast(Settings, found)


def _guard(action: Callable[[Settings], None], input_dir: Path | None = None) -> None:
    """Run `action` with the command's checked settings (`input_dir`: the command's --input, given
    to these settings only, never to the environment), turning a locked home into a message
    (faults of the machine are said for every command by _PlainFaults)."""
    from overgang.home import RunLocked

    settings = _settings()
    if input_dir is not None:
        settings = settings.with_input_dir(input_dir.resolve())
    try:
        action(settings)
    except RunLocked as err:
        _fail(str(err))


@main.command()
@click.option(
    "--input",
    "input_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of Optagelse.dk extracts (default: the shipped sample, or OVERGANG_INPUT_DIR).",
)
@click.option(
    "--year",
    "year_range",
    default=None,
    metavar="YEAR[-YEAR]",
    help="Only these application years (e.g. 2025 or 2023-2025); the others stay as they are.",
)
@click.option("--rebuild", is_flag=True, help="Start from an empty working database (all years are rebuilt).")
@click.option(
    "--accept-smaller",
    is_flag=True,
    help="Publish a year even if it has more than max_shrink_share fewer valid rows than the published one "
    "(a new year: max_shrink_share_new_year fewer than the year before).",
)
@click.option("--wait", is_flag=True, help="If another run is using this home, wait for it instead of stopping.")
def run(input_dir: Path | None, year_range: str | None, rebuild: bool, accept_smaller: bool, wait: bool) -> None:
    """Run the main job: ingest, validate, aggregate, publish the warehouse, render the report."""
    years = _year_range(year_range)
    _guard(lambda settings: _run(settings, years, year_range, rebuild, accept_smaller, wait), input_dir)


def _run(settings: Settings, years, year_range, rebuild: bool, accept_smaller: bool, wait: bool) -> None:
    prepare_dagster_home(settings)
    _warn_about_key()
    from dagster import DagsterInstance

    from overgang.home import lock_holder
    from pipelines.run import execute_main_job

    if rebuild:
        holder = lock_holder(settings.home)
        if holder and not wait:
            _fail(f"Another run is using {settings.home}: {holder}. Nothing was started.")
        settings.work_db.unlink(missing_ok=True)
    console.print(
        f"Overgang: reading extracts in {escape(str(settings.input_dir))}"
        + (f" for {year_range}" if year_range else "")
    )
    if settings.input_dir == SAMPLE_DIR:
        console.print(
            "[yellow]No input folder given: the shipped SYNTHETIC sample is loaded (not real figures); "
            "give your own with --input FOLDER.[/]"
        )
    _take_input_folder(settings, wait)
    _check_key(settings, years)
    started = time.perf_counter()
    with DagsterInstance.get() as instance:
        result = execute_main_job(settings, instance, quiet=True, years=years, accept_smaller=accept_smaller, wait=wait)
    elapsed = time.perf_counter() - started
    span = list(range(years[0], years[1] + 1)) if years else None
    if not _report_result(settings, result, elapsed, span):
        from overgang.faults import INTERRUPTED, kind_of_text
        from pipelines.run import failure_messages

        # Ctrl-C while a step ran a query ends that step as failed: still an interruption (130).
        if any(kind_of_text(m) == INTERRUPTED for m in failure_messages(result, settings)):
            console.print(f"[bold red]Error:[/] Interrupted (Ctrl-C): the run stopped after {elapsed:.1f} s.")
            sys.exit(INTERRUPTED_STATUS)
        _fail(f"the run stopped after {elapsed:.1f} s (Dagster run {result.run_id[:8]}).")
    _summary(settings, settings.pipeline.municipality.kommune_code, span)
    reports = sorted(
        settings.reports_dir.glob(f"rapport_{settings.pipeline.municipality.kommune_code}_*.html"), key=os.path.getmtime
    )
    console.print(
        f"[green]Done[/] in {elapsed:.1f} s (Dagster run {result.run_id[:8]}): published "
        + (f"application years {year_range}" if year_range else "every application year")
        + "."
    )
    console.print(f"Warehouse: {settings.warehouse}")
    if reports:
        console.print(f"Report:    {reports[-1]}")


def _check_key(settings: Settings, years: tuple[int, int] | None) -> None:
    """No run starts for extracts that cannot be pseudonymised: one message, not a failed run."""
    from intake.inbox.key_check import key_refusal

    if problem := key_refusal(settings, years):
        _fail(problem)


def _take_input_folder(settings: Settings, wait: bool) -> None:
    """The input folder through the inbox, as the run's first step would take it: what is new is
    said, and a refused file stops the command before the run starts (the originals stay)."""
    from intake.inbox.intake import import_input, refused
    from intake.sources.tables import FileRejected
    from overgang.home import lock_holder

    holder = lock_holder(settings.home)
    if holder and not wait:  # nothing is taken in while another run uses this home
        _fail(f"Another run is using {settings.home}: {holder}. Nothing was started.")
    try:
        outcomes = import_input(settings)
    except FileRejected as err:
        _fail(str(err))
    new = [o for o in outcomes if o.outcome == "accepted"]
    if new:
        years = sorted({o.year for o in new if o.kind == "applications" and o.year is not None})
        others = len(new) - sum(o.kind == "applications" for o in new)
        console.print(
            f"Taken in through the inbox: {len(new)} new or changed file(s)"
            + (f", extracts for {', '.join(map(str, years))}" if years else "")
            + (f", {others} other table(s)" if others else "")
            + "."
        )
    if duplicates := sum(o.outcome == "duplicate" for o in outcomes):
        console.print(f"{duplicates} file(s) of the input folder already loaded: nothing changes for them.")
    if problem := refused(outcomes):
        _fail(f"{problem}\nReasons are also in {settings.inbox_dir / 'rejected'}. Nothing was started.")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--no-run", is_flag=True, help="Only check and file them; load at the next run.")
@click.option(
    "--accept-smaller",
    is_flag=True,
    help="Publish an extract even if it has more than max_shrink_share fewer valid rows than the published one "
    "(a new year: max_shrink_share_new_year fewer than the year before).",
)
@click.option("--wait", is_flag=True, help="If another run is using this home, wait for it instead of stopping.")
def load(files: tuple[Path, ...], no_run: bool, accept_smaller: bool, wait: bool) -> None:
    """Load files directly, as the inbox does: recognise, check, keep a copy in processed/, run."""
    _guard(lambda settings: _load(settings, files, no_run, accept_smaller, wait))


def _load(settings: Settings, files: tuple[Path, ...], no_run: bool, accept_smaller: bool, wait: bool) -> None:
    from intake.inbox.receive import Outcome, fail_pending, receive, wait_until_settled

    missing = [str(p) for p in files if not p.exists() and not p.is_symlink()]
    if missing:
        _fail(f"no such file: {', '.join(missing)}")
    outcomes = []
    for path in files:
        # A file still being copied is not read at a line boundary: wait until it stops growing.
        if not wait_until_settled(path, settings.pipeline.inbox_settle_seconds, report=console.print):
            outcomes.append(Outcome.rejected(path.name, f"{path.name} kept changing: not loaded."))
            continue
        outcomes.append(receive(path, settings, copy=True))
    for o in outcomes:
        colour = {"accepted": "green", "duplicate": "yellow", "rejected": "red", "waiting": "yellow"}[o.outcome]
        what = f"{o.kind}" + (f" {o.year}" if o.year else "") if o.kind else ""
        console.print(f"[{colour}]{o.outcome}[/] {escape(o.file)} {what}: {escape(o.message)}")
    accepted = [o for o in outcomes if o.outcome == "accepted"]
    failed = False
    if accepted and not no_run:
        prepare_dagster_home(settings)
        from dagster import DagsterInstance

        from pipelines.run import execute_main_job, execute_sources_job, failure_messages

        years = sorted({o.year for o in accepted if o.kind == "applications" and o.year is not None})
        if years:
            _check_key(settings, (years[0], years[-1]))
        started = time.perf_counter()
        with DagsterInstance.get() as instance:
            if years:
                console.print(f"Loading application years {years[0]}-{years[-1]} …")
                result = execute_main_job(
                    settings,
                    instance,
                    quiet=True,
                    years=(years[0], years[-1]),
                    accept_smaller=accept_smaller,
                    wait=wait,
                )
                if not _report_result(settings, result, time.perf_counter() - started, years):
                    failed = True
                    reason = " ".join(failure_messages(result, settings))
                    for o in fail_pending(settings, years, reason[:2000], {o.sha256 for o in accepted}):
                        console.print(
                            f"[red]failed[/] {escape(o.file)}: moved to {escape(str(o.stored_as))}; "
                            f"the year's earlier extract stays current. Load it again once fixed."
                        )
            if any(o.kind != "applications" for o in accepted):
                console.print("Loading targets, goals, StatBank, published tables and profilmodel …")
                result = execute_sources_job(settings, instance, quiet=True, wait=wait)
                failed = not _report_result(settings, result, time.perf_counter() - started, None) or failed
        if failed:
            _fail("the run stopped; see above for what was published and what was not.")
        _summary(settings, settings.pipeline.municipality.kommune_code, years or None)
    if any(o.outcome == "rejected" for o in outcomes):
        _fail(
            f"{sum(o.outcome == 'rejected' for o in outcomes)} file(s) rejected; the reasons are above and in "
            f"{settings.inbox_dir / 'rejected'}."
            + (
                ""
                if accepted and not no_run
                else f" Nothing was published: the published warehouse ({settings.warehouse}) is as it was."
            )
        )


@main.command("clean-rejected")
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=0),
    required=True,
    metavar="DAYS",
    help="Remove refusals at least this many days old (0: all of them).",
)
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
def clean_rejected(days: float, dry_run: bool) -> None:
    """Remove refused files from the inbox's rejected/, each with its reason and description."""
    _guard(lambda settings: _clean_rejected(settings, days, dry_run))


def _clean_rejected(settings: Settings, days: float, dry_run: bool) -> None:
    from intake.inbox.cleanup import NotCleaned
    from intake.inbox.cleanup import clean_rejected as clean

    folder = settings.inbox_dir / "rejected"
    try:
        removed = clean(settings, days, dry_run)
    except NotCleaned as err:
        _fail(str(err))
    for group in removed:
        for path in group.entries:
            console.print(
                f"{'would remove' if dry_run else 'removed'} {escape(str(path.relative_to(settings.inbox_dir)))}"
            )
    entries = sum(len(g.entries) for g in removed)
    size = sum(g.size for g in removed) / (1 << 20)
    left = sum(1 for _ in folder.iterdir()) if folder.is_dir() else 0
    console.print(
        f"{'Would remove' if dry_run else 'Removed'} {len(removed)} refusal(s) older than {days:g} day(s) from {folder} "
        f"({entries} file(s), {size:,.1f} MB); {left} file(s) left there."
    )


@main.command()
def rollback() -> None:
    """Put the previous published warehouse back (after a bad load, or a damaged file)."""
    _guard(_rollback)


def _rollback(settings: Settings) -> None:
    from assets.warehouse.rollback import NothingToRollBack, rollback

    try:
        done = rollback(settings)
    except NothingToRollBack as err:
        _fail(str(err))
    console.print(
        f"Rolled back: {settings.warehouse} is again the version published by run {done.run_id[:8]} at "
        f"{done.published_at:%Y-%m-%d %H:%M}, and so are its Parquet marts, data dictionary and publication set"
        + (f" ({' and '.join(done.remade)} made again from it)." if done.remade else ".")
        + (f" The replaced file is kept as {done.aside.name}." if done.aside else "")
    )
    console.print(
        "The working database still holds the newer data: the next `overgang run` publishes it again unless "
        "you correct or remove the file that caused the problem."
    )


@main.command()
@click.option("--table", default="STATUSU6", help="StatBank table pinned in data/config/statbank.yaml.")
@click.option(
    "--format", "fmt", type=click.Choice(["CSV", "JSONSTAT"]), default=None, help="Format to ask the API for."
)
def statbank(table: str, fmt: str | None) -> None:
    """Fetch a StatBank table through the API into the inbox (then `overgang load` it, or let the sensor)."""
    from intake.statbank.api import StatBankError, fetch_table

    settings = _settings()
    try:
        path = fetch_table(table, settings.inbox_dir, fmt=fmt)
    except StatBankError as err:
        _fail(str(err))
    except Exception as err:  # network errors: say so plainly
        _fail(f"could not reach StatBank ({type(err).__name__}: {err}).")
    console.print(f"Saved {path}")


@main.command()
@click.option("--kommune", type=int, default=None, help="Kommune code (default from data/config/pipeline.yaml).")
@click.option("--year", type=int, default=None, help="Application year (default: newest in the warehouse).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Output HTML file.")
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every kommune with data for the year, and the national overview (landsoversigt) linking them.",
)
def report(kommune: int | None, year: int | None, out: Path | None, every: bool) -> None:
    """Render the council report for a municipality from the published warehouse."""
    from reports.render import ReportError, render_report

    settings = _settings()
    try:
        if every:
            _report_all(settings, year)
            return
        path = render_report(settings, kommune or settings.pipeline.municipality.kommune_code, year, out)
    except ReportError as err:
        _fail(str(err))
    console.print(f"Report: {path} ({path.stat().st_size / 1e6:.1f} MB)")


def _report_all(settings: Settings, year: int | None) -> None:
    import gc

    import duckdb

    from reports.overview import kommuner_with_data, overview_year, render_overview
    from reports.render import ReportError, render_report

    if not settings.warehouse.exists():
        raise ReportError(f"No published warehouse at {settings.warehouse}: run `overgang run` first.")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        year = overview_year(con, year)
        codes = kommuner_with_data(con, year)
    # Each report's plotly figures are cyclic garbage (about 2.8 MB a report), which only the
    # collector frees: without it (overgang/process.py) the memory grew with every municipality.
    gc.enable()
    overview = render_overview(settings, year)
    for code in codes:
        render_report(settings, code, year)
    console.print(f"{len(codes)} reports for {year} in {settings.reports_dir}")
    console.print(f"Overview: {overview}")


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--scale", type=float, default=1.0, help="Multiply every cohort (e.g. 25 for national volumes).")
@click.option("--all-municipalities", is_flag=True, help="Generate all 98 municipalities, not only the sample's.")
@click.option("--sample", is_flag=True, help="Write the shipped sample: with a few bad rows and the manifest.")
def generate(out_dir: Path, scale: float, all_municipalities: bool, sample: bool) -> None:
    """Write synthetic Optagelse.dk extracts (one semicolon-separated file per year)."""
    from overgang.generator import generate as gen
    from overgang.generator import write_manifest

    paths = gen(
        out_dir,
        scale=scale,
        all_municipalities=all_municipalities,
        with_bad_rows=sample,
        progress=lambda year, rows: console.print(f"{year}: {da_int(rows)} rows"),
    )
    if sample:
        write_manifest(paths, out_dir.parent / "manifest.csv")
    console.print(f"Wrote {len(paths)} files to {out_dir}")


def _opened(settings: Settings, publication: bool = False) -> tuple[Path, str]:
    """Which file `query` and `shell` open, and what to say about it."""
    if publication:
        return (
            settings.publication_dir / "overgang_publication.duckdb",
            "the publication set (protected figures only: may be shared)",
        )
    return settings.warehouse, "the INTERNAL warehouse (pupil-level, unsuppressed: not for publication)"


def _published(settings: Settings, publication: bool = False):
    from overgang.sql_console import connect_locked

    path, _ = _opened(settings, publication)
    if not path.exists():
        _fail(f"No published file at {path}: run `overgang run` first.")
    # Read-only: never blocks a run, which publishes by replacing the file, not writing into it.
    return connect_locked(path)


class _Printer:
    """Prints a result as a table (its first rows: only those are fetched), or every row as CSV
    or JSON, written batch by batch as DuckDB gives them: memory stays flat however large."""

    def __init__(self, mode: str, more: str) -> None:
        self.mode = mode
        self.more = more  # what the note on a cut table advises

    def __call__(self, result, empty: str | None = None) -> None:
        from overgang.sql_console import SHOWN, ConsoleError, as_csv, as_json, is_numeric, text

        try:
            if self.mode in ("csv", "csv-raw"):
                raw, header = self.mode == "csv-raw", True
                for rows in result.batches():
                    click.echo(as_csv(result.columns, result.types, rows, raw=raw, header=header), nl=False)
                    header = False
                if header:  # no rows: the header alone
                    click.echo(as_csv(result.columns, result.types, [], raw=raw), nl=False)
                return
            if self.mode == "json":
                for piece in as_json(result.batches()):
                    click.echo(piece, nl=False)
                return
            # One row more than shown: whether there are more, without reading them.
            rows = next(result.batches(SHOWN + 1), [])
        finally:
            result.close()
        if not rows and empty:
            raise ConsoleError(empty)
        table = Table(show_lines=False)
        for column, kind in zip(result.columns, result.types):
            table.add_column(escape(str(column)), justify="right" if is_numeric(kind) else "left")
        for row in rows[:SHOWN]:
            table.add_row(*(escape(text(v)) for v in row))  # a value is text, never rich markup
        Console().print(table)
        if len(rows) > SHOWN:
            console.print(f"(first {SHOWN:,} rows shown; the result has more: {self.more})")


@main.command()
@click.argument("sql")
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="Write CSV for a spreadsheet to standard output: text it would run as a formula (=, +, -, @) starts with '.",
)
@click.option("--csv-raw", is_flag=True, help="Write CSV with every value as it is, for tools (not for spreadsheets).")
@click.option("--json", "as_json", is_flag=True, help="Write a JSON list of rows to standard output.")
@click.option(
    "--publication",
    is_flag=True,
    help="Open the publication set (protected figures) instead of the internal warehouse.",
)
def query(sql: str, as_csv: bool, csv_raw: bool, as_json: bool, publication: bool) -> None:
    """Run SQL against the published warehouse, read-only (views in schema `analyst`)."""
    from overgang.sql_console import ConsoleError, run

    settings = _settings()
    path, what = _opened(settings, publication)
    show = _Printer(
        "csv" if as_csv else "csv-raw" if csv_raw else "json" if as_json else "table",
        "--csv or --json write every row, or narrow it in the SQL (WHERE, LIMIT)",
    )
    with _published(settings, publication) as con:
        console.print(f"[dim]Read-only: {escape(what)}, {escape(str(path))}[/]")
        try:
            result = run(con, sql, path, as_json=as_json)
            if result is not None:
                show(result)
        except ConsoleError as err:
            _fail(str(err))


@main.command()
@click.option(
    "--publication",
    is_flag=True,
    help="Open the publication set (protected figures) instead of the internal warehouse.",
)
def shell(publication: bool) -> None:
    """An interactive SQL prompt on the published warehouse, read-only. End statements with ';'.

    .tables lists tables and views, .schema NAME their columns, .mode csv|csv-raw|json|table, .quit ends."""
    import gc

    from overgang.sql_console import ConsoleError, dot_command, run

    gc.enable()  # an interactive session may last hours (overgang/process.py)
    settings = _settings()
    history = _shell_history(settings)
    show = _Printer("table", ".mode csv or .mode json write every row, or narrow it in the SQL (WHERE, LIMIT)")
    path, what = _opened(settings, publication)
    with _published(settings, publication) as con:
        console.print(f"Read-only: {escape(what)}, {escape(str(path))}. Try: .tables;  (.tables, .schema NAME, .quit)")
        buffer = ""
        while True:
            try:
                line = input("overgang> " if not buffer else "      ...> ")
            except EOFError:
                break
            except KeyboardInterrupt:  # Ctrl-C drops the statement being typed, as in psql
                buffer = ""
                click.echo()
                continue
            try:
                if not buffer and line.strip().startswith("."):
                    if not dot_command(con, line, show, path):
                        break
                    continue
                buffer += line + "\n"
                if buffer.strip().endswith(";"):
                    sql, buffer = buffer, ""
                    result = run(con, sql, path, as_json=show.mode == "json")
                    if result is not None:
                        show(result)
            except ConsoleError as err:
                console.print(f"[red]{escape(str(err))}[/]")
            except KeyboardInterrupt:  # Ctrl-C while a query runs: it is cancelled, the prompt returns
                buffer = ""
                console.print("[yellow]Cancelled (Ctrl-C):[/] the query stopped; nothing was changed.")
    if history:
        history()


def _shell_history(settings: Settings):
    """Line editing and history (kept in the home folder) where readline exists; the function
    that saves it, or None."""
    try:
        import readline
    except ImportError:
        return None
    path = settings.home / ".shell_history"
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)

    def save() -> None:
        # An analyst may type a CPR number while looking for a pupil, in any spelling and maybe
        # inside a longer number: never kept on disk (a long pseudonym typed is lost too: harmless).
        from overgang.cpr import scrub

        for i in range(readline.get_current_history_length()):
            item = readline.get_history_item(i + 1)
            if item is not None and scrub(item, long_numbers=True) != item:
                readline.replace_history_item(i, scrub(item, long_numbers=True))
        try:
            readline.write_history_file(path)
        except OSError:
            pass

    return save


@main.group()
def key() -> None:
    """The secret key that turns CPR numbers into pseudonyms."""


@key.command("new")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def key_new(path: Path) -> None:
    """Write a new random 256-bit key to PATH, readable by you only (never overwrites)."""
    from overgang.pseudonymise import new_key_file

    try:
        written = new_key_file(path)
    except FileExistsError:
        _fail(
            f"{path} already exists; a key is never overwritten (pupils could no longer be followed across "
            "years). Choose another path, or remove the old key yourself if you mean to start over."
        )
    console.print(
        f"Wrote a new key to {written} (mode 600). Point Overgang at it:\n"
        f"  export OVERGANG_CPR_KEY_FILE={written}\n"
        "Keep a copy in a safe place: without it, next year's pupils cannot be linked to this year's."
    )


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of standard output (e.g. docs/data_dictionary.md).",
)
def dictionary(out: Path | None) -> None:
    """The data dictionary of the analyst views, from the published warehouse."""
    from schemas.dictionary import dictionary_markdown

    with _published(_settings()) as con:
        text = dictionary_markdown(con)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}")
    else:
        click.echo(text)


def entry() -> None:
    """The installed `overgang` command (and `python -m pipelines.cli`): `main`, then the process
    ends without Python's slow teardown (overgang/process.py). Tests call `main` itself."""
    start_command()
    try:
        main()
    except SystemExit as done:
        exit_now(status_of(done))


if __name__ == "__main__":
    entry()
