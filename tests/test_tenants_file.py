"""The shared deployment's tenants file (overgang/tenants.py): a tenant is one entry; an entry that
would let two tenants share a home, a key or a kommune, or that holds a key itself, is refused
with a message naming the file and the entry; a run's folders and key are checked against its
tenant's, and one machine (no tenants file, no tenant tag) is never refused."""

from __future__ import annotations

import pytest
import yaml

from overgang.paths import ConfigError
from overgang.tenants import TENANT_TAG, TENANTS_ENV, KeySource, load_tenants, refusal


def _file(tmp_path, *entries: dict):
    path = tmp_path / "tenants.yaml"
    path.write_text(yaml.safe_dump({"tenants": list(entries)}))
    return path


A = {"name": "a", "kommuner": [169], "home": "homes/a", "cpr_key_env": "KEY_A"}
B = {"name": "b", "kommuner": [751], "home": "homes/b", "cpr_key_file": "/secrets/b.key"}


def test_one_entry_is_one_tenant_with_its_folders_under_its_home(tmp_path):
    tenants = load_tenants(_file(tmp_path, A, B))
    assert set(tenants) == {"a", "b"}
    a = tenants["a"]
    assert a.home == (tmp_path / "homes" / "a").resolve()
    assert a.input_dir.parent == a.inbox_dir.parent == a.work_db.parent.parent == a.home
    assert a.key == KeySource(env="KEY_A") and tenants["b"].key == KeySource(file="/secrets/b.key")


@pytest.mark.parametrize(
    ("b", "said"),
    [
        ({**B, "name": "A"}, "share a name"),
        ({**B, "home": "homes/a"}, "share a home"),
        ({**B, "home": "homes/a/inner"}, "share a home"),
        ({**B, "home": "homes"}, "share a home"),
        ({**B, "cpr_key_file": None, "cpr_key_env": "KEY_A"}, "share a CPR key"),
        ({**B, "kommuner": [751, 169]}, "share a kommune"),
        ({**B, "kommuner": [999]}, "no such kommune"),
        ({**B, "kommuner": "751"}, "kommune codes"),
        ({**B, "cpr_key_env": "KEY_B"}, "exactly one of"),
        ({k: v for k, v in B.items() if k != "cpr_key_file"}, "exactly one of"),
        ({**B, "cpr_key_file": None, "cpr_key_env": "0123456789abcdef0123456789abcdef-a-key"}, "variable name"),
        ({**B, "cpr_key": "0123456789abcdef0123456789abcdef"}, "unknown key"),
        ({**B, "name": "x/y"}, "'name'"),
        ({**B, "name": " b"}, "'name'"),
    ],
)
def test_an_entry_that_would_mix_tenants_or_holds_a_key_is_refused(tmp_path, b, said):
    entry = {k: v for k, v in b.items() if v is not None}
    with pytest.raises(ConfigError) as err:
        load_tenants(_file(tmp_path, A, entry))
    assert said in str(err.value) and str(tmp_path / "tenants.yaml") in str(err.value)


@pytest.mark.parametrize("text", ["", "tenants: []", "tenants: {a: 1}", "[1, 2]", "tenants: [1]", "a: [b"])
def test_a_file_without_a_list_of_tenants_is_refused_plainly(tmp_path, text):
    path = tmp_path / "tenants.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="tenants file"):
        load_tenants(path)


def test_one_machine_is_never_refused(monkeypatch, tmp_path):
    monkeypatch.delenv(TENANTS_ENV, raising=False)
    assert refusal({}, paths={"home": str(tmp_path)}, key=KeySource()) is None


def test_a_tenant_run_where_no_tenants_file_is_known_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv(TENANTS_ENV, raising=False)
    assert "Nothing was read or written" in refusal({TENANT_TAG: "a"}, paths={"home": str(tmp_path)})


def _shared(monkeypatch, tmp_path):
    monkeypatch.setenv(TENANTS_ENV, str(_file(tmp_path, A, B)))
    return load_tenants(tmp_path / "tenants.yaml")


def test_a_run_without_a_tenant_or_of_an_unknown_one_is_refused(monkeypatch, tmp_path):
    a = _shared(monkeypatch, tmp_path)["a"]
    assert "names no tenant" in refusal({}, paths={"home": str(a.home)}, key=a.key)
    assert "does not list" in refusal({TENANT_TAG: "c"}, paths={"home": str(a.home)}, key=a.key)


def test_a_run_may_use_its_own_tenants_folders_and_key_only(monkeypatch, tmp_path):
    tenants = _shared(monkeypatch, tmp_path)
    a, b = tenants["a"], tenants["b"]
    own = {"home": str(a.home), "input folder": str(a.input_dir), "inbox": str(a.inbox_dir)}
    assert refusal({TENANT_TAG: "a"}, paths=own, key=a.key) is None
    # The same folder spelt otherwise (a trailing slash, a detour through ..) is still its own.
    assert refusal({TENANT_TAG: "a"}, paths={"home": f"{a.home}/../a/"}, key=a.key) is None
    for what, given in [
        ("home", b.home),
        ("inbox", b.inbox_dir),
        ("input folder", b.home / "extracts"),
        ("working database", b.work_db),
        ("working database", a.home / "work" / "other.duckdb"),
        ("home", a.home / "sub"),
    ]:
        said = refusal({TENANT_TAG: "a"}, paths={what: str(given)}, key=a.key)
        assert said is not None and what in said and "Nothing was read or written" in said, (what, given)
    assert "tenant b's home" in refusal({TENANT_TAG: "a"}, paths={"home": str(b.home)}, key=a.key)
    for key in (b.key, KeySource(), KeySource(env="KEY_A", file="/x")):
        assert "not its own" in refusal({TENANT_TAG: "a"}, paths=own, key=key)
