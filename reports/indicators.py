"""Goal indicators (målsætninger): how each kind of goal in goals.csv is measured.

A goal names an indicator and a scope; ``INDICATORS`` maps the pair to one function that
measures it for a kommune and year and returns its card. Every card is judged by the same rule
(``status``). A new goal is a goals.csv row; a new kind of goal is one function registered with
``@indicator``. A goal whose indicator has no function is still shown, as "Ingen data".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from markupsafe import Markup

from overgang.numbers import da_pct
from overgang.settings import series_break_years
from reports.memo import per_warehouse
from reports.sql import frame as _df
from reports.verdicts import MIN_POINTS, Point, Projection, Verdict, _texts, judge, one_series, say


@dataclass
class GoalCard:
    goal_id: str
    title: str
    kind: str
    value: float | None
    value_label: str
    previous: float | None
    target: float | None
    national: float | None
    status: str
    status_class: str
    gap_pp: float | None = None
    gap_people: int | None = None
    gap_people_text: str = ""
    note: str = ""
    # Which protected cells the value and last year's value show (for the audit), or the mark of a hidden one.
    value_cell: str | None = None
    value_of: str | None = None
    previous_cell: str | None = None
    previous_of: str | None = None
    value_label_mark: str | None = None
    target_note: str = ""  # "interpoleret" where the year's måltal lies between decided ones
    # The year whose figure the card shows: the report year, or the deadline once it has come.
    value_year: int | None = None
    verdict: Verdict | None = None  # the rule's result (reports/verdicts.py), for every surface
    projection: Projection | None = None  # drawn as a band up to the deadline in the EUD chart


def status(value, target, national=None, or_national: bool = False, year: int = 0) -> tuple[str, str]:
    """A year's figure against a target with no deadline, by the one rule (reports/verdicts.py):
    the status's Danish wording and its CSS class."""
    v = judge(target, year, {year: value}, national=national, or_national=or_national)
    return v.text(), v.css


class _Plain(dict):
    """Series values by year with a missing or NaN value as None."""

    def get(self, key, default=None):
        v = super().get(key, default)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


@dataclass(frozen=True)
class CardInputs:
    """The report's parts a goal card is measured from (reports/data.py makes them)."""

    series: dict[str, pd.DataFrame]  # by måltal group: the kommune's, national and target share by year
    groups: pd.DataFrame  # the report year's applicants by education group
    denominator: int | None  # the report year's leavers (None: hidden)
    completion: pd.DataFrame
    completion_year: int | None
    extract_years: set[int]  # years shown from protected cells (audited); the rest are published


@dataclass
class Context:
    """What an indicator may read: the warehouse, the report's parts, the kommune and year."""

    con: object
    data: CardInputs
    kommune_code: int
    year: int

    @cached_property
    def eud(self) -> dict[str, _Plain]:
        # Read by most cards and by _mark: the frame is indexed once per report, not per card.
        frame = self.data.series["EUD"].set_index("year")
        return {
            c: _Plain(frame[c].to_dict()) if c in frame else _Plain() for c in ("kommune", "national", "target", "n")
        }

    @cached_property
    def points(self) -> list[Point]:
        """The kommune's EUD shares up to the report year as printed, with the leavers they are of."""
        share, n = self.eud["kommune"], self.eud["n"]
        return [
            Point(int(y), float(share.get(y)), n.get(y) and int(n.get(y)))
            for y in sorted(share)
            if share.get(y) is not None and y <= self.year
        ]

    @cached_property
    def breaks(self) -> tuple[int, ...]:
        return series_break_years("application_shares")


Indicator = Callable[[Context, object], "GoalCard | None"]
INDICATORS: dict[tuple[str, str], Indicator] = {}


def indicator(name: str, scope: str) -> Callable[[Indicator], Indicator]:
    def register(fn: Indicator) -> Indicator:
        INDICATORS[(name, scope)] = fn
        return fn

    return register


def _eud_card(ctx: Context, goal_id: str, title: str, target, note: str, deadline: int | None = None) -> GoalCard:
    """The kommune's EUD share against a target (its måltal, or a goal with a deadline), judged by
    the one rule; with the gap in points and pupils when the report year's own figure decides."""
    eud, year = ctx.eud, ctx.year
    verdict = judge(target, year, eud["kommune"], deadline=deadline, points=ctx.points, breaks=ctx.breaks)
    # Once the deadline has come, its year's figure is the card's figure; later ones are context.
    shown = verdict.year if verdict.key in ("met_at", "not_met_at", "deadline_missing") else year
    value = eud["kommune"].get(shown)
    card = GoalCard(
        goal_id,
        title,
        "søgning",
        value,
        say("eud_share.value_label", year=shown),
        eud["kommune"].get(year - 1) if shown == year else None,
        target,
        eud["national"].get(shown),
        *((verdict.text(), verdict.css) if target is not None else (say("status.no_target"), "status-none")),
        note=note,
        value_year=shown,
        verdict=verdict if target is not None else None,
        projection=verdict.projection,
    )
    if shown != year:
        card.note += say("verdict.judged_at", deadline=shown)
    if value is not None and target is not None and value < target:
        card.gap_pp = value - target
        denominator = ctx.data.denominator
        count = ctx.data.groups.set_index("group").loc["EUD", "applicants"] if len(ctx.data.groups) else None
        if shown == year and denominator and count is not None and not pd.isna(count):
            card.gap_people = math.ceil(round(target / 100 * denominator, 9)) - int(count)
            card.gap_people_text = say("eud_share.gap_people", people=card.gap_people)
    card.note += verdict_note(verdict, len(one_series(ctx.points, ctx.breaks)))
    return card


def verdict_note(verdict: Verdict, points: int) -> str:
    """What a card says under its verdict about the projection: its years, trend and interval,
    or why there is none yet (`points`: the figures of the series the newest one belongs to)."""
    if (p := verdict.projection) is not None:
        return say(
            "verdict.projected",
            first=p.years[0],
            last=p.years[-1],
            points=len(p.years),
            trend=da_pct(p.centre),
            low=da_pct(p.low),
            high=da_pct(p.high),
            deadline=p.deadline,
        )
    if verdict.key == "too_early":
        return say("verdict.too_early", min=MIN_POINTS, points=points)
    return ""


def _abolished(g, year: int) -> str:
    """ " Målet gælder ikke efter 2023." in the last report a goal with an end year is shown in."""
    end = getattr(g, "valid_to_year", None)
    if end is None or pd.isna(end) or year < int(end):
        return ""
    return say("verdict.ends", year=int(end))


@indicator("eud_application_share", "kommune")
def kommune_eud_share(ctx: Context, g) -> GoalCard:
    """The kommune's EUD måltal: the year's loaded måltal (judged on the year's figure), else the
    goal's own target and deadline (judged by the deadline rule)."""
    target = ctx.eud["target"].get(ctx.year)
    if target is not None:
        return _eud_card(ctx, g.goal_id, say("eud_share.title_target", year=ctx.year), target, say("eud_share.note"))
    deadline = None if pd.isna(g.deadline_year) else int(g.deadline_year)
    title = (
        say("eud_share.title_goal", target=da_pct(g.target_pct, 0), deadline=deadline)
        if deadline
        else say("eud_share.title_target", year=ctx.year)
    )
    return _eud_card(ctx, g.goal_id, title, g.target_pct, say("eud_share.note") + _abolished(g, ctx.year), deadline)


def own_eud_share(ctx: Context) -> GoalCard:
    """The card every report has when goals.csv names no EUD goal for the kommune: a loaded
    måltal for the year is its target; without one it shows where the kommune stands."""
    target = ctx.eud["target"].get(ctx.year)
    if target is None:
        title, note = say("eud_share.title_plain", year=ctx.year), say("eud_share.note_no_target")
    else:
        title, note = say("eud_share.title_target", year=ctx.year), say("eud_share.note")
    return _eud_card(ctx, "eud_share", title, target, note)


@indicator("eud_application_share", "national")
def national_eud_share(ctx: Context, g) -> GoalCard:
    """A national EUD goal (the 2014 reform's 25 % in 2020, 30 % in 2025) measured on the
    kommune's own EUD share: judged on the deadline year's figure once it has come, before it by
    a projection with a prediction interval (reports/verdicts.py)."""
    deadline = None if pd.isna(g.deadline_year) else int(g.deadline_year)
    return _eud_card(
        ctx,
        g.goal_id,
        say("national_eud.title", target=f"{g.target_pct:.0f}", deadline=deadline),
        g.target_pct,
        say("national_eud.note") + _abolished(g, ctx.year),
        deadline,
    )


def _projection(con, kommune_code: int, year: int) -> tuple[dict, float | None] | None:
    """The latest profilmodel projection for the kommune (the measure the 95 % goals are set on):
    25 years after 9th grade (the goal's horizon) from the newest vintage that gives it, else
    the longest horizon; with the national figure of the same vintage, cohort and horizon."""
    row = con.execute(
        """SELECT vintage, cohort, horizon_years, projected_pct FROM profilmodel_projections
           WHERE kommune_code = $k AND TRY_CAST(left(vintage, 4) AS INTEGER) <= $y
           ORDER BY horizon_years = 25 DESC, vintage DESC, horizon_years DESC, cohort DESC LIMIT 1""",
        {"k": kommune_code, "y": year},
    ).fetchone()
    if row is None:
        return None
    vintage, cohort, horizon, value = row
    national = con.execute(
        """SELECT projected_pct FROM profilmodel_projections WHERE kommune_code = 0 AND vintage = $v
           AND cohort = $c AND horizon_years = $h""",
        {"v": vintage, "c": cohort, "h": horizon},
    ).fetchone()
    point = {"vintage": vintage, "cohort": int(cohort), "horizon": int(horizon), "value": round(float(value), 1)}
    return point, (round(float(national[0]), 1) if national else None)


@indicator("completed_youth_education", "kommune")
def completion_goal(ctx: Context, g) -> GoalCard:
    """A 95 %/90 % completion goal, measured as the goal is set: by the profilmodel projection of
    a cohort. Danmarks Statistik's STATUSU6 (today's status of all 18-25-year-olds, the youngest
    still in education) cannot reach 95 % and is not the goal's measure: it is shown as context,
    with no met/not-met status and no gap."""
    projection = _projection(ctx.con, ctx.kommune_code, ctx.year)
    if projection is not None:
        point, national = projection
        state, css = status(point["value"], g.target_pct, national, bool(g.or_national_average))
        card = GoalCard(
            g.goal_id,
            g.description_da,
            "fremskrivning",
            point["value"],
            say("completion.projection_label", **point),
            None,
            g.target_pct,
            national,
            state,
            css,
            note=say("completion.projection_note"),
        )
        # A goal met by the national average has no gap to close.
        if point["value"] < g.target_pct and css != "status-met":
            card.gap_pp = point["value"] - g.target_pct
        return card
    comp = ctx.data.completion
    if comp.empty:
        return unmeasured(ctx, g, say("completion.no_projection"))
    mine = comp[(comp.area == "kommune") & (comp.status == "completed")].iloc[0]
    nat = comp[(comp.area == "Hele landet") & (comp.status == "completed")].iloc[0]
    return GoalCard(
        g.goal_id,
        g.description_da,
        "observeret",
        mine["share"],
        say("completion.context_label", year=ctx.data.completion_year),
        None,
        g.target_pct,
        nat["share"],
        say("status.context_only"),
        "status-none",
        note=say("completion.context_note", target=da_pct(g.target_pct, 0)),
    )


@indicator("completed_youth_education_age25", "national")
def national_age25(ctx: Context, g) -> GoalCard | None:
    """The national 90 %/85 % goals for 25-year-olds, from published national figures (not
    measured for a single kommune), judged by the one rule: on the deadline year's figure once it
    has come; before it, the newest published figure and a projection of the published ones."""
    every = per_warehouse(
        ctx.con,
        "indicators.national_age25",
        lambda: _df(
            ctx.con,
            """SELECT year, value FROM published_figures WHERE scope = 'national'
               AND measure = 'completed_youth_edu_age25' ORDER BY year""",
            {},
        ),
    )
    points = every[every.year <= ctx.year]
    if points.empty:
        return None
    deadline = None if pd.isna(g.deadline_year) else int(g.deadline_year)
    values = {int(y): float(v) for y, v in zip(points.year, points.value)}
    # Published with a lag: before the deadline the newest figure stands for the report year.
    latest = int(points.iloc[-1].year)
    at = ctx.year if deadline is not None and ctx.year >= deadline else latest
    verdict = judge(
        g.target_pct,
        at,
        values,
        deadline=deadline,
        points=[Point(y, v) for y, v in values.items()],
        breaks=series_break_years("completed_youth_edu_age25"),
    )
    shown = verdict.year if verdict.year is not None else latest
    value = values.get(shown)
    series = one_series([Point(y, v) for y, v in values.items()], series_break_years("completed_youth_edu_age25"))
    note = verdict_note(verdict, len(series)).strip()
    card = GoalCard(
        g.goal_id,
        say("national_age25.title", target=f"{g.target_pct:.0f}", deadline=deadline),
        "observeret",
        value,
        say("national_age25.value_label", year=shown),
        None,
        g.target_pct,
        value,
        verdict.text(),
        verdict.css,
        note=note + say("national_age25.note"),
        value_year=shown,
        verdict=verdict,
        projection=verdict.projection,
    )
    if value is not None:
        card.gap_pp = value - g.target_pct
    return card


def unmeasured(ctx: Context, g, note: str | None = None) -> GoalCard:
    """A goal without figures (or an indicator Overgang cannot yet measure): shown, not hidden."""
    return GoalCard(
        g.goal_id,
        g.description_da,
        _texts()["kinds"].get(g.indicator_kind, g.indicator_kind),
        None,
        "",
        None,
        g.target_pct,
        None,
        say("status.none"),
        "status-none",
        note=note or say("unmeasured.note"),
    )


def goal_cards(con, data: CardInputs, goals: pd.DataFrame, params: dict) -> list[GoalCard]:
    """One card per goal in force, each measured by its indicator; then the cells the cards show
    are named for the disclosure audit (only years shown from protected cells)."""
    ctx = Context(con, data, params["k"], params["y"])
    cards = []
    for g in goals.itertuples():
        card = INDICATORS.get((g.indicator, g.scope), unmeasured)(ctx, g)
        if card is not None:
            cards.append(card)
    if not any(g.indicator == "eud_application_share" and g.scope == "kommune" for g in goals.itertuples()):
        cards.insert(0, own_eud_share(ctx))
    _mark(cards, ctx)
    return cards


def _mark(cards: list[GoalCard], ctx: Context) -> None:
    k, y = ctx.kommune_code, ctx.year
    frame = ctx.data.series["EUD"].set_index("year")
    basis = frame.get("target_basis", pd.Series(dtype=object))
    interpolated = {int(year) for year, b in basis.items() if b == "interpolated"}
    target_now = ctx.eud["target"].get(y)
    extract = ctx.data.extract_years  # years shown from protected cells (audited); the rest are published
    labels = {int(y): v for y, v in frame["label"].items() if isinstance(v, str)} if "label" in frame else {}
    for card in cards:
        if card.kind == "søgning" and card.target is not None and card.target == target_now and y in interpolated:
            card.target_note = "interpoleret"
        if card.value_label.startswith("EUD-andel"):
            vy = card.value_year or y  # the deadline's year once it has come
            if card.value is not None and vy in extract:
                card.value_cell, card.value_of = f"{k}/{vy}/g/EUD", f"{k}/{vy}/g/n"
            elif vy in labels:
                card.value_label_mark = labels[vy]
                if vy in extract:
                    card.value_cell = f"{k}/{vy}/g/EUD"
            v = card.verdict
            if v is not None and v.key in ("met_at", "not_met_at"):
                # The deadline year's figure in the verdict is a number about the kommune's pupils:
                # tied to its cell like every other (reports/audit.py), or printed as published.
                span = (
                    Markup('<span data-cell="{}" data-of="{}">{}</span>').format(
                        card.value_cell, card.value_of, da_pct(v.value)
                    )
                    if card.value_cell
                    else Markup("<span>{}</span>").format(da_pct(v.value))
                )
                card.status = v.text(span)
            if card.previous is not None and y - 1 in extract:
                card.previous_cell, card.previous_of = f"{k}/{y - 1}/g/EUD", f"{k}/{y - 1}/g/n"
        elif card.kind == "observeret" and card.value_label.startswith("18–25") and card.value is not None:
            cy = ctx.data.completion_year
            card.value_cell, card.value_of = f"{k}/c{cy}/c/completed", f"{k}/c{cy}/c/total"


__all__ = ["INDICATORS", "GoalCard", "goal_cards", "indicator", "status"]
