"""Hostile tests of the report's table of counts following data/config/education_groups.csv
(overgang/groups.py: GroupScheme; reports/cells.py: build_cube, read_scheme).

Promises attacked:
- a new counted group, a new target group of three members and a target group of one member of
  another name reach the report (with their labels) and the publication set on a real run; every
  published count is the søgetal's; and an attacker who knows the table's sums from the groups
  file alone (not from the code under test) and solves with scipy over everything published
  (report pages' data-cells and chart JSON, the publication set's Parquet and CSV) cannot narrow
  a hidden cell to fewer than four values;
- a groups file that cannot make the table (a counted group with no target group, a target group
  named like another group) stops the run with a message naming the file and the group, no
  traceback, and nothing is published;
- the shipped sample gives the same report and publication set as before (the cells' names did
  not change): a fingerprint of main's output, tests/snapshots/sample_cube.json.

The runs with another groups file run in a child process whose data folder is a copy of data/
with the files changed (the groups file is read when schemas/reference.py is imported).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from overgang.groups import GroupScheme, GroupSchemeError
from overgang.pipeline_settings import SmallCell
from overgang.settings import DATA_DIR, PROJECT_DIR
from tests.attacker import Knowledge
from tests.cli import child_env
from tests.conftest import TEST_KEY

MIN_SPAN = 3  # README: a hidden cell spans at least four possible values
HEADER = "group,label_da,short_label_da,target_group,in_denominator,sort_order\n"
# The toy groups: OEVRIGT split (work and military service apart: ARBEJDE, counted, new), a target
# group of three members (OEVRIGE = FGU + OEVRIGT + ARBEJDE, a combination the wording file was
# not written for), and a target group of one member of another name (SAERLIG = STU).
TOY_GROUPS = HEADER + (
    "EUD,Erhvervsuddannelser (EUD/EUX),EUD,EUD,true,1\n"
    "GYM,Gymnasiale uddannelser,GYM,GYM,true,2\n"
    "FGU,Forberedende grunduddannelse (FGU),FGU,OEVRIGE,true,3\n"
    "STU,Særligt tilrettelagt ungdomsuddannelse (STU),STU,SAERLIG,true,4\n"
    'OEVRIGT,"Øvrigt (udland, højskole m.m.)",Øvrigt,OEVRIGE,true,5\n'
    "ARBEJDE,Arbejde og værnepligt,Arbejde,OEVRIGE,true,6\n"
    "TIENDE,10. klasse,10. klasse,,false,7\n"
)
TOY_CODES = {"arbejde": "ARBEJDE", "vaernepligt": "ARBEJDE"}

CHILD = """
import json, sys
from pathlib import Path
import overgang.settings
overgang.settings.DATA_DIR = Path(sys.argv[1])  # before anything reads the data folder
mode, home, input_dir = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
if mode == "cli":
    from pipelines.cli import main
    main(["run", "--input", str(input_dir)])
from dagster import instance_for_test
from overgang.settings import Settings
from pipelines.run import execute_main_job, failure_messages
from reports.render import render_report
settings = Settings(home=home, input_dir=input_dir, pipeline=Settings.load().pipeline, inbox=home.parent / "inbox")
with instance_for_test(temp_dir=str(home / "dagster")) as instance:
    result = execute_main_job(settings, instance)
pages = {}
if result.success:
    for k, y in json.loads(sys.argv[5]):
        pages[f"{k}/{y}"] = str(render_report(settings, k, y, home / "pages" / f"rapport_{k}_{y}.html"))
print(json.dumps({"success": result.success, "messages": failure_messages(result, settings), "pages": pages,
                  "warehouse": str(settings.warehouse), "publication": str(settings.publication_dir)}))
"""


def _data_with(tmp: Path, groups: str, codes: dict[str, str] | None = None) -> Path:
    """A copy of data/ with the groups file (and codes moved to other groups) changed."""
    data = tmp / "data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("generator"))
    (data / "config" / "education_groups.csv").write_text(groups, encoding="utf-8")
    if codes:
        path = data / "config" / "education_codes.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame["group"] = [codes.get(c, g) for c, g in zip(frame["code"], frame["group"])]
        frame.to_csv(path, index=False)
    return data


# The runs with another groups file cannot share this process (the groups file is read when the
# project's modules are imported), but they can share the libraries' imports: one child per test
# module (`groups_child`) imports Dagster, pandas, DuckDB, pandera and plotly once (about 2.5 s of
# CPU, paid again by every child before) and forks a process per run, which points the project at
# its copy of data/ and imports the project itself (CHILD). The forked process's standard output
# and error go to files; the child says its exit status.
SERVER = """
import json, os, sys, traceback
import dagster, dagster_duckdb, duckdb, pandas, pandera, plotly.graph_objects, sqlalchemy  # noqa: F401
child = sys.argv[1]
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.environ.update(request["env"])
            for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
                os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
            sys.argv = ["-c", *request["argv"]]
            exec(compile(child, "<child>", "exec"), {"__name__": "__main__"})
            status = 0
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else (exit.code is not None)
            if not isinstance(exit.code, (int, type(None))):
                print(exit.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            os._exit(status)
    _, waited = os.waitpid(pid, 0)
    print(json.dumps({"status": os.waitstatus_to_exitcode(waited)}), flush=True)
"""


@pytest.fixture(scope="module")
def groups_child():
    """`run(data, mode, home, pages)`: CHILD with the copy of data/ `data` in a process forked from
    the module's child (SERVER), as a completed process (exit status, standard output and error)."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, CHILD],
        cwd=PROJECT_DIR,
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def run(data: Path, mode: str, home: Path, pages=()) -> subprocess.CompletedProcess:
        env = child_env(home.parent, OVERGANG_HOME=str(home), OVERGANG_CPR_KEY=TEST_KEY)
        (home / "dagster").mkdir(parents=True, exist_ok=True)
        argv = [str(data), mode, str(home), str(data / "sample" / "optagelse"), json.dumps(pages)]
        out, err = home.parent / f"{home.name}.stdout", home.parent / f"{home.name}.stderr"
        request = {"env": env, "argv": argv, "stdout": str(out), "stderr": str(err)}
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        line = server.stdout.readline()
        assert line, f"the groups child ended: {server.stderr.read()[-3000:]}"
        status = json.loads(line)["status"]
        return subprocess.CompletedProcess(argv, status, out.read_text("utf-8"), err.read_text("utf-8"))

    yield run
    server.stdin.close()
    server.wait(timeout=60)


def _scheme_from_file(text: str) -> dict:
    """The table's structure as a reader of the groups file sees it (not reports/cells.py)."""
    rows = sorted(csv.DictReader(io.StringIO(text)), key=lambda r: int(r["sort_order"]))
    detail = [r["group"] for r in rows if r["in_denominator"] == "true"]
    targets = list(dict.fromkeys(r["target_group"] for r in rows if r["in_denominator"] == "true"))
    members = {
        t: [r["group"] for r in rows if r["in_denominator"] == "true" and r["target_group"] == t] for t in targets
    }
    apart = [r["group"] for r in rows if r["in_denominator"] != "true"]
    return {"detail": detail, "targets": targets, "members": members, "apart": apart, "rows": rows}


class SchemeAttacker(Knowledge):
    """tests/attacker.py's reader and solver, with the sums of the toy groups file."""

    def __init__(self, scheme: dict):
        super().__init__()
        self.scheme = scheme

    def read_publication(self, folder: Path) -> None:
        for name in ("soegetal", "soegetal_split"):
            for frame in (
                pd.read_parquet(folder / "parquet" / f"{name}.parquet"),
                duckdb.connect(str(folder / "overgang_publication.duckdb"), read_only=True)
                .execute(f"FROM {name}")
                .df(),
            ):
                for r in frame.itertuples():
                    group = r.education_group
                    row = (
                        ("t" if group in self.scheme["apart"] else "g")
                        if name == "soegetal"
                        else f"{r.part}:{r.row_key}"
                    )
                    cell = f"{r.kommune_code}/{r.year}/{row}/{group}"
                    if isinstance(r.mark, str):
                        self.mark(cell, r.mark)
                    # A count or share beside a mark is read too: it would pin the hidden cell.
                    if not pd.isna(r.applicants):
                        self.count(cell, int(r.applicants), "publication set")
                    if not pd.isna(r.share_pct):
                        self.share(cell, float(r.share_pct), f"{r.kommune_code}/{r.year}/{row}/n")

    def sums(self):
        s, out = self.scheme, []
        for p in {c.rsplit("/", 2)[0] for c in self.cells}:
            if p.split("/")[1].startswith("c"):
                statuses = ("completed", "in_progress", "dropped_out", "no_registered_education")
                out.append((f"{p}/c/total", [f"{p}/c/{x}" for x in statuses]))
                continue
            out.append((f"{p}/g/n", [f"{p}/g/{g}" for g in s["detail"]]))
            for t, ms in s["members"].items():
                if ms != [t]:
                    out.append((f"{p}/g/{t}", [f"{p}/g/{g}" for g in ms]))
            rows = defaultdict(set)
            for c in self.cells:
                head, row, _ = c.rsplit("/", 2)
                if head == p and ":" in row:
                    rows[row.split(":")[0]].add(row)
            for keys in rows.values():
                for key in keys:
                    out.append((f"{p}/{key}/n", [f"{p}/{key}/{t}" for t in s["targets"]]))
                for t in [*s["targets"], "n"]:
                    out.append((f"{p}/g/{t}", [f"{p}/{key}/{t}" for key in sorted(keys)]))
        return out


REPORTS = [(169, 2025), (169, 2023), (101, 2025), (461, 2024)]


@pytest.fixture(scope="module")
def toy_run(groups_child, tmp_path_factory):
    base = tmp_path_factory.mktemp("toy_groups")
    data = _data_with(base, TOY_GROUPS, TOY_CODES)
    done = groups_child(data, "run", base / "home", REPORTS)
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["success"], out["messages"]
    return out


@pytest.mark.integration
def test_new_groups_reach_the_report_with_their_labels(toy_run):
    page = Path(toy_run["pages"]["169/2025"]).read_text("utf-8")
    body = page.split("</head>", 1)[1]
    # The new group is a row of the groups table, by its label, with its own cell.
    assert re.search(
        r"<td><bdi>Arbejde og værnepligt</bdi></td><td class=\"num[^\"]*\" data-cell=\"169/2025/g/ARBEJDE\"", body
    )
    # The target groups are columns of the splits and trend charts of their own: SAERLIG (= STU)
    # by its member's label, OEVRIGE by its members' labels (the wording file's "Øvrige" was
    # written for FGU + STU + OEVRIGT and is not used for another combination).
    assert 'id="chart-saerlig"' in body and 'id="chart-oevrige"' in body
    assert '<th class="num" scope="col">FGU/Øvrigt/Arbejde</th>' in body
    assert '<th class="num" scope="col">STU</th>' in body
    assert "Øvrige (FGU, STU, arbejde m.m.)" not in body
    assert 'data-cell="169/2025/t/TIENDE"' in body


@pytest.mark.integration
def test_published_counts_are_the_soegetal_and_the_sums_the_groups_file(toy_run):
    """Every count in the publication set is the warehouse's søgetal (or a sum the groups file
    says): nobody counted lost or counted twice."""
    s = _scheme_from_file(TOY_GROUPS)
    with duckdb.connect(toy_run["warehouse"], read_only=True) as con:
        truth = {
            (k, y, g): (n, d)
            for k, y, g, n, d in con.execute(
                "SELECT kommune_code, year, education_group, applicants, denominator FROM application_shares "
                "WHERE geography_basis = 'school' AND grade = '9+10' AND kommune_code <> 0"
            ).fetchall()
        }
    pub = pd.read_parquet(Path(toy_run["publication"]) / "parquet" / "soegetal.parquet")
    assert set(pub.education_group) == {*s["detail"], "OEVRIGE", "SAERLIG", "n", "TIENDE"}
    assert "ARBEJDE" in set(pub.education_group)
    checked = 0
    for r in pub.itertuples():
        if pd.isna(r.applicants):
            continue
        k, y, g = r.kommune_code, r.year, r.education_group
        if g == "n":
            expected = truth[(k, y, "EUD")][1]
        elif g in s["members"] and s["members"][g] != [g]:
            expected = sum(truth[(k, y, m)][0] for m in s["members"][g])
        else:
            expected = truth[(k, y, g)][0]
        assert r.applicants == expected, (k, y, g)
        checked += 1
    assert checked > 500
    # Every counted pupil is in exactly one detail group: the leavers are the detail groups' sum.
    for (k, y, g), (_n, d) in truth.items():
        if g == "EUD":
            assert d == sum(truth[(k, y, m)][0] for m in s["detail"])


@pytest.mark.integration
def test_an_attacker_with_the_groups_file_cannot_narrow_a_hidden_cell(toy_run):
    s = _scheme_from_file(TOY_GROUPS)
    k = SchemeAttacker(s)
    k.read_publication(Path(toy_run["publication"]))
    for where, path in toy_run["pages"].items():
        k.read_html(Path(path).read_text("utf-8"), where)
    for folder in {Path(p).parent for p in toy_run["pages"].values()}:
        for book in folder.glob("*.xlsx"):
            assert book.stat().st_size > 0
    assert not k.findings, k.findings[:5]
    hidden = [c for c in k.marks if "/g/" in c or "/t/" in c or ":" in c]
    assert any(c.endswith("/g/ARBEJDE") or "/ARBEJDE" in c for c in k.cells)
    assert hidden, "the toy run hides nothing: the attack would prove nothing"
    assert_no_cell_narrowed(k, toy_run["warehouse"], s)


def assert_no_cell_narrowed(k, warehouse: str, s: dict) -> None:
    """Every count the attacker bounds lies in its interval (it reads right), and no hidden cell's
    interval is narrower than MIN_SPAN values."""
    with duckdb.connect(warehouse, read_only=True) as con:
        truth = {
            f"{kk}/{y}/{'t' if g in s['apart'] else 'g'}/{g}": n
            for kk, y, g, n in con.execute(
                "SELECT kommune_code, year, education_group, applicants FROM application_shares "
                "WHERE geography_basis = 'school' AND grade = '9+10' AND kommune_code <> 0"
            ).fetchall()
        }
    narrow = []
    for cell, (lo, hi) in k.intervals().items():
        if cell in truth:
            assert lo <= truth[cell] <= hi, (cell, lo, hi, truth[cell])  # the attacker reads right
        if hi - lo < MIN_SPAN:
            narrow.append((cell, lo, hi))
    assert not narrow, narrow[:10]


BROKEN = {
    "no-target": (
        HEADER + "EUD,Erhvervsuddannelser,EUD,EUD,true,1\nGYM,Gymnasiale uddannelser,GYM,GYM,true,2\n"
        "FGU,FGU,FGU,OEVRIGE,true,3\nSTU,STU,STU,,true,4\nOEVRIGT,Øvrigt,Øvrigt,OEVRIGE,true,5\n"
        "TIENDE,10. klasse,10. klasse,,false,6\n",
        "STU",
    ),
    "target-names-another-group": (
        HEADER + "EUD,Erhvervsuddannelser,EUD,EUD,true,1\nGYM,Gymnasiale uddannelser,GYM,GYM,true,2\n"
        "FGU,FGU,FGU,EUD,true,3\nSTU,STU,STU,OEVRIGE,true,4\nOEVRIGT,Øvrigt,Øvrigt,OEVRIGE,true,5\n"
        "TIENDE,10. klasse,10. klasse,,false,6\n",
        "FGU",
    ),
}


@pytest.mark.integration
@pytest.mark.parametrize("case", list(BROKEN))
def test_a_groups_file_that_cannot_make_the_table_stops_the_run_naming_file_and_group(groups_child, tmp_path, case):
    groups, group = BROKEN[case]
    data = _data_with(tmp_path, groups)
    done = groups_child(data, "cli", tmp_path / "home")
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in said, said[-3000:]
    assert "education_groups.csv" in said and re.search(rf"\b{group}\b", said), said[-3000:]
    assert "Nothing was published" in said
    assert not (tmp_path / "home" / "warehouse" / "overgang.duckdb").exists()
    assert not (tmp_path / "home" / "publication").exists()
    assert not list((tmp_path / "home").rglob("rapport_*.html"))


# -- without a run: the scheme's refusals, and the report and publication set on a warehouse whose
#    groups table is broken (from an older run, or written by hand) --------------------------------


def _rows(text: str):
    return [
        (r["group"], r["label_da"], r["short_label_da"], r["target_group"], r["in_denominator"])
        for r in _scheme_from_file(text)["rows"]
    ]


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_scheme_refuses_naming_file_and_group(case):
    groups, group = BROKEN[case]
    with pytest.raises(GroupSchemeError, match=rf"education_groups\.csv: .*\b{group}\b"):
        GroupScheme.from_rows(_rows(groups))


@pytest.mark.parametrize(
    "edit, group",
    [
        (
            lambda t: t.replace("TIENDE,10. klasse,10. klasse,,false", "TIENDE,10. klasse,10. klasse,OEVRIGE,false"),
            "TIENDE",
        ),
        (lambda t: t.replace("FGU,Forberedende grunduddannelse (FGU),FGU,OEVRIGE", "FGU,F,FGU,TIENDE"), "TIENDE"),
        (lambda t: t.replace("STU,Særligt tilrettelagt ungdomsuddannelse (STU),STU,SAERLIG", "STU,S,STU,FGU"), "FGU"),
        (lambda t: t.replace("ARBEJDE,Arbejde og værnepligt,Arbejde,OEVRIGE", "ARBEJDE,A,A,n"), "ARBEJDE"),
        (lambda t: t.replace("ARBEJDE,Arbejde", "ARB/EJDE,Arbejde"), "ARB/EJDE"),
        (lambda t: t.replace(",true,", ",false,"), "søgetal"),
    ],
    ids=[
        "apart-with-target",
        "target-is-a-group-apart",
        "target-is-a-group-of-another-target",
        "target-n",
        "slash",
        "none-counted",
    ],
)
def test_odd_schemes_are_refused(edit, group):
    with pytest.raises(GroupSchemeError, match=re.escape(group)):
        GroupScheme.from_rows(_rows(edit(TOY_GROUPS)))


def test_the_toy_scheme_is_read_as_the_file_says():
    scheme = GroupScheme.from_rows(_rows(TOY_GROUPS))
    assert scheme.detail == ("EUD", "GYM", "FGU", "STU", "OEVRIGT", "ARBEJDE")
    assert scheme.targets == ("EUD", "GYM", "OEVRIGE", "SAERLIG")
    assert scheme.sums == (("OEVRIGE", ("FGU", "OEVRIGT", "ARBEJDE")), ("SAERLIG", ("STU",)))
    assert scheme.uncounted == ("TIENDE",)


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_warehouse_with_broken_groups_gives_no_report_and_no_publication_set(case):
    from assets.warehouse.publication import publication_rows
    from reports.data import ReportError, load_report_data

    groups, group = BROKEN[case]
    con = duckdb.connect()
    con.register("g", pd.read_csv(io.StringIO(groups)))
    con.execute("CREATE TABLE education_groups AS FROM g")
    with pytest.raises(ReportError, match=rf"education_groups\.csv: .*\b{group}\b"):
        load_report_data(con, 169)
    with pytest.raises(GroupSchemeError, match=rf"\b{group}\b"):
        publication_rows(con, SmallCell(min_count=5, min_denominator=20))


# -- the shipped sample: the same output as before this change ------------------------------------

SNAPSHOT = PROJECT_DIR / "tests" / "snapshots" / "sample_cube.json"
_RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_WHEN = re.compile(
    r"\d{1,2}\. (januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december) \d{4}( kl\. \d\d\.\d\d)?"
)


def fingerprint(page: str) -> str:
    """A report's sha256 without what changes from run to run (run id, dates and times)."""
    return hashlib.sha256(_WHEN.sub("DATE", _RUN_ID.sub("RUN", page)).encode("utf-8")).hexdigest()


def sample_fingerprints(publication: Path, reports: dict[str, Path]) -> dict:
    out = {
        f"publication/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((publication / "parquet").glob("*.parquet"))
    }
    with duckdb.connect(str(publication / "overgang_publication.duckdb"), read_only=True) as con:
        for view in ("soegetal", "soegetal_split"):
            text = con.execute(f"FROM {view} ORDER BY ALL").df().to_csv(index=False)
            out[f"publication/{view}.csv"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    out.update({f"reports/{k}": fingerprint(p.read_text("utf-8")) for k, p in sorted(reports.items())})
    return out


@pytest.mark.integration
def test_the_sample_gives_the_same_report_and_publication_set_as_before(sample_run, tmp_path):
    """The cells of the shipped groups keep their names and sums: the sample's publication set
    (Parquet bytes, the views' rows) and reports (page bytes but for run id and dates) are those
    main gave before the table of counts followed the groups file (tests/snapshots/sample_cube.json,
    written from main at ce53b7c; the reports' three fingerprints written again when the reports
    changed on purpose, the publication set's never)."""
    from reports.render import render_report

    reports = {
        f"{k}_{y}": render_report(sample_run.settings, k, y, tmp_path / f"rapport_{k}_{y}.html")
        for k, y in ((169, 2025), (169, 2022), (101, 2025))
    }
    assert sample_fingerprints(sample_run.settings.publication_dir, reports) == json.loads(SNAPSHOT.read_text("utf-8"))
