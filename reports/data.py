"""What the council report shows, read from the internal warehouse and made safe to publish.

Every count and share of the kommune's pupils comes from its protected cells
(``reports/cells.py``, ``overgang/suppression.py``): the same cells, hidden the same way, in
every table, chart, earlier year and peer comparison. National and region figures come from
published sources (or a load of every municipality), never from a sum of the loaded kommuner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from overgang import protection_cache
from overgang.groups import GroupScheme, GroupSchemeError
from overgang.pipeline_settings import SmallCell
from overgang.settings import Settings
from overgang.stats import wilson_interval
from overgang.suppression import Cube, protect
from reports import funnel
from reports.archive import published_copies
from reports.cells import Published, load_published, read_scheme, share_pct
from reports.groups import TargetWords, target_words, uncounted_phrase
from reports.indicators import CardInputs, GoalCard, goal_cards
from reports.memo import per_warehouse
from reports.names import Name, named
from reports.public import PublishedYear, half_up, load_published_years
from reports.sql import frame as _df
from reports.sql import read_sql
from reports.withheld import aggregates_withheld, region_shares
from schemas.national import NATIONAL_SHARES
from schemas.sqltext import SQL, fill

STATUS_LABELS = {
    "completed": "Fuldført",
    "in_progress": "I gang",
    "dropped_out": "Afbrudt",
    "no_registered_education": "Ingen registreret uddannelse",
}


class ReportError(ValueError):
    pass


@dataclass
class ReportData:
    kommune_code: int
    kommune_name: str
    region: str
    year: int
    series: dict[str, pd.DataFrame]
    groups: pd.DataFrame
    denominator: int | None
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
    small_cell: SmallCell
    cells: dict = field(default_factory=dict)  # (kommune, year) -> Published: every cube the report shows
    completion_cube: tuple | None = None  # (Cube, labels) of the completion table
    notes: dict = field(default_factory=dict)  # why a table or figure is left out
    denominator_label: str | None = None
    # Where the year's figures come from: "extract" (Optagelse.dk, pupil level) or "published"
    # (the kommune's published søgetal table, `published_year`, shown as printed).
    basis: str = "extract"
    published_year: PublishedYear | None = None
    published_sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    target_decisions: pd.DataFrame = field(default_factory=pd.DataFrame)
    completion_trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The education groups (data/config/education_groups.csv) and the words for the måltal groups.
    scheme: GroupScheme | None = None
    words: dict[str, TargetWords] = field(default_factory=dict)
    # Groups counted apart (10. klasse): one dict each, with cell, count, mark and phrase.
    uncounted: list[dict] = field(default_factory=list)

    @property
    def targets(self) -> dict[str, str]:
        """Måltal group -> its short label (EUD -> EUD, OEVRIGE -> Øvrige), in order."""
        return {t: w.short for t, w in self.words.items()}


def national_shares(con, years: list[int], scheme: GroupScheme) -> dict[int, tuple[dict[str, float], str | None]]:
    """National shares per group for each of `years` (`_national_shares`), read once per warehouse
    file and years; a new dict each call, as the caller takes withheld shares out of it."""
    key = ("data.national_shares", tuple(int(y) for y in years), scheme)
    return dict(per_warehouse(con, key, lambda: _national_shares(con, years, scheme)))


def _national_shares(con, years: list[int], scheme: GroupScheme) -> dict[int, tuple[dict[str, float], str | None]]:
    """National shares per group for each of `years`, rounded to one decimal, and where they come
    from: a published table (published_application_shares, then reference/published_figures.csv;
    the rule is schemas/national.py, which the analysts' view analyst.national_shares reads too),
    else nothing. Never computed from the loaded extracts, not even from all 98 kommuner: a national
    share is a sum of every kommune's cube, and beside each kommune's shown counts it pins a
    hidden one (tests/test_captions_and_national_figures_pin_no_hidden_count.py)."""
    # One query for every year at once: a report shows a dozen years, and each query costs
    # DuckDB a millisecond or two however few rows it returns.
    tables: dict[int, list] = {}
    figures: dict[int, list] = {}
    for y, g, v, source in con.execute(
        fill("SELECT * FROM (${national}) WHERE list_contains($ys, year)", national=NATIONAL_SHARES),
        {"ys": [int(y) for y in years]},
    ).fetchall():
        (tables if source == "offentliggjort tabel" else figures).setdefault(int(y), []).append((g, v))
    out: dict[int, tuple[dict[str, float], str | None]] = {}
    for year in years:
        if rows := tables.get(year):
            # Only the ministry's opgørelse is "Hele landet" beside the kommune's shares; a five-way
            # table's Øvrige is its three other groups added up, as for the kommune (every target
            # group that adds groups up, as data/config/education_groups.csv says).
            shares = {g: half_up(float(v)) for g, v in rows}
            for target, members in scheme.sums:
                if target not in shares and all(g in shares for g in members):
                    shares[target] = half_up(sum(shares[g] for g in members))
            out[year] = shares, "offentliggjort tabel"
        elif rows := figures.get(year):
            out[year] = {g: round(float(v), 1) for g, v in rows}, "offentliggjorte tal"
        else:
            out[year] = {}, None
    return out


def _kommuner(con) -> dict[int, tuple[str, str]]:
    """Every municipality's name and region, by code (read once per warehouse file: reports/memo.py)."""
    return per_warehouse(
        con,
        "data.kommuner",
        lambda: {
            k: (n, r) for k, n, r in con.execute("SELECT kommune_code, kommune_name, region FROM kommuner").fetchall()
        },
    )


def _withheld_note(area: str, area_lower: str, year: int, groups: list[str]) -> str:
    return WITHHELD_NOTE.format(area=area, area_lower=area_lower, year=year, groups=", ".join(groups))


WITHHELD_NOTE = (
    "{area}: andelen for {groups} i {year} vises ikke. De indlæste kommuner udgør {area_lower} (eller kunne gøre det), "
    "og sammen med deres viste tal ville andelen gøre et skjult tal mere præcist, end reglen for små tal tillader."
)


def later_inputs(con, kommune_code: int, year: int) -> list[str]:
    """What the warehouse holds that is newer than the spring of `year` and that a report for
    `year` rendered today may use or list (Danish phrases, for its first page): extracts and
    published søgetal of later years, måltal decided in a later year. Empty: the warehouse is
    as it was that spring, as far as its inputs say."""

    def years(sql: str) -> str:
        params = {"k": kommune_code, "y": year} if "$k" in sql else {"y": year}
        found = [int(y) for (y,) in con.execute(sql, params).fetchall()]
        return ", ".join(map(str, sorted(found)))

    out = []
    extract_years = per_warehouse(
        con,
        "data.extract_years",
        lambda: [
            int(y)
            for (y,) in con.execute("SELECT DISTINCT year FROM application_shares WHERE kommune_code <> 0").fetchall()
        ],
    )
    if later := ", ".join(map(str, sorted(y for y in extract_years if y > year))):
        out.append(f"udtræk fra Optagelse.dk for {later}")
    if later := years(
        "SELECT DISTINCT year FROM published_application_shares WHERE year > $y AND (kommune_code = $k OR kommune_code = 0)"
    ):
        out.append(f"offentliggjorte søgetal for {later}")
    if later := years("SELECT DISTINCT decided_year FROM targets WHERE kommune_code = $k AND decided_year > $y"):
        out.append(f"måltal besluttet i {later}")
    return out


def _split_frame(pub: Published | PublishedYear, kind: str, small: SmallCell, targets: tuple[str, ...]) -> pd.DataFrame:
    """One row per shown row of a split (grade, sex, school): pupils and shares per måltal group."""
    rows = []
    for key in pub.split_rows(kind):
        row: dict[str, object] = {
            "row_key": key.split(":", 1)[1],
            "cell": key,
            "denominator": pub.count(f"{key}/n"),
            "label_n": pub.label(f"{key}/n"),
        }
        for t in targets:
            row[t] = pub.share(f"{key}/{t}", f"{key}/n")
            row[f"label_{t}"] = pub.label(f"{key}/{t}") or (pub.label(f"{key}/n") and "x")
        rows.append(row)
    return pd.DataFrame(rows)


def _series(con, params: dict, figures: dict, nationals: dict, groups: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Per måltal group, one row per year: the kommune's share (from its protected cells, or as
    published), the national share and the måltal in force. `source` says which kind of data
    each year's share is; `target_basis` whether the måltal was published or interpolated."""
    # A later decision supersedes an earlier one for the same year and group (both stay in `targets`).
    targets = _df(
        con,
        """SELECT target_year AS year, target_group, target_pct AS target, value_basis AS target_basis
                          FROM targets WHERE kommune_code = $k
                          QUALIFY row_number() OVER (PARTITION BY target_year, target_group
                                                     ORDER BY decided_year DESC NULLS LAST, decided_on DESC NULLS LAST) = 1""",
        params,
    )
    out = {}
    years = sorted(y for (k, y) in figures if k == params["k"] and y <= params["y"])
    columns = ["year", "kommune", "label", "cell", "source", "national", "n", "target", "target_basis"]
    for group in groups:
        rows = []
        for y in years:
            pub = figures[(params["k"], y)]
            extract = isinstance(pub, Published)
            rows.append(
                {
                    "year": y,
                    "kommune": pub.share(f"g/{group}", "g/n"),
                    "label": pub.label(f"g/{group}"),
                    # Only a protected cell is audited; a published figure is public already.
                    "cell": f"{params['k']}/{y}/g/{group}" if extract else None,
                    "source": "udtræk"
                    if extract
                    else "offentliggjort"
                    if pub.ministry_definition
                    else f"offentliggjort, anden opgørelse ({pub.definition_da})",
                    "national": nationals.get(y, ({}, None))[0].get(group),
                    # The leavers the share is of, where shown: a projection's weights (reports/verdicts.py).
                    "n": pub.count("g/n"),
                }
            )
        f = pd.DataFrame(rows, columns=columns[:7])
        t = targets[targets.target_group == group][["year", "target", "target_basis"]]
        f = f.merge(t, on="year", how="outer").sort_values("year").reset_index(drop=True)
        # Måltal ahead of the report year are drawn; later application years are not.
        out[group] = f[(f.year <= params["y"]) | f["source"].isna()][columns]
    return out


def _groups(pub: Published | PublishedYear, national: dict, scheme: GroupScheme, words: dict) -> pd.DataFrame:
    # A published three-way table has EUD, GYM and Øvrige, not FGU, STU and the rest apart: its
    # måltal groups are shown, else the education groups (data/config/education_groups.csv).
    three_way = isinstance(pub, PublishedYear) and any(t in pub.groups for t, _ in scheme.sums)
    shown = scheme.targets if three_way else scheme.detail
    meta = pd.DataFrame(
        [
            {"group": g, "label_da": row.label_da, "short_label_da": row.short_label_da}
            if (row := scheme.group(g)) is not None
            else {"group": g, "label_da": words[g].label, "short_label_da": words[g].short}
            for g in shown
        ],
        columns=["group", "label_da", "short_label_da"],
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


def _schools(pub: Published | PublishedYear, small: SmallCell, targets: tuple[str, ...]) -> pd.DataFrame:
    frame = _split_frame(pub, "school", small, targets)
    if frame.empty:
        return frame
    frame["school_institution_number"] = frame["row_key"]
    frame["school_name"] = [pub.school_names.get(c, "(uden navn)") for c in frame["cell"]]
    assert isinstance(pub, Published)  # only a protected cube has rows of schools
    lows: list[float | None] = []
    highs: list[float | None] = []
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
    con,
    params: dict,
    figures: dict,
    peers: list[int],
    region: str,
    national: tuple,
    targets: tuple[str, ...],
    withheld_now: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset(),
    short: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    named = {k: name for k, (name, _) in _kommuner(con).items()}
    rows, notes = [], []
    for code in [params["k"]] + [p for p in peers if p != params["k"]]:
        pub = figures.get((code, params["y"]))
        if pub is None:
            notes.append(f"{named.get(code, code)}: ingen data indlæst for {params['y']}.")
            continue
        extract = isinstance(pub, Published)
        row = {
            "area": named[code] + (" (sammenligningskommune)" if code != params["k"] else ""),
            "aggregate": None,
            "cell": f"{code}/{params['y']}/g" if extract else None,
            "denominator": pub.count("g/n"),
            "label_n": pub.label("g/n"),
            "source": "indlæste udtræk"
            if extract
            else "offentliggjort tabel"
            if pub.ministry_definition
            else f"offentliggjort tabel, anden opgørelse: {pub.definition_da}",
        }
        for t in targets:
            row[t] = pub.share(f"g/{t}", "g/n")
            row[f"label_{t}"] = pub.label(f"g/{t}")
        row["placement"] = _placement(row, national[0].get("EUD"), extract or pub.ministry_definition)
        rows.append(row)
    published_reg = reg = region_shares(con, region, params["y"])
    if hidden := [g for g in targets if (region, g) in withheld_now and g in reg]:
        notes.append(_withheld_note(region, "regionen", params["y"], [(short or {}).get(g, g) for g in hidden]))
    reg = {g: v for g, v in reg.items() if (region, g) not in withheld_now}
    if any(g in reg for g in targets):
        rows.append(
            {
                "area": region,
                "aggregate": region,
                "cell": None,
                "denominator": None,
                "label_n": None,
                "source": "offentliggjorte tal",
                **{t: reg.get(t) for t in targets},
                **{f"label_{t}": None for t in targets},
            }
        )
    elif not published_reg:
        notes.append(
            f"{region}: ingen offentliggjort kilde for {params['y']}; regionen vises ikke "
            "(en sum af de indlæste kommuner er ikke regionens tal)."
        )
    shares, source = national
    if source:
        rows.append(
            {
                "area": "Hele landet",
                "aggregate": "Hele landet",
                "cell": None,
                "denominator": None,
                "label_n": None,
                "source": source,
                **{t: shares.get(t) for t in targets},
                **{f"label_{t}": None for t in targets},
            }
        )
    else:
        notes.append(
            f"Hele landet: ingen offentliggjort landstabel for {params['y']}; landstal vises ikke "
            "(en sum af kommunernes tal kunne afsløre små tal)."
        )
    return pd.DataFrame(rows), notes


def _placement(row: dict, national: float | None, comparable: bool) -> str | None:
    """A kommune's EUD share against the national share with the funnel's limits for its number
    of leavers (reports/funnel.py): "Over forventet", ... or None where the share, its leavers or
    the national figure is not shown, or the figure is another opgørelse than the ministry's."""
    share, n = row.get("EUD"), row["denominator"]
    if national is None or not comparable or row.get("label_EUD") or row["label_n"]:
        return None
    if share is None or pd.isna(share) or n is None or pd.isna(n) or not n:
        return None
    return funnel.place(float(share), int(n), float(national)).words


def _completion_cube(persons: pd.Series, small: SmallCell) -> tuple[Cube, dict]:
    """One year's STATUSU6 counts of a kommune (status -> persons) as a protected cube: the
    statuses and their total, small counts hidden the same way wherever the year is shown."""
    cube = Cube(
        {**{f"c/{s}": int(v) for s, v in persons.items()}, "c/total": int(persons.sum())},
        [("c/total", tuple(f"c/{s}" for s in STATUS_LABELS))],
    )
    return cube, protect(cube, small.min_count)


def _completion(con, params: dict, small: SmallCell) -> tuple[pd.DataFrame, int | None, tuple | None]:
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
    cube, labels = _completion_cube(mine, small)
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


def completion_trend(con, kommune_code: int, year: int, small: SmallCell) -> pd.DataFrame:
    """STATUSU6 over the years up to the report year: the share of 18-25-year-olds with a
    completed youth education, kommune and Hele landet (context for the completion goals). A
    year's kommune share is shown only where its protected cube shows both the completed count
    and the total: a share of a hidden count would give the count away."""
    frame = _df(
        con,
        """SELECT year, kommune_code, status, persons FROM completion_status
           WHERE kommune_code IN ($k, 0) AND year <= $y AND status <> 'total' ORDER BY year""",
        {"k": kommune_code, "y": year},
    )
    rows = []
    for y, part in frame.groupby("year"):
        row: dict[str, float | None] = {"year": int(y), "kommune": None, "national": None}
        nat = part[part.kommune_code == 0].set_index("status")["persons"]
        if nat.get("completed") is not None and nat.sum():
            row["national"] = share_pct(int(nat["completed"]), int(nat.reindex(list(STATUS_LABELS)).fillna(0).sum()))
        mine = part[part.kommune_code == kommune_code].set_index("status")["persons"]
        if len(mine):
            cube, labels = _completion_cube(mine.reindex(list(STATUS_LABELS)).fillna(0).astype(int), small)
            total = cube.values["c/total"]
            if labels["c/completed"] is None and labels["c/total"] is None and total >= small.min_denominator:
                row["kommune"] = share_pct(cube.values["c/completed"], total)
        rows.append(row)
    return pd.DataFrame(rows, columns=["year", "kommune", "national"])


# The kommune-years with søgetal: from their extracts, or as they or the ministry published them.
FIGURES = SQL("""SELECT kommune_code, year FROM application_shares WHERE kommune_code <> 0
             UNION SELECT kommune_code, year FROM published_application_shares
             WHERE kommune_code <> 0 AND current AND grade = '9+10'""")


def kommuner_with_figures(con) -> list[int]:
    """Every kommune the warehouse can write a report for: with extracts or published søgetal."""
    return [
        int(k)
        for (k,) in con.execute(
            fill("SELECT DISTINCT kommune_code FROM (${figures}) ORDER BY 1", figures=FIGURES)
        ).fetchall()
    ]


@dataclass(frozen=True)
class Subject:
    """Which kommune and year a report is of, and what the warehouse holds for it: read first,
    before any figure, so that a report that cannot be made says why at once."""

    kommune_code: int
    kommune_name: str
    region: str
    year: int
    years: list[int]  # every year with figures for the kommune: extracts and published tables
    extract_years: list[int]  # years with Optagelse.dk extracts (none when the sample is left out)
    published: dict[tuple[int, int], PublishedYear]  # the kommune's own published søgetal, by (kommune, year)
    publication: dict  # the warehouse's publication row (run id, time, synthetic_data)
    # The shipped synthetic sample is in the warehouse but left out: the kommune's own published
    # figures are never shown beside it.
    sample_left_out: bool
    scheme: GroupScheme
    words: dict[str, TargetWords]
    small: SmallCell  # the small-cell rule (pipeline.yaml: small_cell)
    peers: list[int]  # the comparison's kommuner, the report's own left out

    @property
    def params(self) -> dict[str, int]:
        return {"k": self.kommune_code, "y": self.year}


@dataclass(frozen=True)
class Figures:
    """Every figure the report may show for its year and before, protected."""

    # The protected cubes of extract years (what the disclosure audit checks), by (kommune, year).
    cells: dict[tuple[int, int], Published]
    # Every year's figures: a published table standing in where there is no extract.
    figures: dict[tuple[int, int], Published | PublishedYear]
    pub: Published | PublishedYear  # the kommune's, of the report year
    # National shares by year (withheld ones taken out) and their source.
    nationals: dict[int, tuple[dict[str, float], str | None]]
    withheld: dict[int, set[tuple[str, str]]]  # (area, group) shares not printed, by year
    national_withheld: list[str]  # the report year's national groups withheld


def load_report_data(
    con: duckdb.DuckDBPyConnection, kommune_code: int, year: int | None = None, settings: Settings | None = None
) -> ReportData:
    settings = settings or Settings.load()
    subject = report_subject(con, kommune_code, year, settings)
    shown = report_figures(con, subject, settings)
    year, pub, small, scheme = subject.year, shown.pub, subject.small, subject.scheme
    groups = _groups(pub, shown.nationals[year][0], scheme, subject.words)
    completion, completion_year, completion_cube = _completion(con, subject.params, small)
    goals = _df(con, read_sql("goals_in_force"), subject.params)
    series = _series(con, subject.params, shown.figures, shown.nationals, scheme.targets)
    denominator = pub.count("g/n")
    card_inputs = CardInputs(
        series=series,
        groups=groups,
        denominator=denominator,
        completion=completion,
        completion_year=completion_year,
        extract_years={y for (k, y) in shown.cells if k == kommune_code},
    )
    comparison, comparison_notes = _comparison(
        con,
        subject.params,
        shown.figures,
        subject.peers,
        subject.region,
        shown.nationals[year],
        scheme.targets,
        shown.withheld.get(year, set()),
        {t: w.short for t, w in subject.words.items()},
    )
    grades, sexes = _splits(pub, small, scheme)
    return ReportData(
        kommune_code=kommune_code,
        kommune_name=Name(subject.kommune_name),
        region=Name(subject.region),
        year=year,
        series=series,
        groups=named(groups, "label_da", "short_label_da"),
        denominator=denominator,
        grades=grades,
        sexes=sexes,
        schools=named(_schools(pub, small, scheme.targets), "school_name"),
        comparison=named(comparison, "area"),
        completion=completion,
        completion_year=completion_year,
        goal_cards=goal_cards(con, card_inputs, goals, subject.params),
        goals=named(goals.astype(object).where(goals.notna(), None), "description_da", "set_by"),
        sources=named(
            per_warehouse(
                con,
                "data.sources",
                # No row counts: a file's rows minus the shown leavers would give hidden counts away.
                lambda: con.execute(
                    "SELECT source_file, encoding, loaded_at FROM ingested_files ORDER BY source_file"
                ).df(),
            ),
            "source_file",
        ),
        publication=subject.publication,
        small_cell=small,
        cells=shown.cells,
        completion_cube=completion_cube,
        notes=_notes(con, subject, shown, comparison_notes, settings),
        scheme=scheme,
        words=subject.words,
        uncounted=[
            {
                "group": g,
                "cell": f"t/{g}",
                "count": pub.count(f"t/{g}"),
                "mark": pub.label(f"t/{g}"),
                "phrase": uncounted_phrase(scheme, g),
            }
            for g in scheme.uncounted
        ],
        denominator_label=pub.label("g/n"),
        basis="published" if isinstance(pub, PublishedYear) else "extract",
        published_year=pub if isinstance(pub, PublishedYear) else None,
        published_sources=named(
            _published_sources(
                con,
                kommune_code,
                year,
                {
                    f
                    for (k, _), v in shown.figures.items()
                    if k == kommune_code and isinstance(v, PublishedYear)
                    for f in v.files
                },
            ),
            "source_file",
        ),
        target_decisions=named(_target_decisions(con, kommune_code), "decided_by"),
        completion_trend=completion_trend(con, kommune_code, year, small),
    )


def report_subject(con, kommune_code: int, year: int | None, settings: Settings) -> Subject:
    """The kommune, the report year (the latest with figures when None) and what the warehouse
    holds for them; ReportError, with what to do, when there is nothing to report."""
    small = settings.pipeline.small_cell
    try:
        # Read once: every cube, table and chart of the report follows these groups.
        scheme = per_warehouse(con, "data.scheme", lambda: read_scheme(con))
    except GroupSchemeError as e:
        raise ReportError(f"{e} No report is written.") from e
    found = _kommuner(con).get(kommune_code)
    if found is None:
        raise ReportError(f"Kommune {kommune_code} is not one of the 98 municipalities (data/reference/kommuner.csv).")
    extract_years = [
        y
        for (y,) in con.execute(
            "SELECT DISTINCT year FROM application_shares WHERE kommune_code = $k ORDER BY year", {"k": kommune_code}
        ).fetchall()
    ]
    published = load_published_years(con, [kommune_code], min_count=small.min_count, scheme=scheme)
    # synthetic_data: the warehouse's extracts are the shipped synthetic sample (the report says so
    # on every page). The kommune's own published figures are never shown beside them: with those,
    # the sample's extracts are left out of this report altogether.
    publication = dict(
        per_warehouse(con, "data.publication", lambda: con.execute("SELECT * FROM publication").df().iloc[0].to_dict())
    )
    publication["synthetic_data"] = bool(publication.get("synthetic_data", False))
    sample_left_out = publication["synthetic_data"] and bool(published)
    if sample_left_out:
        extract_years, publication["synthetic_data"] = [], False
    years = sorted(set(extract_years) | {y for (_, y) in published})
    if not years:
        raise ReportError(
            f"The warehouse has neither applications nor published søgetal for kommune {kommune_code} "
            f"({found[0]}); load its Optagelse.dk extracts or its published søgetal table "
            "(README: 'Only public figures?')."
        )
    year = year or years[-1]
    if year not in years:
        raise ReportError(
            f"No applications or published søgetal for kommune {kommune_code} in {year}; "
            f"years loaded: {', '.join(map(str, years))}."
        )
    return Subject(
        kommune_code=kommune_code,
        kommune_name=found[0],
        region=found[1],
        year=year,
        years=years,
        extract_years=extract_years,
        published=published,
        publication=publication,
        sample_left_out=sample_left_out,
        scheme=scheme,
        words=target_words(scheme),
        small=small,
        peers=[p for p in settings.pipeline.municipality.peers if p != kommune_code],
    )


def report_figures(con, subject: Subject, settings: Settings) -> Figures:
    """The protected figures of the kommune, its peers and the country up to the report year,
    with the national and region shares that would narrow a hidden cell taken out."""
    small, scheme, year, k = subject.small, subject.scheme, subject.year, subject.kommune_code
    store = protection_cache.at_home(settings.home)
    cells = load_published(con, small, [k], [y for y in subject.extract_years if y <= year], scheme, store)
    if not subject.sample_left_out:
        cells.update(load_published(con, small, subject.peers, [year], scheme, store))
    figures: dict[tuple[int, int], Published | PublishedYear] = {
        key: v for key, v in subject.published.items() if key[1] <= year
    }
    figures.update(load_published_years(con, subject.peers, [year], min_count=small.min_count, scheme=scheme))
    figures.update(cells)
    nationals = national_shares(con, [y for y in subject.years if y <= year], scheme)
    hidden = aggregates_withheld(con, small, scheme, store, nationals)
    for y, keys in hidden.items():
        shares, source = nationals[y]
        nationals[y] = ({g: v for g, v in shares.items() if ("Hele landet", g) not in keys}, source)
    return Figures(
        cells=cells,
        figures=figures,
        pub=figures[(k, year)],
        nationals=nationals,
        withheld=hidden,
        national_withheld=sorted(g for a, g in hidden.get(year, set()) if a == "Hele landet"),
    )


GRADE_NAMES = {"9": "9. klasse", "10": "10. klasse"}
SEX_NAMES = {"M": "Drenge", "K": "Piger"}


def _splits(pub: Published | PublishedYear, small: SmallCell, scheme: GroupScheme) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The report year's shares by grade and by sex, rows named and in the report's order."""
    out = []
    for kind, names in (("grade", GRADE_NAMES), ("sex", SEX_NAMES)):
        frame = _split_frame(pub, kind, small, scheme.targets)
        if len(frame):
            present = set(frame.row_key)
            frame = frame.set_index("row_key").reindex([r for r in names if r in present]).rename(index=names)
        out.append(frame)
    return out[0], out[1]


SPLIT_WHY = {"grade": "9. og 10. klasse", "sex": "drenge og piger", "school": "skolerne"}


def _notes(con, subject: Subject, shown: Figures, comparison: list[str], settings: Settings) -> dict:
    """Why a table or figure is left out, and what the first page says about the data's age."""
    year, pub, small = subject.year, shown.pub, subject.small
    notes: dict[str, str | list[str]] = {"comparison": comparison}
    for kind in pub.left_out:
        notes[kind] = (
            f"Fordelingen på {SPLIT_WHY[kind]} kræver elevdata (kommunens udtræk fra Optagelse.dk); for {year} er "
            "kun kommunens offentliggjorte søgetal indlæst, og de er ikke opdelt sådan."
            if isinstance(pub, PublishedYear)
            else f"Fordelingen på {SPLIT_WHY[kind]} offentliggøres ikke for {year}: mindst én gruppe har færre end "
            f"{small.min_count} elever eller {small.min_denominator} afgangselever, og den kan ikke skjules, "
            "uden at tallene kan regnes ud af de andre tabeller."
        )
    if shown.national_withheld:
        words = subject.words
        notes["national"] = _withheld_note(
            "Hele landet", "hele landet", year, [words[g].short if g in words else g for g in shown.national_withheld]
        )
    elif not shown.nationals[year][1]:
        notes["national"] = (
            f"Landstal for {year} vises ikke: der er ikke indlæst en offentliggjort landstabel for året "
            "(landstal beregnes aldrig af kommunernes tal, heller ikke når alle kommuner er indlæst)."
        )
    if newer := later_inputs(con, subject.kommune_code, year):
        # A report for an earlier spring, made from today's warehouse: said on its first page,
        # with the copy published that spring when the archive holds one (reports/archive.py).
        copies = published_copies(settings.reports_dir, subject.kommune_code, year)
        notes["as_of"] = (
            f"Rapporten for {year} er dannet med dagens data, ikke som den blev offentliggjort i foråret {year}. "
            f"Nyere end foråret {year}: {'; '.join(newer)}."
        )
        if copies:
            notes["as_published"] = (
                f"Rapporten som senest offentliggjort for {year}: {copies[-1].relative_to(settings.home).as_posix()}"
                + (f" (i alt {len(copies)} udgaver under reports/archive/{year}/)" if len(copies) > 1 else "")
                + "."
            )
    if subject.sample_left_out:
        notes["sample_left_out"] = (
            "Datalageret indeholder også Overgangs syntetiske eksempeldata; de er ikke brugt i denne rapport, "
            "der bygger på kommunens egne offentliggjorte tal."
        )
    return notes


def _published_sources(con, kommune_code: int, year: int, used: set[str]) -> pd.DataFrame:
    """Every published søgetal table loaded for the kommune (and the national ones), with whether
    the report uses it: its figures are shown, were revised by a later publication, or are of
    another opgørelse than the one shown for their years."""
    frame = _df(con, read_sql("published_sources"), {"k": kommune_code, "y": year})
    national = per_warehouse(
        con,
        "data.national_files",
        lambda: {
            f
            for (f,) in con.execute(
                "SELECT DISTINCT source_file FROM published_application_shares WHERE kommune_code = 0"
            ).fetchall()
        },
    )
    frame["used"] = [
        "ja"
        if f in used or (f in national and cur)
        else "nej: erstattet af en senere offentliggørelse"
        if not part
        else "nej: en anden opgørelse af de samme år er vist"
        for f, cur, part in zip(frame["source_file"], frame["current"], frame["partly_current"])
    ]
    return frame


def _target_decisions(con, kommune_code: int) -> pd.DataFrame:
    """Each måltal decision (beslutning) with its years and values, and whether a later decision
    replaced it for some years: both are kept and shown in the methods."""
    return _df(con, read_sql("target_decisions"), {"k": kommune_code})
