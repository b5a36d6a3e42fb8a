"""Hostile tester, issue 15 (public figures): published søgetal tables as municipalities really
write them, StatBank exports read by a description, and the inbox around them. Every test here
failed when it was written; each names what went wrong. Files are written at test time."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from intake.published.reader import read_published
from intake.sources.tables import FileRejected
from intake.statbank.reader import read_statbank
from tests.cli import overgang, settled

SIDE = "denominator: leavers_excl_10th_grade_applicants\ngeography_basis: school\n"


def _write(folder, name: str, text: str, side: str | None = SIDE):
    path = folder / name
    path.write_bytes(text.encode("cp1252"))
    if side is not None:
        path.with_suffix(".yaml").write_text(side, encoding="utf-8")
    return path


def _figures(frame) -> dict:
    return {(int(r.year), r.grade, r.education_group): r.share_pct for r in frame.itertuples()}


_cli = overgang  # overgang(tmp_path, *args): the CLI with its own home and inbox


# --- published tables -----------------------------------------------------------------------


def test_two_header_lines_9th_and_10th_grade_are_not_stored_as_9_plus_10(tmp_path):
    """A web-page table with a merged header line ("9. klasse" over three years, "10. klasse"
    over three more): the 10th-grade columns overwrote the 9th-grade ones (same year headings)
    and were stored as grade 9+10; the 9th-grade figures vanished without a word."""
    text = (
        "Søgetal for Køge Kommune\n\n"
        ";9. klasse;;;10. klasse;;\n"
        "Uddannelse;2022;2023;2024;2022;2023;2024\n"
        "EUD;20,0%;21,0%;22,0%;30,0%;31,0%;32,0%\n"
        "GYM;70,0%;69,0%;68,0%;50,0%;49,0%;48,0%\n"
        "Øvrige;10,0%;10,0%;10,0%;20,0%;20,0%;20,0%\n"
    )
    try:
        frame, _ = read_published(_write(tmp_path, "to_linjer.csv", text), 0.2)
    except FileRejected:
        return  # refusing the file (naming the repeated year columns) is also acceptable
    figures = _figures(frame)
    assert figures.get((2024, "9+10", "EUD")) != 32.0, "10th-grade EUD share stored as the 9th+10th figure"
    assert figures.get((2024, "9", "EUD")) == 22.0 and figures.get((2024, "10", "EUD")) == 32.0


def test_a_year_heading_with_a_note_is_not_dropped_silently(tmp_path):
    """'2024 (foreløbig)' is not a bare year: the 2024 column was skipped, the file accepted
    with 2022-2023 only, and nothing said a column of figures was left out."""
    text = (
        "Søgetal for Køge Kommune\n\nUddannelse;2022;2023;2024 (foreløbig)\n"
        "EUD;20,0%;21,0%;22,0%\nGYM;70,0%;69,0%;68,0%\nØvrige;10,0%;10,0%;10,0%\n"
    )
    try:
        frame, _ = read_published(_write(tmp_path, "foreloebig.csv", text), 0.2)
    except FileRejected as err:
        assert "column 4" in str(err) or "2024" in str(err)
        return
    assert 2024 in set(frame.year), "the 2024 column was dropped without a word"


def test_counts_and_percentages_side_by_side_keep_the_counts(tmp_path):
    """A table with the count and the percentage under the same year heading (two '2024'
    columns): the count column was silently dropped (the later heading wins)."""
    text = "Søgetal for Køge Kommune\n\nUddannelse;2024;2024\nEUD;120;20%\nGYM;420;70%\nØvrige;60;10%\n"
    try:
        frame, _ = read_published(_write(tmp_path, "antal_og_pct.csv", text), 0.2)
    except FileRejected:
        return
    assert frame["applicants"].notna().any(), "the counts were dropped without a word"


def test_long_table_mixing_three_and_five_way_years_keeps_oevrige(tmp_path):
    """2019 published three-way (EUD/GYM/Øvrige: FGU and STU inside), 2024 five-way: the 2019
    'Øvrige' was stored as OEVRIGT (work, abroad) because the file as a whole had FGU rows."""
    text = (
        "Kommune;År;Uddannelsesgruppe;Procent\n"
        "Køge;2019;EUD;20\nKøge;2019;GYM;70\nKøge;2019;Øvrige;10\n"
        "Køge;2024;EUD;20\nKøge;2024;GYM;70\nKøge;2024;FGU;5\nKøge;2024;STU;1\nKøge;2024;Øvrigt;4\n"
    )
    frame, failures = read_published(_write(tmp_path, "blandet.csv", text), 0.2)
    groups_2019 = set(frame[frame.year == 2019].education_group)
    assert groups_2019 == {"EUD", "GYM", "OEVRIGE"}, groups_2019


def test_oevrige_and_oevrigt_both_in_a_five_way_table_is_said_plainly(tmp_path):
    """A five-way table that also has an 'Øvrige' column: the row was quarantined as 'the same
    area, year, grade and group appear twice in the table' (it does not) and again as 'the 4
    groups add up to 91 %' (there are 6); the message should name the two columns."""
    text = "Kommune;År;EUD;GYM;FGU;STU;Øvrige;Øvrigt\nKøge;2024;20%;65%;5%;1%;6%;3%\n"
    try:
        frame, failures = read_published(_write(tmp_path, "begge.csv", text), 0.2)
    except FileRejected as err:
        assert "column 7" in str(err) and "column 8" in str(err)
        return
    messages = " ".join(f.message for f in failures)
    assert "appear twice in the table" not in messages, messages


def test_excel_fractions_in_an_eud_only_table_are_not_stored_as_a_fraction_of_a_percent(tmp_path):
    """Excel keeps '16,1 %' as 0.161. In an EUD-only table nothing adds up to 100, so 0.161 was
    stored as a share of 0.161 % (a hundred times too small) without a word."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Søgetal for Køge Kommune"])
    sheet.append([])
    sheet.append(["Uddannelse", 2023, 2024])
    sheet.append(["Erhvervsuddannelser", 0.161, 0.237])
    path = tmp_path / "eud.xlsx"
    book.save(path)
    path.with_suffix(".yaml").write_text(SIDE + "unit: pct\n", encoding="utf-8")
    try:
        frame, failures = read_published(path, 0.2)
    except FileRejected:
        return
    stored = dict(zip(frame.year, frame.share_pct))
    assert stored.get(2024) in (None, 23.7), f"0.237 read as {stored.get(2024)} %"
    assert stored.get(2024) == 23.7 or failures, "a fraction of a percent accepted without a word"


def test_title_with_two_kommuner_is_not_given_to_one_of_them(tmp_path):
    """'Københavns Kommune og Frederiksberg Kommune': the genitive 'Københavns' is not matched,
    so the table was filed as Frederiksberg's (147) without a word."""
    text = "Søgetal for Københavns Kommune og Frederiksberg Kommune\n\nUddannelse;2024\nEUD;20%\nGYM;70%\nØvrige;10%\n"
    try:
        frame, _ = read_published(_write(tmp_path, "kbh_frb.csv", text), 0.2)
    except FileRejected as err:
        assert "area" in str(err)
        return
    assert 147 not in set(frame.kommune_code), "Copenhagen and Frederiksberg's table filed as Frederiksberg's"


def test_area_in_title_and_description_that_disagree_is_refused(tmp_path):
    """Title 'Søgetal for Køge Kommune', description 'area: Roskilde' (copied from last year's
    file): the description won without a word and Køge's figures were filed as Roskilde's."""
    text = "Søgetal for Køge Kommune\n\nUddannelse;2024\nEUD;20%\nGYM;70%\nØvrige;10%\n"
    with pytest.raises(FileRejected) as err:
        read_published(_write(tmp_path, "uenig.csv", text, SIDE + "area: Roskilde\n"), 0.2)
    assert "uenig" in str(err.value)


def test_rounded_nej_does_not_switch_off_the_sum_check(tmp_path):
    """'rounded: nej' (Danish for no) is a non-empty string, so it was taken as yes: a table
    summing to 95 % (a group missing) was kept instead of held back."""
    text = "Søgetal for Køge Kommune\n\nUddannelse;2024\nEUD;20%\nGYM;70%\nØvrige;5%\n"
    try:
        frame, failures = read_published(_write(tmp_path, "nej.csv", text, SIDE + "rounded: nej\n"), 0.2)
    except FileRejected:
        return
    assert {f.rule for f in failures} >= {"shares_sum_to_100"}, "rows summing to 95 % kept"


def test_title_lines_with_commas_do_not_turn_a_semicolon_table_into_no_table(tmp_path):
    """A semicolon table under a title and a 'Kilde:' line with commas: the separator vote
    picked ',' and the file was refused as 'not a søgetal table'."""
    text = (
        "Søgetal, Køge Kommune, 9. og 10. klasse\nKilde: Optagelse.dk, STIL, maj 2024\n\n"
        "Uddannelse;2023;2024\nErhvervsuddannelser;20,0%;21,0%\n"
    )
    frame, failures = read_published(_write(tmp_path, "komma_titel.csv", text), 0.2)
    assert dict(zip(frame.year, frame.share_pct)) == {2023: 20.0, 2024: 21.0}


# --- StatBank by description ------------------------------------------------------------------

ROWS = [
    ("Fuldført ungdomsuddannelse", "Mænd", "Høje-Taastrup", [1100, 1130, 1150]),
    ("Fuldført ungdomsuddannelse", "I alt", "Høje-Taastrup", [2301, 2355, 2388]),
    ("Igangværende ungdomsuddannelse", "I alt", "Høje-Taastrup", [560, 541, 528]),
    ("Afbrudt ungdomsuddannelse", "I alt", "Høje-Taastrup", [310, 305, 298]),
    ("Ingen registreret ungdomsuddannelse", "I alt", "Høje-Taastrup", [240, 231, 229]),
    ("I alt", "I alt", "Høje-Taastrup", [3411, 3432, 3443]),
]


def _statbank(folder, description: str, header: str = ""):
    text = header + "".join(
        f'"{s}","{k}","{a}",' + ",".join(f"{v:,}".replace(",", ".") for v in values) + "\r\n"
        for s, k, a, values in ROWS
    )
    path = folder / "statusu6_trend.csv"
    path.write_bytes(text.encode("cp1252"))
    path.with_suffix(".yaml").write_text(description, encoding="utf-8")
    return path


def test_statbank_filter_on_a_column_not_listed_is_a_reason_not_a_traceback(tmp_path):
    """filter: {sex: I alt} with columns [status, køn, area]: KeyError 'sex' from the reader,
    and `overgang load` printed a Python traceback instead of a reason file."""
    path = _statbank(
        tmp_path, "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2022, 2023, 2024]\nfilter: {sex: I alt}\n"
    )
    with pytest.raises(FileRejected) as err:
        read_statbank(path)
    assert "statusu6_trend" in str(err.value)


def test_statbank_filter_on_a_column_not_listed_through_the_cli(tmp_path):
    path = _statbank(
        tmp_path, "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2022, 2023, 2024]\nfilter: {sex: I alt}\n"
    )
    done = _cli(tmp_path, "load", "--no-run", str(settled(path)))
    assert "Traceback" not in done.stdout + done.stderr
    assert (tmp_path / "inbox" / "rejected" / "statusu6_trend.csv.reason.txt").exists()


def test_statbank_further_variable_without_a_filter_is_not_collapsed_to_its_first_row(tmp_path):
    """columns [status, køn, area] and no filter: Mænd and I alt rows for the same status, area
    and year were collapsed by 'first', so completed = 1,100 (men) instead of 2,301 (all)."""
    path = _statbank(tmp_path, "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2022, 2023, 2024]\n")
    try:
        frame, _ = read_statbank(path)
    except FileRejected:
        return  # asking for a filter on køn is the right answer
    assert frame.set_index("year").loc[2022, "completed"] != 1100, "men's figure stored as everybody's"


def test_statbank_filter_that_matches_no_row_is_refused(tmp_path):
    """filter: {køn: Ialt} (a typo) matches nothing: the file was accepted with '0 areas and
    years', and because the ledger keys on content, the corrected description is then ignored."""
    path = _statbank(
        tmp_path, "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2022, 2023, 2024]\nfilter: {køn: Ialt}\n"
    )
    with pytest.raises(FileRejected):
        read_statbank(path)


def test_statbank_header_years_that_disagree_with_the_description_are_refused(tmp_path):
    """header: true, the header says 2022-2024, the description says 2021-2023: the
    description's years were used without a look at the header, so each figure moved a year."""
    path = _statbank(
        tmp_path,
        "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2021, 2022, 2023]\n"
        "header: true\nfilter: {køn: I alt}\n",
        header='"status","køn","område","2022","2023","2024"\r\n',
    )
    try:
        frame, _ = read_statbank(path)
    except FileRejected:
        return
    assert set(frame.year) == {2022, 2023, 2024}, f"years stored as {sorted(set(frame.year))}"
    assert frame.set_index("year").loc[2024, "completed"] == 2388


# --- the inbox around them ---------------------------------------------------------------------


def test_a_corrected_description_is_not_a_duplicate(tmp_path):
    """Loaded with 'area: Roskilde' by mistake, the analyst corrects the description to Køge and
    loads the same CSV again: 'duplicate … nothing changes', and Køge's figures stay filed as
    Roskilde's (the ledger hashes the table, not its description)."""
    (tmp_path / "mine").mkdir()
    # (The title names no kommune: a title and a description that disagree are refused outright.)
    text = "Søgetal 2024\n\nUddannelse;2024\nEUD;20%\nGYM;70%\nØvrige;10%\n"
    path = _write(tmp_path / "mine", "soegetal.csv", text, SIDE + "area: Roskilde\n")
    first = _cli(tmp_path, "load", "--no-run", str(settled(path)))
    assert "accepted" in first.stdout + first.stderr, first.stdout + first.stderr
    path.with_suffix(".yaml").write_text(SIDE + "area: Køge\n", encoding="utf-8")
    second = _cli(tmp_path, "load", "--no-run", str(path))
    assert "duplicate" not in second.stdout + second.stderr, second.stdout + second.stderr


@pytest.mark.integration
def test_loading_public_figures_alone_does_not_say_the_warehouse_was_unchanged_when_it_was_published(tmp_path):
    """A fresh home, one published table loaded: the warehouse is published, then the council
    report step fails (no extracts) and the command ends 'the run stopped; the published
    warehouse was not changed', though it was just written."""
    (tmp_path / "mine").mkdir()
    text = "Søgetal for Høje-Taastrup Kommune\n\nUddannelse;2024\nEUD;23,7%\nGYM;66,1%\nØvrige;10,2%\n"
    path = _write(tmp_path / "mine", "htk.csv", text)
    done = _cli(tmp_path, "load", str(path))
    published = (tmp_path / "home" / "warehouse" / "overgang.duckdb").exists()
    said_unchanged = "was not changed" in done.stdout + done.stderr
    assert not (published and said_unchanged), (done.stdout + done.stderr)[-800:]


# --- the national overview and the synthetic sample ---------------------------------------------


def test_overview_survives_a_superseding_maaltal_decision(sample_run, tmp_path):
    """Høje-Taastrup's council revises its 2025 EUD target in 2024 (30 % -> 32,5 %), a måltal file
    with both decisions is loaded: `overgang report --all` ends in a pandas ValueError traceback
    (two target rows for 2025 give two series rows for the year), and no overview is written for
    any of the 20 kommuner."""
    import shutil

    shutil.copytree(sample_run.settings.home, tmp_path / "home")
    (tmp_path / "mine").mkdir()
    targets = tmp_path / "mine" / "maaltal_revideret.csv"
    targets.write_text(
        "kommune_code,target_year,target_group,target_pct,value_basis,decided_year,decided_on,decided_by,"
        "stated_growth_pp_per_year,source\n"
        "169,2025,EUD,32.5,published,2024,2024-05-28,Høje-Taastrup Kommune,,https://example.dk/revideret\n",
        encoding="utf-8",
    )
    loaded = _cli(tmp_path, "load", str(targets))
    assert "accepted" in loaded.stdout + loaded.stderr, (loaded.stdout + loaded.stderr)[-800:]
    done = _cli(tmp_path, "report", "--all")
    assert "Traceback" not in done.stdout + done.stderr, (done.stdout + done.stderr)[-800:]
    assert (tmp_path / "home" / "reports" / "landsoversigt_2025.html").exists()


def test_overview_built_from_the_synthetic_sample_says_so(sample_run):
    """The warehouse says publication.synthetic_data = true, yet the national overview ranks 20
    real, named municipalities by invented EUD shares with no word that they are synthetic
    ("Hver kommunes tal er det, kommunens egen rapport viser")."""
    import duckdb

    from reports.overview import render_overview

    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT synthetic_data FROM publication").fetchone()[0] is True
    html = render_overview(sample_run.settings, 2025).read_text(encoding="utf-8")
    assert "syntetisk" in html.casefold(), "synthetic figures shown as real on the national overview"


@pytest.mark.integration
def test_real_published_tables_are_not_mixed_with_the_synthetic_sample(tmp_path):
    """The analyst's real published søgetal table is in the inbox; `overgang run` without
    --input then loads the shipped sample beside it, and the warehouse holds real published
    figures and synthetic pupil-level figures for the same kommune (a printed warning only)."""
    import duckdb

    (tmp_path / "mine").mkdir()
    text = "Søgetal for Køge Kommune\n\nUddannelse;2024\nEUD;22,0%\nGYM;68,0%\nØvrige;10,0%\n"
    path = _write(tmp_path / "mine", "koege.csv", text)
    assert "accepted" in (lambda d: d.stdout + d.stderr)(_cli(tmp_path, "load", "--no-run", str(path)))
    done = _cli(tmp_path, "run")
    warehouse = tmp_path / "home" / "warehouse" / "overgang.duckdb"
    if done.returncode != 0 or not warehouse.exists():
        return  # refusing to put the sample beside real figures is the right answer
    with duckdb.connect(str(warehouse), read_only=True) as con:
        synthetic = con.execute("SELECT synthetic_data FROM publication").fetchone()[0]
        real = con.execute(
            "SELECT count(*) FROM published_application_shares WHERE source_file = 'koege.csv'"
        ).fetchone()[0]
    assert not (synthetic and real), "real published figures and the synthetic sample in one warehouse"


# --- more published-table breaks ----------------------------------------------------------------


def test_long_table_with_an_unknown_group_label_stops_the_file(tmp_path):
    """Promised: a label no group is known by stops the file, naming where it is. In a long table
    (a group column) 'Erhvervsudd.' was only quarantined, the file accepted, and GYM and Øvrige
    kept with a group sum of 80 % (the sum check is off once a group is unknown): EUD vanished
    from a three-way table. The 'I alt' row (published_ignored) was quarantined too instead of
    being read past."""
    text = (
        "Kommune;År;Uddannelsesgruppe;Procent\n"
        "Køge;2024;Erhvervsudd.;20\nKøge;2024;GYM;70\nKøge;2024;Øvrige;10\nKøge;2024;I alt;100\n"
    )
    with pytest.raises(FileRejected) as err:
        read_published(_write(tmp_path, "lang_ukendt.csv", text), 0.2)
    assert "line 2" in str(err.value) and "line 5" not in str(err.value)


def test_a_published_small_cell_is_not_reported_as_a_missing_figure(tmp_path):
    """Municipal tables blank small cells as '<5' (as Overgang's own reports do). Each such cell
    was quarantined as 'the row has neither a count nor a percentage', the run's check then
    reported '6 rows held back' for a table that is exactly as published."""
    text = (
        "Søgetal for Læsø Kommune\n\nUddannelse;2023;2024\n"
        "EUD;<5;6\nGYM;12;9\nFGU;<5;<5\nSTU;0;<5\nØvrigt;<5;<5\nI alt;20;19\n"
    )
    frame, failures = read_published(_write(tmp_path, "laesoe.csv", text, SIDE + "unit: count\n"), 0.2)
    said = [f.message for f in failures if f.rule == "has_value"]
    assert not said, said[:2]


@pytest.mark.integration
def test_two_publications_of_the_same_figure_are_both_kept_with_their_source(tmp_path):
    """Issue 15: 'conflicting figures for the same cell from two publications are kept with their
    source and date, and the later publication wins in reports'. Køge's May page says EUD 22,0 %,
    a revised June page 23,0 %: the warehouse kept only the file loaded last; the May figure and
    its source are gone (and loading an older page after a newer one silently replaces it)."""
    import duckdb

    (tmp_path / "mine").mkdir()
    for name, eud, gym, url in (
        ("koege_maj.csv", "22,0", "68,0", "https://koege.dk/maj"),
        ("koege_juni.csv", "23,0", "67,0", "https://koege.dk/juni"),
    ):
        _write(
            tmp_path / "mine",
            name,
            f"Søgetal for Køge Kommune\n\nUddannelse;2024\nEUD;{eud}%\nGYM;{gym}%\nØvrige;10,0%\n",
            SIDE + f"source: {url}\n",
        )
    _cli(tmp_path, "load", str(tmp_path / "mine" / "koege_maj.csv"), str(tmp_path / "mine" / "koege_juni.csv"))
    with duckdb.connect(str(tmp_path / "home" / "warehouse" / "overgang.duckdb"), read_only=True) as con:
        sources = {
            s
            for (s,) in con.execute(
                "SELECT source FROM published_application_shares WHERE kommune_code = 259 "
                "AND year = 2024 AND education_group = 'EUD'"
            ).fetchall()
        }
        current = con.execute(
            "SELECT source FROM published_application_shares WHERE kommune_code = 259 "
            "AND year = 2024 AND education_group = 'EUD' AND current"
        ).fetchall()
    assert sources == {"https://koege.dk/maj", "https://koege.dk/juni"}, sources
    assert current == [("https://koege.dk/juni",)]


def test_statbank_header_nej_does_not_eat_the_first_row(tmp_path):
    """'header: nej' (Danish for no) is a non-empty string, so bool() made it true: the first data
    row (completed, all) was taken as a header and dropped; completed came out empty."""
    path = tmp_path / "statusu6_nej.csv"
    path.write_bytes(
        "".join(f'"{s}","{k}","{a}",' + ",".join(map(str, values)) + "\r\n" for s, k, a, values in ROWS[1:]).encode(
            "cp1252"
        )
    )
    path.with_suffix(".yaml").write_text(
        "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2022, 2023, 2024]\nheader: nej\nfilter: {køn: I alt}\n",
        encoding="utf-8",
    )
    try:
        frame, _ = read_statbank(path)
    except FileRejected:
        return
    assert frame.set_index("year").loc[2024, "completed"] == 2388


def test_statbank_description_with_a_year_twice_is_refused(tmp_path):
    """years: [2022, 2022, 2024] (a typo for 2023): the 2023 column was read as a second 2022 and
    dropped by the pivot without a word."""
    path = _statbank(
        tmp_path, "table: STATUSU6\ncolumns: [status, køn, area]\nyears: [2022, 2022, 2024]\nfilter: {køn: I alt}\n"
    )
    with pytest.raises(FileRejected):
        read_statbank(path)


def test_a_renamed_copy_of_the_sample_is_still_synthetic(tmp_path):
    """The sample is recognised by file name first: the shipped 2025 extract copied into the
    analyst's folder as 'optagelse_2025_htk.csv' (to try --input) counts as a real extract, so
    it is loaded beside real years and published with synthetic_data = false."""
    import shutil

    from assets.applications.assets import synthetic_files
    from overgang.settings import SAMPLE_DIR

    copy = tmp_path / "optagelse_2025_htk.csv"
    shutil.copyfile(SAMPLE_DIR / "optagelse_2025.csv", copy)
    assert synthetic_files([copy]) is True


def test_overview_does_not_show_an_eud_share_the_report_blanks(sample_run):
    """Lejre and Frederikshavn 2025 (sample): the report's group table blanks the EUD count and
    share (complementary suppression for the <5 cells FGU and Øvrigt, denominator 27 shown,
    GYM 19, STU 0), but the overview ranks both at 22,2 % (taken from the trend series). 22,2 %
    of 27 gives EUD = 6, hence FGU + Øvrigt = 2: the primary cells the blank was to protect."""
    import duckdb

    from reports.data import load_report_data
    from reports.overview import overview_rows

    with duckdb.connect(str(sample_run.settings.warehouse), read_only=True) as con:
        rows = overview_rows(con, 2025, sample_run.settings)
        leaks = []
        for row in rows:
            groups = load_report_data(con, row.kommune_code, 2025, sample_run.settings).groups.set_index("group")
            if bool(groups.loc["EUD", "blanked"]) and row.share is not None:
                leaks.append((row.kommune_name, round(row.share, 1), int(groups.loc["EUD", "denominator"])))
    assert not leaks, f"EUD share shown on the overview where the report's table blanks it: {leaks}"


def test_a_year_in_the_title_row_is_not_taken_for_the_header(tmp_path):
    """An Excel sheet with the heading 'Søgetal' in A1 and the year 2024 in B1, and the table
    below with an empty corner cell: the title row was taken for the header, so column B (the
    2023 figures) was stored as 2024 and the real 2024 column dropped, without a word."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Søgetal", 2024])
    sheet.append([])
    sheet.append([None, 2023, 2024])
    sheet.append(["EUD", "20,0%", "21,0%"])
    sheet.append(["GYM", "70,0%", "69,0%"])
    sheet.append(["Øvrige", "10,0%", "10,0%"])
    path = tmp_path / "titel_aar.xlsx"
    book.save(path)
    path.with_suffix(".yaml").write_text(SIDE + "area: Køge\n", encoding="utf-8")
    try:
        frame, _ = read_published(path, 0.2)
    except FileRejected:
        return
    eud = {int(r.year): r.share_pct for r in frame.itertuples() if r.education_group == "EUD"}
    assert eud == {2023: 20.0, 2024: 21.0}, f"EUD read as {eud}"
