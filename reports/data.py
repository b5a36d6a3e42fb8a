"""What the council report shows, read from the internal warehouse and made safe to publish.

Every count and share of the kommune's pupils comes from its protected cells
(``reports/cells.py``, ``overgang/suppression.py``): the same cells, hidden the same way, in
every table, chart, earlier year and peer comparison. National and region figures come from
published sources (or a load of every municipality), never from a sum of the loaded kommuner.
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
from overgang.suppression import Cube, protect
from reports.cells import DETAIL, TARGET, Published, load_published, share_pct

TARGET_GROUPS = {"EUD": "EUD", "GYM": "GYM", "OEVRIGE": "Øvrige"}
DETAIL_GROUPS = ["EUD", "GYM", "FGU", "STU", "OEVRIGT"]
STATUS_LABELS = {
    "completed": "Fuldført",
    "in_progress": "I gang",
    "dropped_out": "Afbrudt",
    "no_registered_education": "Ingen registreret uddannelse",
}


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
    # Which protected cells the value and last year's value show (for the audit), or the mark of a hidden one.
    value_cell: str | None = None
    value_of: str | None = None
    previous_cell: str | None = None
    previous_of: str | None = None
    value_label_mark: str | None = None


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
    cells: dict = field(default_factory=dict)  # (kommune, year) -> Published: every cube the report shows
    completion_cube: tuple | None = None  # (Cube, labels) of the completion table
    notes: dict = field(default_factory=dict)  # why a table or figure is left out
    tenth_label: str | None = None
    denominator_label: str | None = None


def _df(con, sql: str, params: dict) -> pd.DataFrame:
    """Run a query with the parameters it names (DuckDB refuses unused ones)."""
    return con.execute(sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}).df()


def _loaded_kommuner(con) -> dict[int, int]:
    return dict(
        con.execute("""SELECT year, count(DISTINCT kommune_code) FROM application_shares
                               WHERE kommune_code <> 0 AND geography_basis = 'school' GROUP BY year""").fetchall()
    )


def full_country(con, year: int) -> bool:
    """True when the loaded extracts cover every municipality in `year` (then the warehouse's
    national rows are the country, not a partial sum)."""
    loaded = _loaded_kommuner(con).get(year, 0)
    (total,) = con.execute("SELECT count(*) FROM kommuner").fetchone()
    return loaded >= total


def national_shares(con, year: int, every_kommune: bool | None = None) -> tuple[dict[str, float], str | None]:
    """National shares per group for `year`, rounded to one decimal, and where they come from:
    the warehouse when every municipality is loaded, else a published table
    (published_application_shares, then reference/published_figures.csv), else nothing."""
    if every_kommune if every_kommune is not None else full_country(con, year):
        rows = con.execute(
            """SELECT s.education_group, sum(s.applicants), max(s.denominator) FROM application_shares s
                              WHERE s.kommune_code = 0 AND s.year = $y AND s.grade = '9+10' AND s.geography_basis = 'school'
                              GROUP BY ALL""",
            {"y": year},
        ).fetchall()
        out = {g: share_pct(int(a), int(d)) for g, a, d in rows if d}
        groups = dict(con.execute('SELECT "group", target_group FROM education_groups').fetchall())
        for t in TARGET:
            parts = [(a, d) for g, a, d in rows if groups.get(g) == t and d]
            if parts:
                out[t] = share_pct(sum(int(a) for a, _ in parts), int(parts[0][1]))
        return out, "alle kommuner indlæst"
    rows = con.execute(
        """SELECT education_group, share_pct FROM published_application_shares
                          WHERE kommune_code = 0 AND year = $y AND grade = '9+10' AND share_pct IS NOT NULL""",
        {"y": year},
    ).fetchall()
    if rows:
        return {g: round(float(v), 1) for g, v in rows}, "offentliggjort tabel"
    rows = con.execute(
        """SELECT "group", value FROM published_figures WHERE scope = 'national'
                          AND measure = 'soegetal_share' AND year = $y""",
        {"y": year},
    ).fetchall()
    if rows:
        return {g: round(float(v), 1) for g, v in rows}, "offentliggjorte tal"
    return {}, None


def region_shares(con, region: str, year: int) -> dict[str, float]:
    slug = region.lower().replace(" ", "_").replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    rows = con.execute(
        """SELECT "group", value FROM published_figures WHERE scope = $s
                          AND measure = 'soegetal_share' AND year = $y""",
        {"s": slug, "y": year},
    ).fetchall()
    return {g: round(float(v), 1) for g, v in rows}


def _split_frame(pub: Published, kind: str, small: dict) -> pd.DataFrame:
    """One row per shown row of a split (grade, sex, school): pupils and shares per måltal group."""
    rows = []
    for key in pub.split_rows(kind):
        row = {
            "row_key": key.split(":", 1)[1],
            "cell": key,
            "denominator": pub.count(f"{key}/n"),
            "label_n": pub.label(f"{key}/n"),
        }
        for t in TARGET:
            row[t] = pub.share(f"{key}/{t}", f"{key}/n")
            row[f"label_{t}"] = pub.label(f"{key}/{t}") or (pub.label(f"{key}/n") and "x")
        rows.append(row)
    return pd.DataFrame(rows)


def _series(con, params: dict, cells: dict, nationals: dict) -> dict[str, pd.DataFrame]:
    # A later decision supersedes an earlier one for the same year and group (both stay in `targets`).
    targets = _df(
        con,
        """SELECT target_year AS year, target_group, target_pct AS target FROM targets WHERE kommune_code = $k
                          QUALIFY row_number() OVER (PARTITION BY target_year, target_group
                                                     ORDER BY decided_year DESC NULLS LAST, decided_on DESC NULLS LAST) = 1""",
        params,
    )
    out = {}
    years = sorted(y for (k, y) in cells if k == params["k"] and y <= params["y"])
    for group in TARGET_GROUPS:
        rows = []
        for y in years:
            pub = cells[(params["k"], y)]
            rows.append(
                {
                    "year": y,
                    "kommune": pub.share(f"g/{group}", "g/n"),
                    "label": pub.label(f"g/{group}"),
                    "cell": f"{params['k']}/{y}/g/{group}",
                    "national": nationals.get(y, ({}, None))[0].get(group),
                }
            )
        f = pd.DataFrame(rows, columns=["year", "kommune", "label", "cell", "national"])
        t = targets[targets.target_group == group][["year", "target"]]
        f = f.merge(t, on="year", how="outer").sort_values("year").reset_index(drop=True)
        # Måltal ahead of the report year are drawn; later application years are not.
        out[group] = f[(f.year <= params["y"]) | f["cell"].isna()][
            ["year", "kommune", "label", "cell", "national", "target"]
        ]
    return out


def _groups(con, params: dict, pub: Published, national: dict) -> pd.DataFrame:
    meta = _df(
        con,
        """SELECT "group", label_da, short_label_da FROM education_groups WHERE list_contains($gs, "group")
                       ORDER BY sort_order""",
        {"gs": DETAIL},
    )
    rows = []
    for m in meta.itertuples():
        cell = f"g/{m.group}"
        rows.append(
            {
                "group": m.group,
                "label_da": m.label_da,
                "short_label_da": m.short_label_da,
                "cell": cell,
                "applicants": pub.count(cell),
                "label": pub.label(cell),
                "share": pub.share(cell, "g/n"),
                "national": national.get(m.group),
            }
        )
    out = pd.DataFrame(rows)
    out["blanked"] = out["label"].notna()
    return out


def _schools(pub: Published, small: dict) -> pd.DataFrame:
    frame = _split_frame(pub, "school", small)
    if frame.empty:
        return frame
    frame["school_institution_number"] = frame["row_key"]
    frame["school_name"] = [pub.school_names.get(c, "(uden navn)") for c in frame["cell"]]
    lows, highs = [], []
    for r in frame.itertuples():
        if r.EUD is None or pd.isna(r.EUD):
            lows.append(None)
            highs.append(None)
            continue
        lo, hi = wilson_interval(pub.cube.values[f"{r.cell}/EUD"], pub.cube.values[f"{r.cell}/n"])
        lows.append(None if lo is None or math.isnan(lo) else round(lo, 1))
        highs.append(None if hi is None or math.isnan(hi) else round(hi, 1))
    frame["EUD_low"], frame["EUD_high"] = lows, highs
    # The pooled row ("Øvrige skoler") last, the schools by name.
    frame["_pool"] = frame["row_key"] == "pool"
    return frame.sort_values(["_pool", "school_name"]).drop(columns="_pool").reset_index(drop=True)


def _comparison(
    con, params: dict, cells: dict, peers: list[int], region: str, national: tuple
) -> tuple[pd.DataFrame, list[str]]:
    named = dict(con.execute("SELECT kommune_code, kommune_name FROM kommuner").fetchall())
    rows, notes = [], []
    for code in [params["k"]] + [p for p in peers if p != params["k"]]:
        pub = cells.get((code, params["y"]))
        if pub is None:
            notes.append(f"{named.get(code, code)}: ingen data indlæst for {params['y']}.")
            continue
        row = {
            "area": named[code] + (" (sammenligningskommune)" if code != params["k"] else ""),
            "cell": f"{code}/{params['y']}/g",
            "denominator": pub.count("g/n"),
            "label_n": pub.label("g/n"),
            "source": "indlæste udtræk",
        }
        for t in TARGET:
            row[t] = pub.share(f"g/{t}", "g/n")
            row[f"label_{t}"] = pub.label(f"g/{t}")
        rows.append(row)
    reg = region_shares(con, region, params["y"])
    if reg:
        rows.append(
            {
                "area": region,
                "cell": None,
                "denominator": None,
                "label_n": None,
                "source": "offentliggjorte tal",
                **{t: reg.get(t) for t in TARGET},
                **{f"label_{t}": None for t in TARGET},
            }
        )
    else:
        notes.append(
            f"{region}: ingen offentliggjort kilde for {params['y']}; regionen vises ikke "
            "(en sum af de indlæste kommuner er ikke regionens tal)."
        )
    shares, source = national
    if source:
        rows.append(
            {
                "area": "Hele landet",
                "cell": None,
                "denominator": None,
                "label_n": None,
                "source": source,
                **{t: shares.get(t) for t in TARGET},
                **{f"label_{t}": None for t in TARGET},
            }
        )
    else:
        notes.append(
            f"Hele landet: ingen offentliggjort kilde for {params['y']}, og udtrækkene dækker ikke alle kommuner; "
            "landstal vises ikke."
        )
    return pd.DataFrame(rows), notes


def _completion(con, params: dict, small: dict) -> tuple[pd.DataFrame, int | None, tuple | None]:
    latest = con.execute(
        "SELECT max(year) FROM completion_status WHERE kommune_code = $k AND year <= $y", params
    ).fetchone()[0]
    if latest is None:
        return pd.DataFrame(), None, None
    frame = _df(
        con,
        """SELECT kommune_code, status, persons FROM completion_status
                        WHERE year = $cy AND kommune_code IN ($k, 0) AND status <> 'total'""",
        {**params, "cy": latest},
    )
    out = []
    mine = (
        frame[frame.kommune_code == params["k"]]
        .set_index("status")["persons"]
        .reindex(list(STATUS_LABELS))
        .fillna(0)
        .astype(int)
    )
    cube = Cube(
        {**{f"c/{s}": int(v) for s, v in mine.items()}, "c/total": int(mine.sum())},
        [("c/total", tuple(f"c/{s}" for s in STATUS_LABELS))],
    )
    labels = protect(cube, small["min_count"])
    total = cube.values["c/total"]
    for status in STATUS_LABELS:
        cell = f"c/{status}"
        shown = labels[cell] is None and labels["c/total"] is None and total
        out.append(
            {
                "area": "kommune",
                "status": status,
                "label": STATUS_LABELS[status],
                "cell": cell,
                "persons": cube.values[cell] if labels[cell] is None else None,
                "mark": labels[cell],
                "share": share_pct(cube.values[cell], total) if shown else None,
                "total": total if labels["c/total"] is None else None,
            }
        )
    # Danmarks Statistik's own national row (a published source), as it is.
    nat = frame[frame.kommune_code == 0].set_index("status")["persons"].reindex(list(STATUS_LABELS))
    ntotal = int(nat.fillna(0).sum())
    for status in STATUS_LABELS:
        v = nat[status]
        out.append(
            {
                "area": "Hele landet",
                "status": status,
                "label": STATUS_LABELS[status],
                "cell": None,
                "persons": None if pd.isna(v) else int(v),
                "mark": None,
                "share": None if pd.isna(v) or not ntotal else share_pct(int(v), ntotal),
                "total": ntotal or None,
            }
        )
    return pd.DataFrame(out), latest, (cube, labels)


def _status(value, target, national, or_national: bool, deadline, year, trend) -> tuple[str, str]:
    if value is None:
        return "Ingen data", "status-none"
    if target is not None and value >= target:
        return "Nået", "status-met"
    if or_national and national is not None and value >= national:
        return "Nået (landsgennemsnittet)", "status-met"
    if deadline and year < deadline:
        if trend is None:
            # One point is no trend: too early to say whether the goal will be met.
            return "Ikke nået endnu", "status-not-met"
        if trend >= target:
            return "På vej", "status-on-track"
        return "Ikke på vej", "status-not-met"
    return "Ikke nået", "status-not-met"


class _Plain(dict):
    """Series values by year with a missing or NaN value as None."""

    def get(self, key, default=None):
        v = super().get(key, default)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _national_eud_card(g, eud: dict, year: int) -> GoalCard:
    """A national EUD goal (the 2014 reform's 25 % in 2020, 30 % in 2025) measured on the
    kommune's own EUD share; on track if the last three shown years, drawn on, reach it in time."""
    value, national = eud["kommune"].get(year), eud["national"].get(year)
    shown = [(y, eud["kommune"].get(y)) for y in sorted(eud["kommune"]) if y <= year]
    shown = [(y, v) for y, v in shown if v is not None][-3:]
    trend = None
    if g.deadline_year and year < g.deadline_year and len(shown) == 3:
        slope = (shown[-1][1] - shown[0][1]) / (shown[-1][0] - shown[0][0])
        trend = shown[-1][1] + slope * (g.deadline_year - shown[-1][0])
    status, css = _status(value, g.target_pct, national, False, g.deadline_year, year, trend)
    card = GoalCard(
        g.goal_id,
        f"Nationalt mål: {g.target_pct:.0f} % søger EUD i {g.deadline_year}",
        "søgning",
        value,
        f"EUD-andel {year}",
        eud["kommune"].get(year - 1),
        g.target_pct,
        national,
        status,
        css,
        note="Målet fra erhvervsuddannelsesreformen (2014) gælder hele landet; her målt på kommunens egen EUD-andel."
        + (f" Fremskrevet giver de seneste år {da_pct(trend)} i {g.deadline_year}." if trend is not None else ""),
    )
    if value is not None and value < g.target_pct:
        card.gap_pp = value - g.target_pct
    return card


def _goal_cards(con, data: dict, goals: pd.DataFrame, params: dict) -> list[GoalCard]:
    cards = []
    frame = data["series"]["EUD"].set_index("year")
    eud = {c: _Plain(frame[c].to_dict()) for c in ("kommune", "national", "target")}
    for g in goals.itertuples():
        if g.indicator == "eud_application_share" and g.scope == "kommune":
            year = params["y"]
            value = eud["kommune"].get(year)
            target = eud["target"].get(year)
            target = g.target_pct if target is None or pd.isna(target) else target
            national = eud["national"].get(year)
            status, css = _status(value, target, national, False, None, year, None)
            card = GoalCard(
                g.goal_id,
                f"EUD-måltal {year}",
                "søgning",
                value,
                f"EUD-andel {year}",
                eud["kommune"].get(year - 1),
                target,
                national,
                status,
                css,
                note="Andel af afgangselever fra kommunens skoler med en erhvervsuddannelse som 1. prioritet.",
            )
            denominator, count = data["denominator"], data["groups"].set_index("group").loc["EUD", "applicants"]
            count = None if count is None or pd.isna(count) else count
            if value is not None and value < target:
                card.gap_pp = value - target
                if denominator and count is not None:
                    card.gap_people = math.ceil(round(target / 100 * denominator, 9)) - int(count)
                    card.gap_people_text = (
                        f"{card.gap_people} elever mere med EUD som 1. prioritet ville have nået måltallet"
                    )
            cards.append(card)
        elif g.indicator == "eud_application_share" and g.scope == "national":
            cards.append(_national_eud_card(g, eud, params["y"]))
        elif g.indicator == "completed_youth_education" and g.scope == "kommune":
            comp = data["completion"]
            if comp.empty:
                cards.append(
                    GoalCard(
                        g.goal_id,
                        g.description_da,
                        "observeret",
                        None,
                        "",
                        None,
                        g.target_pct,
                        None,
                        *_status(None, None, None, False, None, 0, None),
                    )
                )
                continue
            mine = comp[(comp.area == "kommune") & (comp.status == "completed")].iloc[0]
            nat = comp[(comp.area == "Hele landet") & (comp.status == "completed")].iloc[0]
            value, national = mine["share"], nat["share"]
            status, css = _status(
                value,
                g.target_pct,
                national,
                bool(g.or_national_average),
                g.deadline_year,
                data["completion_year"],
                None,
            )
            card = GoalCard(
                g.goal_id,
                "95 % gennemfører en ungdomsuddannelse",
                "observeret",
                value,
                f"18–25-årige med fuldført ungdomsuddannelse ({data['completion_year']})",
                None,
                g.target_pct,
                national,
                status,
                css,
                note="Danmarks Statistik (STATUSU6): status for alle 18–25-årige efter grundskolens beliggenhed. "
                "Målet gælder en hel årgang; de yngste er endnu i gang, så tallet undervurderer den endelige andel.",
            )
            if (
                value is not None
                and value < g.target_pct
                and mine["total"]
                and mine["persons"] is not None
                and not pd.isna(mine["persons"])
            ):
                card.gap_pp = value - g.target_pct
                card.gap_people = math.ceil(round(g.target_pct / 100 * mine["total"], 9)) - int(mine["persons"])
                card.gap_people_text = f"{card.gap_people} flere unge med fuldført ungdomsuddannelse ville nå 95 %"
            cards.append(card)
        elif g.indicator == "completed_youth_education_age25" and g.scope == "national":
            points = _df(
                con,
                """SELECT year, value FROM published_figures WHERE scope = 'national'
                                 AND measure = 'completed_youth_edu_age25' AND year <= $y ORDER BY year""",
                params,
            )
            if points.empty:
                continue
            last = points.iloc[-1]
            trend = None
            if len(points) >= 2 and g.deadline_year:
                first = points.iloc[0]
                slope = (last.value - first.value) / (last.year - first.year)
                trend = last.value + slope * (g.deadline_year - last.year)
            status, css = _status(float(last.value), g.target_pct, None, False, g.deadline_year, int(last.year), trend)
            card = GoalCard(
                g.goal_id,
                f"Nationalt mål: {g.target_pct:.0f} % af de 25-årige i {g.deadline_year}",
                "observeret",
                float(last.value),
                f"25-årige med ungdomsuddannelse, hele landet ({int(last.year)})",
                None,
                g.target_pct,
                float(last.value),
                status,
                css,
                note=(
                    f"Lineær fremskrivning {int(points.iloc[0].year)}–{int(last.year)} giver "
                    f"{da_pct(trend)} i {g.deadline_year}."
                    if trend is not None
                    else ""
                )
                + " Opgøres ikke for den enkelte kommune.",
            )
            card.gap_pp = float(last.value) - g.target_pct
            cards.append(card)
        else:
            # A goal an analyst added whose indicator Overgang cannot yet measure: shown, not hidden.
            cards.append(
                GoalCard(
                    g.goal_id,
                    g.description_da,
                    g.indicator_kind,
                    None,
                    "",
                    None,
                    g.target_pct,
                    None,
                    "Ingen data",
                    "status-none",
                    note="Rapporten har endnu ingen tal for dette mål.",
                )
            )
    if not any(c.goal_id.startswith("eud") or "eud" in c.goal_id for c in cards):
        # No EUD måltal for this kommune in data/targets: still show where it stands.
        year = params["y"]
        value, national = eud["kommune"].get(year), eud["national"].get(year)
        cards.insert(
            0,
            GoalCard(
                "eud_share",
                f"EUD-andel {year}",
                "søgning",
                value,
                f"EUD-andel {year}",
                eud["kommune"].get(year - 1),
                None,
                national,
                "Intet måltal",
                "status-none",
                note="Der er ikke registreret et måltal for kommunen.",
            ),
        )
    k, y = params["k"], params["y"]
    labels = {int(y): v for y, v in frame["label"].items() if isinstance(v, str)} if "label" in frame else {}
    for card in cards:
        if card.value_label.startswith("EUD-andel"):
            if card.value is not None:
                card.value_cell, card.value_of = f"{k}/{y}/g/EUD", f"{k}/{y}/g/n"
            elif y in labels:
                card.value_cell, card.value_label_mark = f"{k}/{y}/g/EUD", labels[y]
            if card.previous is not None:
                card.previous_cell, card.previous_of = f"{k}/{y - 1}/g/EUD", f"{k}/{y - 1}/g/n"
        elif card.kind == "observeret" and card.value_label.startswith("18–25") and card.value is not None:
            cy = data["completion_year"]
            card.value_cell, card.value_of = f"{k}/c{cy}/c/completed", f"{k}/c{cy}/c/total"
    return cards


def load_report_data(
    con: duckdb.DuckDBPyConnection, kommune_code: int, year: int | None = None, settings: Settings | None = None
) -> ReportData:
    settings = settings or Settings.load()
    small = settings.config["small_cell"]
    found = con.execute(
        "SELECT kommune_name, region FROM kommuner WHERE kommune_code = $k", {"k": kommune_code}
    ).fetchone()
    if found is None:
        raise ReportError(f"Kommune {kommune_code} is not one of the 98 municipalities (data/reference/kommuner.csv).")
    years = [
        y
        for (y,) in con.execute(
            "SELECT DISTINCT year FROM application_shares WHERE kommune_code = $k ORDER BY year", {"k": kommune_code}
        ).fetchall()
    ]
    if not years:
        raise ReportError(
            f"The warehouse has no applications for kommune {kommune_code} ({found[0]}); "
            "load its Optagelse.dk extracts first."
        )
    year = year or years[-1]
    if year not in years:
        raise ReportError(
            f"No applications for kommune {kommune_code} in {year}; years loaded: {', '.join(map(str, years))}."
        )
    params = {"k": kommune_code, "y": year}
    peers = [p for p in settings.peers if p != kommune_code]
    cells = load_published(con, small, [kommune_code], [y for y in years if y <= year])
    cells.update(load_published(con, small, peers, [year]))
    pub = cells[(kommune_code, year)]
    loaded = _loaded_kommuner(con)
    (total_kommuner,) = con.execute("SELECT count(*) FROM kommuner").fetchone()
    nationals = {y: national_shares(con, y, loaded.get(y, 0) >= total_kommuner) for y in years if y <= year}
    groups = _groups(con, params, pub, nationals[year][0])
    completion, completion_year, completion_cube = _completion(con, params, small)
    goals = _df(
        con,
        """SELECT * FROM goals WHERE (scope = 'national' OR kommune_code = $k)
                        AND (valid_from_year IS NULL OR valid_from_year <= $y) AND (valid_to_year IS NULL OR valid_to_year >= $y)
                        ORDER BY scope = 'kommune' DESC, indicator_kind = 'application' DESC, deadline_year NULLS FIRST""",
        params,
    )
    series = _series(con, params, cells, nationals)
    denominator = pub.count("g/n")
    parts = {
        "series": series,
        "groups": groups,
        "denominator": denominator,
        "completion": completion,
        "completion_year": completion_year,
    }
    comparison, comparison_notes = _comparison(con, params, cells, peers, found[1], nationals[year])
    notes = {"comparison": comparison_notes}
    why = {"grade": "9. og 10. klasse", "sex": "drenge og piger", "school": "skolerne"}
    for kind in pub.left_out:
        notes[kind] = (
            f"Fordelingen på {why[kind]} offentliggøres ikke for {year}: mindst én gruppe har færre end "
            f"{small['min_count']} elever eller {small['min_denominator']} afgangselever, og den kan ikke skjules, "
            "uden at tallene kan regnes ud af de andre tabeller."
        )
    if not nationals[year][1]:
        notes["national"] = (
            f"Landstal for {year} vises ikke: udtrækkene dækker ikke alle kommuner, og der er ikke "
            "indlæst en offentliggjort landstabel for året."
        )
    grades = _split_frame(pub, "grade", small)
    sexes = _split_frame(pub, "sex", small)
    grade_names = {"9": "9. klasse", "10": "10. klasse"}
    sex_names = {"M": "Drenge", "K": "Piger"}
    if len(grades):
        grades = (
            grades.set_index("row_key")
            .reindex([g for g in ("9", "10") if g in set(grades.row_key)])
            .rename(index=grade_names)
        )
    if len(sexes):
        sexes = (
            sexes.set_index("row_key")
            .reindex([s for s in ("M", "K") if s in set(sexes.row_key)])
            .rename(index=sex_names)
        )
    # synthetic_data: the warehouse holds the shipped synthetic sample (the report says so on every page).
    publication = con.execute("SELECT * FROM publication").df().iloc[0].to_dict()
    publication["synthetic_data"] = bool(publication.get("synthetic_data", False))
    return ReportData(
        kommune_code=kommune_code,
        kommune_name=found[0],
        region=found[1],
        year=year,
        series=series,
        groups=groups,
        denominator=denominator,
        tenth_grade=pub.count("t/TIENDE"),
        grades=grades,
        sexes=sexes,
        schools=_schools(pub, small),
        comparison=comparison,
        completion=completion,
        completion_year=completion_year,
        goal_cards=_goal_cards(con, parts, goals, params),
        goals=goals.astype(object).where(goals.notna(), None),
        sources=con.execute(
            "SELECT source_file, encoding, data_rows, loaded_at FROM ingested_files ORDER BY source_file"
        ).df(),
        publication=publication,
        small_cell=small,
        cells=cells,
        completion_cube=completion_cube,
        notes=notes,
        tenth_label=pub.label("t/TIENDE"),
        denominator_label=pub.label("g/n"),
    )
