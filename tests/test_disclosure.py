"""Disclosure control under attack: every report of the sample, the publication set, a
single-kommune load, and random tables.

The attacker (tests/attacker.py) reads only what a reader gets and is not the code that chose
the hidden cells; the truth it is compared with comes straight from the internal warehouse.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overgang.encoding import inspect
from overgang.settings import SAMPLE_DIR
from overgang.suppression import PRIMARY, SECONDARY, Cube, DisclosureError, check, intervals, protect
from reports.render import ReportError, render_report
from tests.attacker import Fitting, Knowledge
from tests.conftest import run_pipeline
from tests.workbooks import read_sheets

MIN_SPAN = 3  # the documented rule: at least four possible values for every hidden cell


def _truth(warehouse: Path) -> dict[str, int]:
    """Every cell's true count, by the attacker's cell names, from the internal warehouse."""
    truth = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for k, y, group, target, n, den in con.execute("""
                SELECT kommune_code, year, education_group, target_group, applicants, denominator
                FROM application_shares s JOIN education_groups g ON g."group" = s.education_group
                WHERE geography_basis = 'school' AND grade = '9+10' AND kommune_code <> 0""").fetchall():
            truth[f"{k}/{y}/{'t' if group == 'TIENDE' else 'g'}/{group}"] = n
            truth[f"{k}/{y}/g/n"] = den
            if target == "OEVRIGE":
                truth[f"{k}/{y}/g/OEVRIGE"] = truth.get(f"{k}/{y}/g/OEVRIGE", 0) + n
        for sql, kind in (
            (
                """SELECT kommune_code, year, grade, target_group, sum(applicants) FROM application_shares s
                              JOIN education_groups g ON g."group" = s.education_group WHERE geography_basis = 'school'
                              AND grade IN ('9', '10') AND in_denominator AND kommune_code <> 0 GROUP BY ALL""",
                "grade",
            ),
            (
                """SELECT kommune_code, year, sex, target_group, sum(applicants) FROM application_shares_by_sex s
                              JOIN education_groups g ON g."group" = s.education_group WHERE in_denominator
                              AND kommune_code <> 0 GROUP BY ALL""",
                "sex",
            ),
            (
                """SELECT kommune_code, year, school_institution_number, target_group, sum(applicants)
                              FROM school_application_shares s JOIN education_groups g ON g."group" = s.education_group
                              WHERE in_denominator GROUP BY ALL""",
                "school",
            ),
        ):
            for k, y, key, target, n in con.execute(sql).fetchall():
                truth[f"{k}/{y}/{kind}:{key}/{target}"] = int(n)
                truth[f"{k}/{y}/{kind}:{key}/n"] = truth.get(f"{k}/{y}/{kind}:{key}/n", 0) + int(n)
        for k, y, status, persons in con.execute(
            "SELECT kommune_code, year, status, persons FROM completion_status"
        ).fetchall():
            truth[f"{k}/c{y}/c/{status}"] = persons
    return truth


def _pool_truth(truth: dict, knowledge: Knowledge) -> None:
    """'Øvrige skoler' is the kommune minus the schools shown by name."""
    for cell in [c for c in knowledge.cells if "/school:pool/" in c]:
        head, _, group = cell.rsplit("/", 2)
        shown = {c.rsplit("/", 1)[0] for c in knowledge.cells if c.startswith(head + "/school:") and "pool" not in c}
        truth[cell] = truth[f"{head}/g/{group}"] - sum(truth.get(f"{s}/{group}", 0) for s in shown)


def attack(pages: list[str], publication: Path | None, truth: dict) -> tuple[Knowledge, dict]:
    knowledge = Knowledge()
    for page in pages:
        knowledge.read_html(page)
    if publication is not None:
        knowledge.read_publication(publication)
    _pool_truth(truth, knowledge)
    return knowledge, knowledge.intervals()


def assert_protected(knowledge: Knowledge, found: dict, truth: dict) -> None:
    assert not knowledge.findings, knowledge.findings[:5]
    assert found, "the attacker found no hidden cell at all"
    pinned = {c: iv for c, iv in found.items() if iv[1] - iv[0] < MIN_SPAN}
    assert not pinned, (
        f"{len(pinned)} hidden cells narrowed below {MIN_SPAN + 1} values, e.g. {sorted(pinned.items())[:5]}"
    )
    for cell, marks in knowledge.marks.items():
        assert len(marks) == 1, (cell, marks)  # one mark everywhere
        mark = next(iter(marks))
        assert found[cell][0] <= truth[cell] <= found[cell][1], (cell, truth[cell], found[cell])
        if mark == PRIMARY:
            assert truth[cell] < 5, f"{cell} is marked <5 but is {truth[cell]}"
        elif mark == SECONDARY:
            assert truth[cell] >= 5, f"{cell} is marked x but is {truth[cell]}"
    for cell, value in knowledge.counts.items():
        assert truth[cell] == value and value >= 5, (cell, value, truth[cell])


@pytest.fixture(scope="module")
def every_report(every_sample_report):
    """Every kommune and year of the sample, rendered (and audited) the way `overgang report` does
    (tests/conftest.py: every_sample_report, shared with the other files that read them all)."""
    pairs = [(r.kommune, r.year) for r in every_sample_report]
    return pairs, [r.path for r in every_sample_report]


def test_attacker_pins_nothing_in_every_report_and_the_publication_set(sample_run, every_report):
    pairs, paths = every_report
    assert len(pairs) == 220 and len(paths) == 220
    truth = _truth(sample_run.settings.warehouse)
    pages = [p.read_text(encoding="utf-8") for p in paths]
    knowledge, found = attack(pages, sample_run.settings.publication_dir, truth)
    assert_protected(knowledge, found, truth)
    # The attacker did have material to work with: hidden cells of every kind, shares it could
    # turn into counts, and marks next to shown totals.
    assert sum(PRIMARY in m for m in knowledge.marks.values()) > 300
    assert sum(SECONDARY in m for m in knowledge.marks.values()) > 50
    assert len(knowledge.counts) > 1000


SOURCE_COLUMNS = ("landet", "måltal", "interval")


def _unmarked_numbers(page: str) -> list[str]:
    """Numbers in the kommune's tables that do not say which cell they show (the attacker would
    not see them): only national, target and interval columns and source rows may be unmarked."""
    found = []
    body = page.split("</head>", 1)[1]
    for table_id, table in re.findall(r'<table id="(table-[a-z]+)">(.*?)</table>', body, re.S):
        if table_id in ("table-goals", "table-sources"):
            continue
        heads = [
            re.sub(r"<[^>]+>", "", h).strip().lower()
            for h in re.findall(r"<th[^>]*>(.*?)</th>", table.split("</thead>")[0])
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[-1], re.S):
            cells = re.findall(r"<(td|th)([^>]*)>(.*?)</\1>", row, re.S)
            if cells and "offentliggjorte" in cells[0][2] or "alle kommuner" in row:
                continue  # a national or region row from a published source
            for i, (_, attrs, inner) in enumerate(cells):
                text = re.sub(r"<[^>]+>", "", inner).strip()
                if i == 0 or "data-cell" in attrs or not re.search(r"\d", text) or text == "100 %":
                    continue
                head = heads[i] if i < len(heads) else ""
                if any(word in head for word in SOURCE_COLUMNS) or (table_id == "table-completion" and i >= 3):
                    continue
                found.append(f"{table_id}: {head!r} {text!r}")
    return found


def test_every_number_says_which_cell_it_shows(every_report):
    _, paths = every_report
    for path in paths:
        assert _unmarked_numbers(path.read_text(encoding="utf-8")) == [], path.name


def test_publication_set_is_apart_from_the_internal_warehouse(sample_run):
    folder = sample_run.settings.publication_dir
    assert folder != sample_run.settings.warehouse.parent
    with duckdb.connect(str(folder / "overgang_publication.duckdb"), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        views = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        small = con.execute("SELECT count(*) FROM cells WHERE applicants BETWEEN 0 AND 4").fetchone()[0]
        marks = dict(con.execute("SELECT mark, count(*) FROM cells GROUP BY mark").fetchall())
    assert tables == {"cells"} and views == {"soegetal", "soegetal_split"}
    assert small == 0 and marks["<5"] > 300 and marks["x"] > 50
    assert sorted(p.name for p in (folder / "parquet").glob("*.parquet")) == [
        "soegetal.parquet",
        "soegetal_split.parquet",
    ]
    # The internal warehouse says what it is, on every view analysts query.
    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        comments = [
            c for (c,) in con.execute("SELECT comment FROM duckdb_views() WHERE schema_name = 'analyst'").fetchall()
        ]
        assert con.execute("SELECT count(*) FROM applications").fetchone()[0] > 1000  # pupil level: internal only
    assert comments and all(c.startswith("INTERNAL, not for publication") for c in comments)


def test_workbook_holds_what_the_page_shows(every_report):
    _, paths = every_report
    path = paths[0].parent / "rapport_169_2024.html"
    page = path.read_text(encoding="utf-8")
    book = read_sheets(path.with_suffix(".xlsx"))
    groups = book["Grupper"]
    body = page.split('id="table-groups"', 1)[1].split("</table>", 1)[0]
    cells = [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", body)]
    printed = [cells[i : i + 4] for i in range(0, len(cells), 4)]
    assert len(printed) == 5 == len(groups) - 1
    for (_, count, share, _), row in zip(printed, groups.itertuples()):
        if count in ("<5", "x"):
            assert row.Antal == count and row[3] == share
        else:
            assert str(row.Antal) == count.replace(".", "") and f"{row[3]:.1f}".replace(".", ",") + " %" == share
    for frame in book.values():
        for v in frame.to_numpy().ravel():
            if isinstance(v, float) and not pd.isna(v):
                assert abs(v * 10 - round(v * 10)) < 1e-9, v  # one decimal at most, as printed
    marks = {v for frame in book.values() for v in frame.to_numpy().ravel() if isinstance(v, str)}
    assert {"<5", "x"} <= marks


def test_a_leak_is_caught(sample_run, every_report):
    """The attacker has teeth: print one secondary cell's value and the primary beside it is pinned."""
    _, paths = every_report
    truth = _truth(sample_run.settings.warehouse)
    page = (paths[0].parent / "rapport_169_2024.html").read_text(encoding="utf-8")
    # Høje-Taastrup 2024: FGU is hidden ("x") to protect STU ("<5"); Øvrige is shown in the trend.
    leaked = page.replace(
        'data-cell="169/2024/g/FGU">x</td>', f'data-cell="169/2024/g/FGU">{truth["169/2024/g/FGU"]}</td>', 1
    )
    assert leaked != page
    knowledge, found = attack([leaked], None, truth)
    assert found["169/2024/g/STU"] == (truth["169/2024/g/STU"],) * 2
    # ... and the report's own audit refuses such a page.
    from reports.audit import audit_html
    from reports.data import load_report_data

    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        data = load_report_data(con, 169, 2024, sample_run.settings)
    with pytest.raises(DisclosureError, match="169/2024/g/FGU is hidden"):
        audit_html(leaked, data)
    unrounded = page.replace('"y":[23.7', '"y":[23.708920187793428', 1)
    if unrounded != page:
        with pytest.raises(DisclosureError):
            audit_html(unrounded, data)


def test_a_failing_report_is_not_written(sample_run, tmp_path, monkeypatch):
    import reports.render as render

    def leaky(page, data):
        raise DisclosureError("test: pretend the audit found a pinned cell")

    monkeypatch.setattr(render, "audit_html", leaky)
    out = tmp_path / "r.html"
    with pytest.raises(ReportError, match="not written"):
        render_report(sample_run.settings, 169, 2024, out)
    assert not out.exists() and not out.with_suffix(".xlsx").exists()


@pytest.mark.integration
def test_single_kommune_extract(keyed, tmp_path):
    """Høje-Taastrup alone: 'Hele landet' and the region are never Høje-Taastrup itself; the attack fails."""
    folder = tmp_path / "hoeje_taastrup"
    folder.mkdir()
    for path in sorted(SAMPLE_DIR.glob("optagelse_202[345].csv")):
        frame = pd.read_csv(path, sep=";", dtype=str, encoding=inspect(path).encoding, keep_default_na=False)
        frame[frame["Skolens kommunenr"] == "169"].to_csv(folder / path.name, sep=";", index=False, encoding="utf-8")
    run = run_pipeline(tmp_path / "home", folder)
    assert run.result.success
    pages = []
    for year in (2023, 2024, 2025):
        path = render_report(run.settings, 169, year, tmp_path / f"r{year}.html")
        pages.append(path.read_text(encoding="utf-8"))
    # 2023: the national figures come from the published table (EUD 19.4 %), not from the
    # kommune's own 16.1 %.
    assert "19,4 %" in pages[0].split('id="table-eud"', 1)[1].split("</table>", 1)[0]
    comparison = pages[0].split('id="table-comparison"', 1)[1].split("</table>", 1)[0]
    assert "Hele landet" in comparison and "offentliggjorte tal" in comparison
    # 2024 and 2025: no national source and no full load -> no national row, a note instead.
    for page in pages[1:]:
        comparison = page.split('id="table-comparison"', 1)[1].split("</section>", 1)[0]
        assert "<td><bdi>Hele landet" not in comparison and "landstal vises ikke" in comparison
        assert "Region Hovedstaden: ingen offentliggjort kilde" in comparison
    truth = _truth(run.settings.warehouse)
    knowledge, found = attack(pages, run.settings.publication_dir, truth)
    assert_protected(knowledge, found, truth)


# -- random tables ----------------------------------------------------------------------------


def _table_cube(rows: list[list[int]]) -> Cube:
    """A table with every row total, column total and the grand total published."""
    values, sums = {}, []
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            values[f"r{i}c{j}"] = v
        values[f"r{i}"] = sum(row)
        sums.append((f"r{i}", tuple(f"r{i}c{j}" for j in range(len(row)))))
    for j in range(len(rows[0])):
        values[f"c{j}"] = sum(r[j] for r in rows)
        sums.append((f"c{j}", tuple(f"r{i}c{j}" for i in range(len(rows)))))
    values["all"] = sum(map(sum, rows))
    sums.append(("all", tuple(f"r{i}" for i in range(len(rows)))))
    return Cube(values, sums)


def _brute_intervals(cube: Cube, labels: dict) -> dict[str, tuple[int, int]]:
    """Independent of the audit: the attacker's MILP on the same table, every hidden cell
    minimised and maximised over one system; a solve a fitting solution already proves is left
    out (tests/attacker.py: Fitting), the ends exact as if solved."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    names = sorted(cube.values)
    index = {c: i for i, c in enumerate(names)}
    lo = np.array([cube.values[c] if labels[c] is None else {"<5": 0, "x": 5}[labels[c]] for c in names], float)
    hi = np.array([cube.values[c] if labels[c] is None else {"<5": 4, "x": 10**6}[labels[c]] for c in names], float)
    a = np.zeros((len(cube.sums), len(names)))
    for r, (total, parts) in enumerate(cube.sums):
        a[r, index[total]] = 1
        for p in parts:
            a[r, index[p]] -= 1
    constraint, bounds = LinearConstraint(a, 0, 0), Bounds(lo, hi)
    fitting = Fitting(a, np.zeros(len(a)), np.zeros(len(a)), lo, hi)
    out = {}
    for cell in names:
        if labels[cell] is None:
            continue
        ends = []
        for sign in (1, -1):
            known = fitting.end(index[cell], sign)
            if known is not None:
                ends.append(known)
                continue
            cost = np.zeros(len(names))
            cost[index[cell]] = sign
            res = milp(cost, constraints=constraint, bounds=bounds, integrality=np.ones(len(names)))
            fitting.add(res.x)
            ends.append(round(sign * res.fun))
        out[cell] = (ends[0], ends[1])
    return out


small_tables = st.integers(min_value=1, max_value=4).flatmap(
    lambda cols: st.lists(
        st.lists(st.one_of(st.integers(0, 6), st.integers(0, 60)), min_size=cols, max_size=cols), min_size=1, max_size=4
    )
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile (tests/conftest.py)
@given(small_tables)
def test_protect_guarantee_on_random_tables(rows):
    cube = _table_cube(rows)
    try:
        labels = protect(cube)
    except DisclosureError:
        # Allowed only when even hiding everything cannot protect the table; then nothing is published.
        return
    check(cube, labels)
    attacked = _brute_intervals(cube, labels)
    for cell, label in labels.items():
        value = cube.values[cell]
        if value < 5:
            assert label == PRIMARY, (cell, value, label)  # every 0-4 hidden as "<5"
        if label == PRIMARY:
            assert value < 5
        if label == SECONDARY:
            assert value >= 5
        if label is not None:
            lo, hi = attacked[cell]
            assert lo <= value <= hi and hi - lo >= MIN_SPAN, (rows, cell, value, (lo, hi))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=6))
def test_audit_intervals_match_brute_force(counts):
    """With one sum published and every cell hidden, the audit's interval is exactly the set of
    values that fit, counted by enumeration."""
    cube = Cube(
        {**{f"c{i}": v for i, v in enumerate(counts)}, "t": sum(counts)},
        [("t", tuple(f"c{i}" for i in range(len(counts))))],
    )
    labels = {c: (PRIMARY if v < 5 else SECONDARY) for c, v in cube.values.items() if c != "t"} | {"t": None}
    found = intervals(cube, labels)
    total = sum(counts)
    for i, v in enumerate(counts):
        lo_i, hi_i = (0, 4) if v < 5 else (5, total)
        others = [(0, 4) if w < 5 else (5, total) for j, w in enumerate(counts) if j != i]
        fits = [x for x in range(lo_i, hi_i + 1) if sum(a for a, _ in others) <= total - x <= sum(b for _, b in others)]
        assert found[f"c{i}"] == (min(fits), max(fits)), (counts, i)


def test_protect_by_hand():
    # EUD 30, GYM 3, Øvrige 20 with the total 53: GYM is "<5"; the total would give it away,
    # so the smallest other cell (Øvrige, 20) is hidden as "x": GYM can be 0-4, Øvrige 19-23.
    cube = Cube({"a": 30, "b": 3, "c": 20, "t": 53}, [("t", ("a", "b", "c"))])
    labels = protect(cube)
    assert labels == {"a": None, "b": PRIMARY, "c": SECONDARY, "t": None}
    assert intervals(cube, labels) == {"b": (0, 4), "c": (19, 23)}
    # Two cells of 0-4 in a sum of 6: each is 2-4, three values only -> a third cell goes.
    cube = Cube({"a": 2, "b": 4, "c": 40, "d": 9, "t": 55}, [("t", ("a", "b", "c", "d"))])
    labels = protect(cube)
    assert labels == {"a": PRIMARY, "b": PRIMARY, "c": None, "d": SECONDARY, "t": None}
    assert intervals(cube, labels) == {"a": (0, 4), "b": (0, 4), "d": (7, 15)}
