"""CPR pseudonymisation: the SQL HMAC equals RFC 2104 HMAC-SHA256, and keys are required."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest

from overgang.pseudonymise import (
    DEMO_KEY,
    MissingKey,
    hmac_pads,
    key_fingerprint,
    key_warnings,
    load_key,
    pseudonym_sql,
)
from overgang.settings import SAMPLE_DIR
from tests.extracts import row, write_extract


@pytest.mark.parametrize("key", [b"k", b"a longer secret key", b"x" * 100])
@pytest.mark.parametrize("cpr", ["010108-1234", "0101081234", " 311299-9999 "])
def test_sql_hmac_matches_python(key, cpr):
    inner, outer = hmac_pads(key)
    got = duckdb.execute(
        f"SELECT {pseudonym_sql('$cpr')}", {"cpr": cpr, "hmac_inner": inner, "hmac_outer": outer}
    ).fetchone()[0]
    digits = cpr.strip().replace("-", "")
    expected = int(hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:16], 16)
    assert got == expected


def test_hyphen_does_not_change_the_pseudonym():
    inner, outer = hmac_pads(b"k")
    a, b = duckdb.execute(
        f"SELECT {pseudonym_sql(repr('010108-1234'))}, {pseudonym_sql(repr('0101081234'))}",
        {"hmac_inner": inner, "hmac_outer": outer},
    ).fetchone()
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
    key_file.write_text("from-a-file-" + "f" * 40 + "\n")
    key_file.chmod(0o600)
    monkeypatch.setenv("OVERGANG_CPR_KEY_FILE", str(key_file))
    assert load_key([other]) == (b"from-a-file-" + b"f" * 40, False)
    assert key_warnings() == []
    monkeypatch.setenv("OVERGANG_CPR_KEY", "from-env-" + "e" * 40)
    assert load_key([other]) == (b"from-env-" + b"e" * 40, False)


@pytest.mark.parametrize(
    "content, says",
    [
        (b"", "is empty"),
        (b"   \n\t\n", "is empty"),
        (b"k", "has only 1 character that is not whitespace"),
        (b"  " + b"x" * 31 + b"\n", "has only 31 characters"),  # whitespace does not count
        (DEMO_KEY + b"\n", "demonstration key"),
    ],
)
def test_weak_key_files_are_refused_with_how_to_make_one(tmp_path, monkeypatch, content, says):
    other = write_extract(tmp_path / "x.csv", [row()])
    key_file = tmp_path / "key"
    key_file.write_bytes(content)
    monkeypatch.setenv("OVERGANG_CPR_KEY_FILE", str(key_file))
    with pytest.raises(MissingKey) as err:
        load_key([other])
    assert says in str(err.value) and "overgang key new" in str(err.value)


@pytest.mark.parametrize("value", ["", " ", "short", DEMO_KEY.decode()])
def test_weak_key_in_the_environment_is_refused(tmp_path, monkeypatch, value):
    other = write_extract(tmp_path / "x.csv", [row()])
    monkeypatch.setenv("OVERGANG_CPR_KEY", value)
    if value == "":  # an empty variable is no key at all: refused as missing
        with pytest.raises(MissingKey, match="No key"):
            load_key([other])
        return
    with pytest.raises(MissingKey, match="OVERGANG_CPR_KEY"):
        load_key([other])


def test_key_file_others_can_read_is_warned_about(tmp_path, monkeypatch):
    key_file = tmp_path / "key"
    key_file.write_text("k" * 64)
    key_file.chmod(0o644)
    monkeypatch.setenv("OVERGANG_CPR_KEY_FILE", str(key_file))
    assert load_key([])[0] == b"k" * 64
    (warning,) = key_warnings()
    assert "chmod 600" in warning and "644" in warning


def test_key_new_writes_a_private_256_bit_key_and_never_overwrites(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pipelines.cli import main

    path = tmp_path / "keys" / "cpr-key"
    result = CliRunner().invoke(main, ["key", "new", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_mode & 0o777 == 0o600
    key = path.read_text().strip()
    assert len(bytes.fromhex(key)) == 32
    again = CliRunner().invoke(main, ["key", "new", str(path)])
    assert again.exit_code == 1 and "already exists" in again.output
    assert path.read_text().strip() == key
    monkeypatch.setenv("OVERGANG_CPR_KEY_FILE", str(path))
    assert load_key([])[0] == key.encode()


def test_fingerprint_names_the_key_without_revealing_it():
    a, b = key_fingerprint(b"a" * 32), key_fingerprint(b"b" * 32)
    assert a != b and len(a) == 16 and a == key_fingerprint(b"a" * 32)
    assert a not in hashlib.sha256(b"a" * 32).hexdigest()
