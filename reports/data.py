"""What the council report shows, read from the published warehouse and made safe to publish.

Every number here comes from a table named in its query; small cells are blanked here, before
anything reaches the template (``overgang/suppression.py``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from overgang.numbers import da_pct
from overgang.settings import Settings
from overgang.stats import wilson_interval
from overgang.suppression import suppress_counts, suppress_frame, suppress_table

TARGET_GROUPS = {"EUD": "EUD", "GYM": "GYM", "OEVRIGE": "Øvrige"}
DETAIL_GROUPS = ["EUD", "GYM", "FGU", "STU", "OEVRIGT"]
STATUS_LABELS = {"completed": "Fuldført", "in_progress": "I gang", "dropped_out": "Afbrudt",
                 "no_registered_education": "Ingen registreret uddannelse"}


class ReportError(ValueError):
    pass


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


@dataclass
class ReportData:
    kommune_code: int
    kommune_name: str
    region: str
    year: int
    series: dict[str, pd.DataFrame]
    groups: pd.DataFrame
    denominator: int | None
    tenth_grade: int
    grades: pd.DataFrame
    sexes: pd.DataFrame
    schools: pd.DataFrame
    comparison: pd.DataFrame
    completion: pd.DataFrame
    completion_year: int | None
    goal_cards: list[GoalCard]
    goals: pd.DataFrame
    sources: pd.DataFrame
    publication: dict
    small_cell: dict = field(default_factory=dict)


def _df(con, sql: str, params: dict) -> pd.DataFrame:
    """Run a query with the parameters it names (DuckDB refuses unused ones)."""
    return con.execute(sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}).df()


_SHARES = """FROM application_shares s JOIN education_groups g ON g."group" = s.education_group
             WHERE s.geography_basis = 'school' AND g.in_denominator"""


def _wide(frame: pd.DataFrame, key: str = "row_key") -> pd.DataFrame:
    """Long counts (key, target_group, applicants, denominator) to one row per key: a column
    per måltal group (EUD, GYM, OEVRIGE; 0 where nobody applied) and the denominator."""
    wide = frame.pivot_table(index=key, columns="target_group", values="applicants", aggfunc="sum").reindex(
        columns=list(TARGET_GROUPS), fill_value=0).fillna(0).astype(int)
    wide["denominator"] = frame.groupby(key)["denominator"].max()
    return wide


def _target_group_counts(con, params: dict, where: str, by: str) -> pd.DataFrame:
    """Counts per måltal group with the denominator, one row per `by`, from application_shares."""
    return _wide(_df(con, f"""
        SELECT {by} AS row_key, g.target_group, sum(s.applicants)::BIGINT AS applicants, max(s.denominator) AS denominator
        {_SHARES} AND {where} GROUP BY ALL""", params))


def _publishable_shares(wide: pd.DataFrame, small: dict, column_totals_published: bool = True) -> pd.DataFrame:
    """Shares per måltal group with blanked cells as None and a `blanked_<group>` flag."""
    counts = wide[list(TARGET_GROUPS)]
    if column_totals_published:
        blank = suppress_table(counts, small["min_count"], small["min_denominator"])
    else:
        # Rows are separate areas: each is protected against its own total only.
        blank = counts.apply(lambda row: suppress_counts(row, min_count=small["min_count"]), axis=1)
        blank.loc[wide["denominator"] < small["min_denominator"]] = True
    out = pd.DataFrame(index=wide.index)
    out["denominator"] = wide["denominator"]
    out["small"] = wide["denominator"] < small["min_denominator"]
    for group in TARGET_GROUPS:
        share = 100 * counts[group] / wide["denominator"]
        out[group] = share.astype(object).where(~blank[group], None)
        out[f"blanked_{group}"] = blank[group]
    return out


def _series(con, params: dict, small: dict) -> dict[str, pd.DataFrame]:
    frame = _df(con, f"""
        SELECT s.year, g.target_group,
               sum(s.applicants) FILTER (WHERE s.kommune_code = $k)::BIGINT AS applicants,
               max(s.denominator) FILTER (WHERE s.kommune_code = $k) AS denominator,
               100.0 * sum(s.applicants) FILTER (WHERE s.kommune_code = 0) / max(s.denominator) FILTER (WHERE s.kommune_code = 0) AS national
        {_SHARES} AND s.grade = '9+10' AND s.kommune_code IN ($k, 0) AND s.year <= $y
        GROUP BY ALL ORDER BY s.year""", params)
    targets = _df(con, "SELECT target_year AS year, target_group, target_pct AS target FROM targets WHERE kommune_code = $k", params)
    out = {}
    for group in TARGET_GROUPS:
        f = frame[frame.target_group == group].merge(targets[targets.target_group == group][["year", "target"]], on="year", how="outer")
        f = f.sort_values("year").reset_index(drop=True)
        share = 100 * f["applicants"] / f["denominator"]
        hidden = f["applicants"].between(1, small["min_count"] - 1) | (f["denominator"] < small["min_denominator"])
        f["kommune"] = share.where(~hidden)
        # Måltal ahead of the report year are drawn; later application years are not.
        out[group] = f[(f.year <= params["y"]) | f["applicants"].isna()][["year", "kommune", "national", "target"]]
    return out


def _groups(con, params: dict, small: dict) -> tuple[pd.DataFrame, int | None, int]:
    groups = _df(con, """
        SELECT g."group", g.label_da, g.short_label_da,
               max(s.applicants) FILTER (WHERE s.kommune_code = $k) AS applicants,
               max(s.share_pct) FILTER (WHERE s.kommune_code = $k) AS share,
               max(s.share_pct) FILTER (WHERE s.kommune_code = 0)  AS national,
               max(s.denominator) FILTER (WHERE s.kommune_code = $k) AS denominator
        FROM application_shares s JOIN education_groups g ON g."group" = s.education_group
        WHERE s.geography_basis = 'school' AND s.grade = '9+10' AND s.year = $y
        GROUP BY g."group", g.label_da, g.short_label_da, g.sort_order ORDER BY g.sort_order""", params)
    tenth = groups.loc[groups["group"] == "TIENDE", "applicants"]
    denominator = int(groups["denominator"].dropna().iloc[0])
    groups = groups[groups["group"].isin(DETAIL_GROUPS)].reset_index(drop=True)
    # The national column is shown as is: all its counts are large.
    groups, withhold_total = suppress_frame(groups, "applicants", ["share"], small["min_count"])
    return groups, (None if withhold_total else denominator), int(tenth.iloc[0]) if len(tenth) else 0


def _schools(con, params: dict, small: dict) -> pd.DataFrame:
    frame = _df(con, """
        SELECT s.school_institution_number, any_value(s.school_name) AS school_name, g.target_group,
               sum(s.applicants)::BIGINT AS applicants, max(s.denominator) AS denominator
        FROM school_application_shares s JOIN education_groups g ON g."group" = s.education_group
        WHERE s.kommune_code = $k AND s.year = $y AND g.in_denominator GROUP BY ALL""", params)
    if frame.empty:
        return pd.DataFrame()
    counts = _wide(frame, "school_institution_number")
    out = _publishable_shares(counts, small)
    names = frame.groupby("school_institution_number")["school_name"].first()
    out["school_name"] = names.reindex(out.index).fillna("(uden navn)")
    lows, highs = [], []
    for inst, row in counts.iterrows():
        shown = not out.loc[inst, "blanked_EUD"] and not out.loc[inst, "small"]
        lo, hi = wilson_interval(int(row["EUD"]), int(row["denominator"])) if shown else (None, None)
        lo, hi = (None, None) if lo is None or math.isnan(lo) else (lo, hi)
        lows.append(lo)
        highs.append(hi)
    out["EUD_low"], out["EUD_high"] = lows, highs
    out["denominator"] = out["denominator"].where(~out["small"])
    return out.reset_index().sort_values("school_name").reset_index(drop=True)


def _comparison(con, params: dict, peers: list[int], region: str, small: dict) -> pd.DataFrame:
    where = "s.grade = '9+10' AND s.year = $y"
    rows = []
    named = dict(con.execute("SELECT kommune_code, kommune_name FROM kommuner").fetchall())
    for code in [params["k"]] + [p for p in peers if p != params["k"]]:
        wide = _target_group_counts(con, {**params, "c": code}, f"{where} AND s.kommune_code = $c", "s.kommune_code")
        if len(wide):
            rows.append((f"{named[code]}" + (" (sammenligningskommune)" if code != params["k"] else ""), wide))
    region_wide = _df(con, f"""
        SELECT g.target_group, sum(s.applicants)::BIGINT AS applicants
        {_SHARES} AND {where} AND s.kommune_code IN (SELECT kommune_code FROM kommuner WHERE region = $r)
        GROUP BY ALL""", {**params, "r": region})
    if len(region_wide):
        counts = region_wide.set_index("target_group")["applicants"].reindex(list(TARGET_GROUPS), fill_value=0)
        wide = counts.to_frame().T
        wide["denominator"] = int(counts.sum())
        rows.append((f"{region} (kommuner med data)", wide))
    national = _target_group_counts(con, params, f"{where} AND s.kommune_code = 0", "s.kommune_code")
    rows.append(("Hele landet", national))
    frames = []
    for label, wide in rows:
        wide = wide.reset_index(drop=True)
        wide.index = [label]
        # Each row against its own total; the rows are separate areas.
        frames.append(_publishable_shares(wide, small, column_totals_published=False))
    return pd.concat(frames).reset_index(names="area")


def _completion(con, params: dict, small: dict) -> tuple[pd.DataFrame, int | None]:
    latest = con.execute("SELECT max(year) FROM completion_status WHERE kommune_code = $k AND year <= $y", params).fetchone()[0]
    if latest is None:
        return pd.DataFrame(), None
    frame = _df(con, """SELECT kommune_code, status, persons FROM completion_status
                        WHERE year = $cy AND kommune_code IN ($k, 0) AND status <> 'total'""", {**params, "cy": latest})
    out = []
    for code, label in ((params["k"], "kommune"), (0, "Hele landet")):
        part = frame[frame.kommune_code == code].set_index("status")["persons"].reindex(list(STATUS_LABELS))
        total = int(part.sum())
        safe, withhold = suppress_frame(part.rename("persons").to_frame(), "persons", [], small["min_count"])
        for status, row in safe.iterrows():
            out.append({"area": label, "status": status, "label": STATUS_LABELS[status],
                        "persons": row["persons"], "share": None if row["blanked"] else 100 * part[status] / total,
                        "total": None if withhold else total})
    return pd.DataFrame(out), latest


def _status(value, target, national, or_national: bool, deadline, year, trend) -> tuple[str, str]:
    if value is None:
        return "Ingen data", "status-none"
    if target is not None and value >= target:
        return "Nået", "status-met"
    if or_national and national is not None and value >= national:
        return "Nået (landsgennemsnittet)", "status-met"
    if deadline and year < deadline:
        if trend is not None and trend >= target:
            return "På vej", "status-on-track"
        return "Ikke på vej", "status-not-met"
    return "Ikke nået", "status-not-met"


def _goal_cards(con, data: dict, goals: pd.DataFrame, params: dict) -> list[GoalCard]:
    cards = []
    eud = data["series"]["EUD"].set_index("year")
    for g in goals.itertuples():
        if g.indicator == "eud_application_share" and g.scope == "kommune":
            year = params["y"]
            value = eud["kommune"].get(year)
            target = eud["target"].get(year)
            target = g.target_pct if target is None or pd.isna(target) else target
            national = eud["national"].get(year)
            status, css = _status(value, target, national, False, None, year, None)
            card = GoalCard(g.goal_id, f"EUD-måltal {year}", "søgning", value, f"EUD-andel {year}",
                            eud["kommune"].get(year - 1), target, national, status, css,
                            note="Andel af afgangselever fra kommunens skoler med en erhvervsuddannelse som 1. prioritet.")
            denominator, count = data["denominator"], data["groups"].set_index("group").loc["EUD", "applicants"]
            if value is not None and value < target:
                card.gap_pp = value - target
                if denominator and count is not None:
                    card.gap_people = math.ceil(round(target / 100 * denominator, 9)) - int(count)
                    card.gap_people_text = f"{card.gap_people} elever mere med EUD som 1. prioritet ville have nået måltallet"
            cards.append(card)
        elif g.indicator == "completed_youth_education" and g.scope == "kommune":
            comp = data["completion"]
            if comp.empty:
                cards.append(GoalCard(g.goal_id, g.description_da, "observeret", None, "", None, g.target_pct, None,
                                      *_status(None, None, None, False, None, 0, None)))
                continue
            mine = comp[(comp.area == "kommune") & (comp.status == "completed")].iloc[0]
            nat = comp[(comp.area == "Hele landet") & (comp.status == "completed")].iloc[0]
            value, national = mine["share"], nat["share"]
            status, css = _status(value, g.target_pct, national, bool(g.or_national_average), g.deadline_year,
                                  data["completion_year"], None)
            card = GoalCard(g.goal_id, "95 % gennemfører en ungdomsuddannelse", "observeret", value,
                            f"18–25-årige med fuldført ungdomsuddannelse ({data['completion_year']})", None,
                            g.target_pct, national, status, css,
                            note="Danmarks Statistik (STATUSU6): status for alle 18–25-årige efter grundskolens beliggenhed. "
                                 "Målet gælder en hel årgang; de yngste er endnu i gang, så tallet undervurderer den endelige andel.")
            if value is not None and value < g.target_pct and mine["total"]:
                card.gap_pp = value - g.target_pct
                card.gap_people = math.ceil(round(g.target_pct / 100 * mine["total"], 9)) - int(mine["persons"])
                card.gap_people_text = f"{card.gap_people} flere unge med fuldført ungdomsuddannelse ville nå 95 %"
            cards.append(card)
        elif g.indicator == "completed_youth_education_age25" and g.scope == "national":
            points = _df(con, """SELECT year, value FROM published_figures WHERE scope = 'national'
                                 AND measure = 'completed_youth_edu_age25' ORDER BY year""", {})
            if points.empty:
                continue
            last = points.iloc[-1]
            trend = None
            if len(points) >= 2 and g.deadline_year:
                first = points.iloc[0]
                slope = (last.value - first.value) / (last.year - first.year)
                trend = last.value + slope * (g.deadline_year - last.year)
            status, css = _status(float(last.value), g.target_pct, None, False, g.deadline_year, int(last.year), trend)
            card = GoalCard(g.goal_id, f"Nationalt mål: {g.target_pct:.0f} % af de 25-årige i {g.deadline_year}", "observeret",
                            float(last.value), f"25-årige med ungdomsuddannelse, hele landet ({int(last.year)})", None,
                            g.target_pct, float(last.value), status, css,
                            note=(f"Lineær fremskrivning {int(points.iloc[0].year)}–{int(last.year)} giver "
                                  f"{da_pct(trend)} i {g.deadline_year}." if trend is not None else "")
                                 + " Opgøres ikke for den enkelte kommune.")
            card.gap_pp = float(last.value) - g.target_pct
            cards.append(card)
        else:
            # A goal an analyst added whose indicator Overgang cannot yet measure: shown, not hidden.
            cards.append(GoalCard(g.goal_id, g.description_da, g.indicator_kind, None, g.indicator, None, g.target_pct,
                                  None, "Ingen data", "status-none",
                                  note=f"Overgang har endnu ingen tal for indikatoren '{g.indicator}'."))
    if not any(c.goal_id.startswith("eud") or "eud" in c.goal_id for c in cards):
        # No EUD måltal for this kommune in data/targets: still show where it stands.
        year = params["y"]
        value, national = eud["kommune"].get(year), eud["national"].get(year)
        cards.insert(0, GoalCard("eud_share", f"EUD-andel {year}", "søgning", value, f"EUD-andel {year}",
                                 eud["kommune"].get(year - 1), None, national, "Intet måltal", "status-none",
                                 note="Kommunens måltal kan tilføjes i data/targets/maaltal.csv."))
    return cards


def load_report_data(con: duckdb.DuckDBPyConnection, kommune_code: int, year: int | None = None,
                     settings: Settings | None = None) -> ReportData:
    settings = settings or Settings.load()
    small = settings.config["small_cell"]
    found = con.execute("SELECT kommune_name, region FROM kommuner WHERE kommune_code = $k", {"k": kommune_code}).fetchone()
    if found is None:
        raise ReportError(f"Kommune {kommune_code} is not one of the 98 municipalities (data/reference/kommuner.csv).")
    years = [y for (y,) in con.execute("SELECT DISTINCT year FROM application_shares WHERE kommune_code = $k ORDER BY year",
                                       {"k": kommune_code}).fetchall()]
    if not years:
        raise ReportError(f"The warehouse has no applications for kommune {kommune_code} ({found[0]}); "
                          "load its Optagelse.dk extracts first.")
    year = year or years[-1]
    if year not in years:
        raise ReportError(f"No applications for kommune {kommune_code} in {year}; years loaded: {', '.join(map(str, years))}.")
    params = {"k": kommune_code, "y": year}
    groups, denominator, tenth = _groups(con, params, small)
    grades = _publishable_shares(_target_group_counts(
        con, params, "s.kommune_code = $k AND s.year = $y AND s.grade IN ('9', '10')", "s.grade"), small)
    sexes = _df(con, """SELECT s.sex AS row_key, g.target_group, sum(s.applicants)::BIGINT AS applicants, max(s.denominator) AS denominator
                        FROM application_shares_by_sex s JOIN education_groups g ON g."group" = s.education_group
                        WHERE s.kommune_code = $k AND s.year = $y AND g.in_denominator GROUP BY ALL""", params)
    sex_wide = _wide(sexes)
    completion, completion_year = _completion(con, params, small)
    goals = _df(con, """SELECT * FROM goals WHERE (scope = 'national' OR kommune_code = $k)
                        AND (valid_from_year IS NULL OR valid_from_year <= $y) AND (valid_to_year IS NULL OR valid_to_year >= $y)
                        ORDER BY scope = 'kommune' DESC, indicator_kind = 'application' DESC, deadline_year NULLS FIRST""", params)
    series = _series(con, params, small)
    parts = {"series": series, "groups": groups, "denominator": denominator, "completion": completion,
             "completion_year": completion_year}
    publication = con.execute("SELECT run_id, published_at FROM publication").df().iloc[0].to_dict()
    return ReportData(
        kommune_code=kommune_code, kommune_name=found[0], region=found[1], year=year, series=series,
        groups=groups, denominator=denominator, tenth_grade=tenth,
        grades=grades.reindex([g for g in ("9", "10") if g in grades.index]).rename(index={"9": "9. klasse", "10": "10. klasse"}),
        sexes=_publishable_shares(sex_wide, small).reindex([s for s in ("M", "K") if s in sex_wide.index]).rename(index={"M": "Drenge", "K": "Piger"}),
        schools=_schools(con, params, small),
        comparison=_comparison(con, params, settings.peers, found[1], small),
        completion=completion, completion_year=completion_year,
        goal_cards=_goal_cards(con, parts, goals, params),
        goals=goals.astype(object).where(goals.notna(), None),
        sources=con.execute("SELECT source_file, encoding, data_rows, loaded_at FROM ingested_files ORDER BY source_file").df(),
        publication=publication, small_cell=small,
    )
