"""`overgang load` of a file written a moment ago waits until it has not changed for
inbox_settle_seconds, so a file still being copied is not read at a line boundary. Every other
test runs with no wait (tests/cli.py: TEST_ENV); this one is about the wait itself."""

from __future__ import annotations

import time

from tests.cli import overgang
from tests.corpus import TWO_ROWS
from tests.extracts import write_extract

SETTLE = 2  # seconds: short, and long enough to be told from no wait at all


def test_load_waits_until_a_fresh_file_has_settled_then_takes_it(tmp_path, keyed):
    fresh = write_extract(tmp_path / "send" / "optagelse_2024.csv", TWO_ROWS)
    started = time.monotonic()
    done = overgang(tmp_path, "load", "--no-run", str(fresh), OVERGANG_INBOX_SETTLE_SECONDS=str(SETTLE))
    waited = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert f"waiting until it has not changed for {SETTLE} s" in done.stderr
    assert waited >= SETTLE - 0.1, waited
    assert "accepted" in done.stderr and "optagelse_2024.csv" in done.stderr


def test_load_takes_a_file_that_has_not_changed_for_the_settle_time_at_once(tmp_path, keyed):
    still = write_extract(tmp_path / "send" / "optagelse_2024.csv", TWO_ROWS)
    time.sleep(0.1)
    done = overgang(tmp_path, "load", "--no-run", str(still), OVERGANG_INBOX_SETTLE_SECONDS="0.05")
    assert done.returncode == 0, done.stderr
    assert "waiting" not in done.stderr and "accepted" in done.stderr
