"""The national job killed (kill -9) at any moment of writing leaves the national home's
publication/ a whole set: the one before, or the new one, never none. The set was replaced by two
renames (publication -> publication.previous, then publication.new -> publication): killed between
them, the national home had no publication/ at all until the next national run."""

from __future__ import annotations

import json

import duckdb
import pytest

from assets.national import combine
from assets.national.job import NationalConfig, build_national
from assets.warehouse.publication import PUBLICATION_MARK
from overgang.tenants import TENANTS_ENV
from tests.cli import python_child
from tests.national_sets import (  # the hand-written sets of the national job's tests
    AARHUS,
    AARHUS_2024,
    frame,
    groups_rows,
    publish,
    publish_2024,
)

# One child imports the national job once, then forks one process per moment; each counts the
# calls that move or remove a file or folder and kills itself (os._exit(9), as kill -9: no
# cleanup) at its own one, while it writes its own copy of the national home.
KILL = """
import json, os, shutil, sys
from pathlib import Path
from assets.national.job import NationalConfig, build_national
calls, moment = [0], None
def killer(real):
    def f(*a, **k):
        calls[0] += 1
        if calls[0] == moment:
            os._exit(9)
        return real(*a, **k)
    return f
Path.rename = killer(Path.rename)
Path.replace = killer(Path.replace)
os.rename = killer(os.rename)
os.replace = killer(os.replace)
shutil.rmtree = killer(shutil.rmtree)
codes = {}
for moment, home in json.loads(os.environ["MOMENTS"]).items():
    moment = int(moment)
    pid = os.fork()
    if pid == 0:
        build_national(NationalConfig(home=home, tenants=[]), run_id="second")
        os._exit(0)  # written without being killed: the moment was never reached
    codes[moment] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
print(json.dumps(codes))
"""
MOMENTS = range(1, 13)


def _set(home):
    folder = home / "publication"
    with duckdb.connect(str(folder / combine.SET_DB), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM cells").fetchone()[0]
    return (folder / PUBLICATION_MARK).read_text(encoding="utf-8"), n


@pytest.mark.hostile  # kill -9 at every moment: CI runs it, the edit-test loop does not
def test_a_national_job_killed_while_writing_leaves_the_set_before_or_the_new_one(tenants, tmp_path):
    publish_2024(tenants)
    # The national set before: of both tenants' 2024. The new one adds Aarhus's 2023.
    homes = {m: tmp_path / f"national{m}" for m in MOMENTS}
    for home in homes.values():
        build_national(NationalConfig(home=str(home)), run_id="first")
    publish(
        tenants["aarhus"],
        frame(groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024), groups_rows(AARHUS, "Aarhus", 2023, AARHUS_2024)),
    )
    before = _set(homes[1])
    done = python_child(
        KILL,
        timeout=300,
        MOMENTS=json.dumps({m: str(h) for m, h in homes.items()}),
        **{TENANTS_ENV: str(tmp_path / "tenants.yaml")},
    )
    assert done.returncode == 0, done.stderr
    codes = {int(m): c for m, c in json.loads(done.stdout.strip().splitlines()[-1]).items()}
    assert 0 in codes.values(), f"no moment was late enough to let a write finish: {codes}"
    killed = [m for m, c in codes.items() if c == 9]
    assert killed, codes
    new = None
    for m in MOMENTS:
        if codes[m] == 0:
            new = _set(homes[m])
    assert new is not None and new[0] == "second" and new != before
    for m in killed:
        assert (homes[m] / "publication").is_dir(), f"killed at moment {m}: no national set at all"
        assert _set(homes[m]) in (before, new), m
