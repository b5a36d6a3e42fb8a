"""CPR pseudonymisation: the SQL HMAC equals RFC 2104 HMAC-SHA256, and keys are required."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest

from overgang.pseudonymise import DEMO_KEY, MissingKey, hmac_pads, load_key, pseudonym_sql
from overgang.settings import SAMPLE_DIR
from tests.extracts import row, write_extract


@pytest.mark.parametrize("key", [b"k", b"a longer secret key", b"x" * 100])
@pytest.mark.parametrize("cpr", ["010108-1234", "0101081234", " 311299-9999 "])
def test_sql_hmac_matches_python(key, cpr):
    inner, outer = hmac_pads(key)
    got = duckdb.execute(f"SELECT {pseudonym_sql('$cpr')}", {"cpr": cpr, "hmac_inner": inner, "hmac_outer": outer}).fetchone()[0]
    digits = cpr.strip().replace("-", "")
    expected = int(hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:16], 16)
    assert got == expected


def test_hyphen_does_not_change_the_pseudonym():
    inner, outer = hmac_pads(b"k")
    a, b = duckdb.execute(f"SELECT {pseudonym_sql(repr('010108-1234'))}, {pseudonym_sql(repr('0101081234'))}",
                          {"hmac_inner": inner, "hmac_outer": outer}).fetchone()
    assert a == b


def test_demo_key_only_for_the_shipped_sample(tmp_path):
    key, demo = load_key(sorted(SAMPLE_DIR.glob("*.csv")))
    assert demo and key == DEMO_KEY
    other = write_extract(tmp_path / "optagelse_2024.csv", [row()])
    with pytest.raises(MissingKey) as err:
        load_key([other])
    assert "optagelse_2024.csv" in str(err.value) and "OVERGANG_CPR_KEY_FILE" in str(err.value)


def test_configured_key_is_used(tmp_path, monkeypatch):
    other = write_extract(tmp_path / "x.csv", [row()])
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file\n")
    monkeypatch.setenv("OVERGANG_CPR_KEY_FILE", str(key_file))
    assert load_key([other]) == (b"from-a-file", False)
    monkeypatch.setenv("OVERGANG_CPR_KEY", "from-env")
    assert load_key([other]) == (b"from-env", False)
