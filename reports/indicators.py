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
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from overgang.numbers import da_pct
from reports.sql import frame as _df

TEXTS = Path(__file__).resolve().parent / "templates" / "goal_texts.da.yaml"


@lru_cache(maxsize=1)
def _texts() -> dict:
    import yaml

    return yaml.safe_load(TEXTS.read_text(encoding="utf-8"))


def say(key: str, **values) -> str:
    """The Danish wording `key` ("section.name") from goal_texts.da.yaml, filled in."""
    section, name = key.split(".")
    return _texts()[section][name].format(**values)


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


STATUS_CLASS = {
    "none": "status-none",
    "no_target": "status-none",
    "context_only": "status-none",
    "met": "status-met",
    "met_national": "status-met",
    "on_track": "status-on-track",
}


def status(value, target, national, or_national: bool, deadline, year, trend) -> tuple[str, str]:
    """The one status rule: met (the goal, or the national average where the goal allows it),
    on track or not before its deadline (a straight-line projection), or not met. Returns the
    status's Danish wording and its CSS class."""
    key = _status_key(value, target, national, or_national, deadline, year, trend)
    return say(f"status.{key}"), STATUS_CLASS.get(key, "status-not-met")


def _status_key(value, target, national, or_national: bool, deadline, year, trend) -> str:
    if value is None:
        return "none"
    if target is not None and value >= target:
        return "met"
    if or_national and national is not None and value >= national:
        return "met_national"
    if deadline and year < deadline:
        if trend is None:
            # One point is no trend: too early to say whether the goal will be met.
            return "not_yet"
        return "on_track" if trend >= target else "off_track"
    return "not_met"


class _Plain(dict):
    """Series values by year with a missing or NaN value as None."""

    def get(self, key, default=None):
        v = super().get(key, default)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


@dataclass
class Context:
    """What an indicator may read: the warehouse, the report's parts, the kommune and year."""

    con: object
    data: dict
    kommune_code: int
    year: int

    @cached_property
    def eud(self) -> dict[str, _Plain]:
        # Read by most cards and by _mark: the frame is indexed once per report, not per card.
        frame = self.data["series"]["EUD"].set_index("year")
        return {c: _Plain(frame[c].to_dict()) for c in ("kommune", "national", "target")}


Indicator = Callable[[Context, object], "GoalCard | None"]
INDICATORS: dict[tuple[str, str], Indicator] = {}


def indicator(name: str, scope: str) -> Callable[[Indicator], Indicator]:
    def register(fn: Indicator) -> Indicator:
        INDICATORS[(name, scope)] = fn
        return fn

    return register


def _eud_card(ctx: Context, goal_id: str, title: str, target, note: str) -> GoalCard:
    """The kommune's EUD share against a target (its måltal), with the gap in points and pupils."""
    eud, year = ctx.eud, ctx.year
    value, national = eud["kommune"].get(year), eud["national"].get(year)
    state = status(value, target, national, False, None, year, None) if target is not None else None
    card = GoalCard(
        goal_id,
        title,
        "søgning",
        value,
        say("eud_share.value_label", year=year),
        eud["kommune"].get(year - 1),
        target,
        national,
        *(state or (say("status.no_target"), "status-none")),
        note=note,
    )
    if value is not None and target is not None and value < target:
        card.gap_pp = value - target
        denominator = ctx.data["denominator"]
        count = ctx.data["groups"].set_index("group").loc["EUD", "applicants"] if len(ctx.data["groups"]) else None
        if denominator and count is not None and not pd.isna(count):
            card.gap_people = math.ceil(round(target / 100 * denominator, 9)) - int(count)
            card.gap_people_text = say("eud_share.gap_people", people=card.gap_people)
    return card


@indicator("eud_application_share", "kommune")
def kommune_eud_share(ctx: Context, g) -> GoalCard:
    """The kommune's EUD måltal: the year's loaded måltal, else the goal's own target."""
    target = ctx.eud["target"].get(ctx.year)
    target = g.target_pct if target is None else target
    return _eud_card(ctx, g.goal_id, say("eud_share.title_target", year=ctx.year), target, say("eud_share.note"))


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
    kommune's own EUD share; on track if the last three shown years, drawn on, reach it in time."""
    eud, year = ctx.eud, ctx.year
    value, national = eud["kommune"].get(year), eud["national"].get(year)
    shown = [(y, eud["kommune"].get(y)) for y in sorted(eud["kommune"]) if y <= year]
    shown = [(y, v) for y, v in shown if v is not None][-3:]
    trend = None
    if g.deadline_year and year < g.deadline_year and len(shown) == 3:
        slope = (shown[-1][1] - shown[0][1]) / (shown[-1][0] - shown[0][0])
        trend = shown[-1][1] + slope * (g.deadline_year - shown[-1][0])
    state, css = status(value, g.target_pct, national, False, g.deadline_year, year, trend)
    card = GoalCard(
        g.goal_id,
        say("national_eud.title", target=f"{g.target_pct:.0f}", deadline=g.deadline_year),
        "søgning",
        value,
        say("eud_share.value_label", year=year),
        eud["kommune"].get(year - 1),
        g.target_pct,
        national,
        state,
        css,
        note=say("national_eud.note")
        + (say("national_eud.projected", trend=da_pct(trend), deadline=g.deadline_year) if trend is not None else ""),
    )
    if value is not None and value < g.target_pct:
        card.gap_pp = value - g.target_pct
    return card


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
        state, css = status(point["value"], g.target_pct, national, bool(g.or_national_average), None, 0, None)
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
    comp = ctx.data["completion"]
    if comp.empty:
        return unmeasured(ctx, g, say("completion.no_projection"))
    mine = comp[(comp.area == "kommune") & (comp.status == "completed")].iloc[0]
    nat = comp[(comp.area == "Hele landet") & (comp.status == "completed")].iloc[0]
    return GoalCard(
        g.goal_id,
        g.description_da,
        "observeret",
        mine["share"],
        say("completion.context_label", year=ctx.data["completion_year"]),
        None,
        g.target_pct,
        nat["share"],
        say("status.context_only"),
        STATUS_CLASS["context_only"],
        note=say("completion.context_note", target=da_pct(g.target_pct, 0)),
    )


@indicator("completed_youth_education_age25", "national")
def national_age25(ctx: Context, g) -> GoalCard | None:
    """The national 90 %/85 % goals for 25-year-olds, from published national figures (not
    measured for a single kommune); on track if the straight line through them reaches it."""
    points = _df(
        ctx.con,
        """SELECT year, value FROM published_figures WHERE scope = 'national'
           AND measure = 'completed_youth_edu_age25' AND year <= $y ORDER BY year""",
        {"y": ctx.year},
    )
    if points.empty:
        return None
    last = points.iloc[-1]
    trend = None
    if len(points) >= 2 and g.deadline_year:
        first = points.iloc[0]
        slope = (last.value - first.value) / (last.year - first.year)
        trend = last.value + slope * (g.deadline_year - last.year)
    state, css = status(float(last.value), g.target_pct, None, False, g.deadline_year, int(last.year), trend)
    card = GoalCard(
        g.goal_id,
        say("national_age25.title", target=f"{g.target_pct:.0f}", deadline=g.deadline_year),
        "observeret",
        float(last.value),
        say("national_age25.value_label", year=int(last.year)),
        None,
        g.target_pct,
        float(last.value),
        state,
        css,
        note=(
            say(
                "national_age25.projected",
                first=int(points.iloc[0].year),
                last=int(last.year),
                trend=da_pct(trend),
                deadline=g.deadline_year,
            )
            if trend is not None
            else ""
        )
        + say("national_age25.note"),
    )
    card.gap_pp = float(last.value) - g.target_pct
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
        STATUS_CLASS["none"],
        note=note or say("unmeasured.note"),
    )


def goal_cards(con, data: dict, goals: pd.DataFrame, params: dict) -> list[GoalCard]:
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
    frame = ctx.data["series"]["EUD"].set_index("year")
    basis = frame.get("target_basis", pd.Series(dtype=object))
    interpolated = {int(year) for year, b in basis.items() if b == "interpolated"}
    target_now = ctx.eud["target"].get(y)
    extract = ctx.data["extract_years"]  # years shown from protected cells (audited); the rest are published
    labels = {int(y): v for y, v in frame["label"].items() if isinstance(v, str)} if "label" in frame else {}
    for card in cards:
        if card.kind == "søgning" and card.target is not None and card.target == target_now and y in interpolated:
            card.target_note = "interpoleret"
        if card.value_label.startswith("EUD-andel"):
            if card.value is not None and y in extract:
                card.value_cell, card.value_of = f"{k}/{y}/g/EUD", f"{k}/{y}/g/n"
            elif y in labels:
                card.value_label_mark = labels[y]
                if y in extract:
                    card.value_cell = f"{k}/{y}/g/EUD"
            if card.previous is not None and y - 1 in extract:
                card.previous_cell, card.previous_of = f"{k}/{y - 1}/g/EUD", f"{k}/{y - 1}/g/n"
        elif card.kind == "observeret" and card.value_label.startswith("18–25") and card.value is not None:
            cy = ctx.data["completion_year"]
            card.value_cell, card.value_of = f"{k}/c{cy}/c/completed", f"{k}/c{cy}/c/total"


__all__ = ["INDICATORS", "GoalCard", "goal_cards", "indicator", "status"]
