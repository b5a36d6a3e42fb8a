"""Disclosure control under attack (hostile tester): the figures added after the first
attack (tests/test_disclosure.py) (captions, goal cards, the national figure made from a full load, the overview).

Each test recovers (or narrows below the documented four possible values) a count of 0-4 pupils
from what is published, and fails while the leak is there.
"""

from __future__ import annotations

import csv
import html as htmllib
import itertools
import json
import re
from pathlib import Path

import pytest

from overgang.settings import PROJECT_DIR
from reports.render import render_report
from tests.attacker import Knowledge
from tests.conftest import run_pipeline
from tests.extracts import row, write_extract
from tests.workbooks import read_sheets

MIN_SPAN = 3  # README: "the interval spans at least 3 (four or more possible values)"
TARGET_KOMMUNE = 169
# Every other kommune: 25 leavers, 5 in each of the five groups (all shown, nothing hidden).
PLAIN = {"eud_gf1": 5, "stx": 5, "fgu": 5, "stu": 5, "arbejde": 5}
# Høje-Taastrup: 2 in STU (hidden as "<5"), the rest large enough to show.
SMALL = {"eud_gf1": 10, "stx": 10, "fgu": 6, "stu": 2, "arbejde": 8}
GROUP_OF = {"eud_gf1": "EUD", "stx": "GYM", "fgu": "FGU", "stu": "STU", "arbejde": "OEVRIGT"}
# 2023, København alone: STU 4 ("<5"), FGU 9 hidden as "x" to protect it, the rest 10.
FLEST_KOMMUNE = 101
# Two of its 9th graders apply to 10th grade ("<5"; not in the leavers).
FLEST = {"eud_gf1": 10, "stx": 10, "fgu": 9, "stu": 4, "arbejde": 10, "10kl": 2}


def _kommuner() -> list[int]:
    with open(PROJECT_DIR / "data" / "reference" / "kommuner.csv", encoding="utf-8") as f:
        return [int(r["kommune_code"]) for r in csv.DictReader(f)]


def _extract(path: Path, year: int, mixes: dict[int, dict]) -> Path:
    rows, serial = [], 10 * year
    for k, mix in mixes.items():
        for code, n in mix.items():
            for _ in range(n):
                serial += 1
                day, month = 1 + serial % 28, 1 + (serial // 28) % 12
                cpr = f"{day:02d}{month:02d}{year - 2016:02d}-{serial % 10000:04d}"
                rows.append(
                    row(
                        CPR=cpr,
                        **{
                            "Skolens institutionsnummer": f"{k:03d}001",
                            "Skolens navn": f"Skole {k}",
                            "Skolens kommunenr": str(k),
                            "Bopælskommunenr": str(k),
                            "Uddannelse": code,
                            "Ansøgningsdato": f"{year}-02-20",
                        },
                    )
                )
    return write_extract(path / f"optagelse_{year}.csv", rows)


@pytest.fixture(scope="module")
def full_country(tmp_path_factory, request):
    """One Dagster run on a hand-made 2024 extract covering all 98 municipalities (so 'Hele
    landet' is computed from the warehouse), and every kommune's report."""
    mp = pytest.MonkeyPatch()
    from tests.conftest import TEST_KEY

    mp.setenv("OVERGANG_CPR_KEY", TEST_KEY)
    request.addfinalizer(mp.undo)
    base = tmp_path_factory.mktemp("full_country")
    _extract(base / "input", 2024, {k: SMALL if k == TARGET_KOMMUNE else PLAIN for k in _kommuner()})
    _extract(base / "input", 2023, {FLEST_KOMMUNE: FLEST})
    run = run_pipeline(base / "home", base / "input")
    assert run.result.success
    out = base / "reports"
    pages = {
        (k, y): render_report(run.settings, k, y, out / f"rapport_{k}_{y}.html").read_text("utf-8")
        for k, y in ((TARGET_KOMMUNE, 2024), (FLEST_KOMMUNE, 2023))
    }
    return run, pages


def _national_shares(page: str) -> dict[str, float]:
    """'Hele landet' per group as the page's groups chart carries it (group -> share); the
    kommune's own bars name their cells, which says which bar is which group."""
    body = page.split("</head>", 1)[1]
    m = re.search(r'Plotly\.newPlot\(\s*"chart-groups",\s*', body)
    traces, _ = json.JSONDecoder().raw_decode(body, m.end())
    mine = next(t for t in traces if t.get("customdata"))
    group = {x: c.rsplit("/", 1)[1] for x, c in zip(mine["x"], mine["customdata"])}
    nat = next(t for t in traces if t.get("name") == "Hele landet")
    return {group[x]: v for x, v in zip(nat["x"], nat["y"])}


@pytest.mark.integration
def test_national_share_from_a_full_load_pins_a_hidden_count(full_country):
    """Leak: when the extracts cover all 98 municipalities, "Hele landet" is computed from the
    warehouse, i.e. it is the SUM of every kommune's cube (README: "No published figure adds two
    cubes"). Every other kommune's counts are shown (publication set, each one's report); the
    national shares (one decimal) of STU and FGU, times the national leavers (the sum of the
    shown "i alt"), with FGU + STU = i alt minus the shown groups, pin Høje-Taastrup's hidden STU
    ("<5", truly 2) to one value. Promise broken: small cells protected (solving over all of it)."""
    run, pages = full_country
    k = Knowledge()
    k.read_publication(run.settings.publication_dir)
    counts, marks = k.counts, k.marks
    kommuner = _kommuner()
    prefix = f"{TARGET_KOMMUNE}/2024"
    assert marks.get(f"{prefix}/g/STU") == {"<5"}, marks.get(f"{prefix}/g/STU")
    national = _national_shares(pages[(TARGET_KOMMUNE, 2024)])
    assert all(f"{kk}/2024/g/n" in counts for kk in kommuner), "every kommune's leavers are shown"
    n_total = sum(counts[f"{kk}/2024/g/n"] for kk in kommuner)
    others = {g: sum(counts[f"{kk}/2024/g/{g}"] for kk in kommuner if kk != TARGET_KOMMUNE) for g in DETAIL}

    def fits(values):
        return all(round(100 * (others[g] + values[g]) / n_total, 1) == national[g] for g in DETAIL if g in national)

    before = _hidden_intervals(counts, marks, prefix)
    after = _hidden_intervals(counts, marks, prefix, fits)
    assert before["STU"][1] - before["STU"][0] >= MIN_SPAN, before  # the kommune's own tables hold
    if after is None:
        # No value fits: the page's "Hele landet" is a published figure, not the sum of these cubes.
        derived = {g: round(100 * (others[g] + counts[f"{prefix}/g/{g}"]) / n_total, 1) for g in ("EUD", "GYM")}
        assert {g: national.get(g) for g in derived} != derived, (national, derived)
        return
    assert after["STU"][0] <= SMALL["stu"] <= after["STU"][1]
    assert after["STU"][1] - after["STU"][0] >= MIN_SPAN, (
        f"{prefix}/g/STU (<5, truly {SMALL['stu']}): own tables give {before['STU']}; with the national "
        f"shares {national} of {n_total} shown leavers: {after}"
    )


DETAIL = ["EUD", "GYM", "FGU", "STU", "OEVRIGT"]


def _hidden_intervals(counts: dict, marks: dict, prefix: str, extra=lambda values: True) -> dict[str, tuple]:
    """Brute force over one kommune-year's group table: every value of the hidden groups that
    fits the shown counts, the sums (groups = i alt, FGU + STU + øvrigt = Øvrige) and the marks,
    and `extra` (what a caption says)."""
    n = counts[f"{prefix}/g/n"]
    hidden = [g for g in DETAIL if f"{prefix}/g/{g}" not in counts]
    bounds = {"<5": range(0, 5), "x": range(5, n + 1)}
    fits = []
    for combo in itertools.product(*(bounds[next(iter(marks[f"{prefix}/g/{g}"]))] for g in hidden)):
        values = {g: counts.get(f"{prefix}/g/{g}") for g in DETAIL} | dict(zip(hidden, combo))
        if sum(values.values()) != n:
            continue
        oev = values["FGU"] + values["STU"] + values["OEVRIGT"]
        if f"{prefix}/g/OEVRIGE" in counts and counts[f"{prefix}/g/OEVRIGE"] != oev:
            continue
        if extra(values):
            fits.append(values)
    if not fits:
        return None  # nothing fits `extra`: what it reads is not about these counts
    return {g: (min(v[g] for v in fits), max(v[g] for v in fits)) for g in hidden}


@pytest.mark.integration
def test_flest_caption_ranks_a_hidden_count(full_country):
    """Leak: the groups chart's caption "Flest søgte <gruppe> som 1. prioritet" picks the largest
    group among the SHOWN ones only, yet states it as the largest of all. A reader who believes the
    report learns that the hidden "x" group (FGU, 9) is at most the named group (10); with
    FGU + STU known from i alt minus the shown groups, København 2023's STU ("<5", truly 4) is
    then at least 3: two possible values instead of four. Promise broken: small cells protected
    (reading a caption together with the tables)."""
    run, pages = full_country
    page = pages[(FLEST_KOMMUNE, 2023)]
    prefix = f"{FLEST_KOMMUNE}/2023"
    k = Knowledge()
    k.read_html(page)
    k.read_publication(run.settings.publication_dir)
    counts = {c: v for c, v in k.counts.items() if c.startswith(prefix + "/")}
    marks = {c: m for c, m in k.marks.items() if c.startswith(prefix + "/")}
    assert marks.get(f"{prefix}/g/STU") == {"<5"}, marks
    caption = re.search(r"Flest søgte (.*?) som 1\. prioritet i 2023: <span data-cell=\"([^\"]+)\"", page)
    if caption is None:
        # The caption ranks no group while one is hidden; the EUD share is still stated.
        assert 'id="fig-groups"' in page and "EUD: <span data-cell=" in page.split('id="fig-groups"', 1)[1][:3000]
        return
    top = caption.group(2).rsplit("/", 1)[1]
    top_count = counts[f"{prefix}/g/{top}"]
    before = _hidden_intervals(counts, marks, prefix)
    after = _hidden_intervals(counts, marks, prefix, lambda v: all(v[g] <= top_count for g in DETAIL))
    assert before["STU"][1] - before["STU"][0] >= MIN_SPAN, before  # the tables alone hold
    assert after["STU"][0] <= FLEST["stu"] <= after["STU"][1]
    assert after["STU"][1] - after["STU"][0] >= MIN_SPAN, (
        f"{prefix}/g/STU (<5, truly {FLEST['stu']}): tables alone give {before['STU']}, with the caption "
        f"'Flest søgte {htmllib.unescape(caption.group(1))}' ({top} = {top_count}) {after['STU']}"
    )


@pytest.mark.integration
def test_rows_of_the_loaded_file_give_away_the_tenth_grade_count(full_country):
    """Leak: the "Teknisk bilag" lists every loaded extract with its number of rows
    ("Rækker"). A kommune's own extract of 1st priorities (here København 2023, one file, one
    kommune) has one row per applicant: rows = leavers (shown, "i alt") + 9th graders applying to
    10th grade ("<5", truly 2). Rows minus leavers gives the hidden count exactly. The same holds
    for the sum over every kommune of a multi-kommune file when one cell is hidden. Promise broken:
    small cells protected (reading one page; the audit and tests skip table-sources)."""
    run, pages = full_country
    page = pages[(FLEST_KOMMUNE, 2023)]
    prefix = f"{FLEST_KOMMUNE}/2023"
    k = Knowledge()
    k.read_html(page)
    assert k.marks.get(f"{prefix}/t/TIENDE") == {"<5"}, k.marks.get(f"{prefix}/t/TIENDE")
    table = page.split('id="table-sources"', 1)[1].split("</table>", 1)[0]
    assert "optagelse_2023.csv" in table  # the files are still listed
    rows = re.search(r"optagelse_2023\.csv(?:</bdi>)?</code></td><td>[^<]*</td><td class=\"num\">([\d.]+)</td>", table)
    if rows is None:
        assert not re.search(r'class="num">[\d.]+</td>', table), table  # no number about the files at all
        return
    recovered = int(rows.group(1).replace(".", "")) - k.counts[f"{prefix}/g/n"]
    # The 2024 file covers all 98 kommuner: rows minus the sum of their shown leavers is the sum
    # of their 98 hidden 10th-grade counts ("<5" each): 0, so every one of them is 0.
    every = re.search(r"optagelse_2024\.csv(?:</bdi>)?</code></td><td>[^<]*</td><td class=\"num\">([\d.]+)</td>", table)
    pub = Knowledge()
    pub.read_publication(run.settings.publication_dir)
    tenth = [c for c, m in pub.marks.items() if c.endswith("/2024/t/TIENDE") and m == {"<5"}]
    leavers = sum(v for c, v in pub.counts.items() if c.endswith("/2024/g/n"))
    hidden_sum = int(every.group(1).replace(".", "")) - leavers
    assert recovered != FLEST["10kl"] and not (len(tenth) == 98 and hidden_sum == 0), (
        f"{prefix}/t/TIENDE is '<5' on the page, but 'Rækker' {rows.group(1)} minus {k.counts[f'{prefix}/g/n']} "
        f"leavers = {recovered} (true count {FLEST['10kl']}); 2024: rows minus {leavers} leavers = {hidden_sum} "
        f"= the sum of {len(tenth)} hidden '<5' 10th-grade cells, so each is 0"
    )


@pytest.mark.integration
def test_a_published_count_table_prints_a_count_under_five(tmp_path):
    """Leak: a year known only from a published søgetal table of counts ("unit: count") is shown
    "as printed": its STU count of 2 is printed as "2" in the groups table and the workbook, and
    its share (0,5 %) beside the shown total. The report's own methods note says "Antal på 0–4
    elever vises aldrig; de står som <5" and the promise is that no 0-4 count can be read from
    anything Overgang publishes; the report re-publishes it without any small-cell check (the
    audit sees no data-cell on these figures)."""
    import pandas as pd

    from tests.cli import overgang

    folder = tmp_path / "mine"
    folder.mkdir()
    lines = [
        "Søgetal for Køge Kommune, 9. og 10. klasse (antal elever)",
        "",
        "Uddannelse;2024",
        "Erhvervsuddannelser (EUD/EUX);80",
        "Gymnasiale uddannelser;300",
        "Forberedende uddannelser/FGU;20",
        "Øvrige ungdomsuddannelser/STU;2",
        "Øvrigt;18",
    ]
    table = folder / "koege_antal.csv"
    table.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    table.with_suffix(".yaml").write_text(
        "denominator: leavers_excl_10th_grade_applicants\ngeography_basis: school\nunit: count\n"
        "source: https://www.koege.dk/soegetal\npublished: 2024-05-02\n",
        encoding="utf-8",
    )
    done = overgang(tmp_path, "load", str(table))
    assert done.returncode == 0, done.stdout + done.stderr
    made = overgang(tmp_path, "report", "--kommune", "259", "--year", "2024")
    assert made.returncode == 0, made.stdout + made.stderr
    path = tmp_path / "home" / "reports" / "rapport_259_2024.html"
    page = path.read_text(encoding="utf-8")
    body = page.split('id="table-groups"', 1)[1].split("</table>", 1)[0]
    cells = [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", body)]
    book = read_sheets(path.with_suffix(".xlsx"), sheet_name="Grupper")
    small_in_book = [v for v in book["Antal"] if isinstance(v, (int, float)) and not pd.isna(v) and v < 5]
    small_on_page = [c for c in cells if re.fullmatch(r"[0-4]", c)]
    assert not small_on_page and not small_in_book, (
        f"counts under 5 printed: page table-groups {small_on_page}, workbook 'Grupper' Antal {small_in_book}"
    )
