"""Two tenants of one tenants file never share a CPR key file, however its path is spelt: the
clash check compared the paths as written, so one key file named `/secrets/a.key` and
`/secrets/../secrets/a.key` (or through a symlink, or relative to the tenants file) made two
tenants' pseudonyms with one key. And a key file is a secret outside every home (the tenants
file says so): inside a tenant's home it is within reach of that tenant's runs and copies."""

from __future__ import annotations

import pytest
import yaml

from overgang.paths import ConfigError
from overgang.tenants import load_tenants


def _load(tmp_path, key_a: str, key_b: str):
    path = tmp_path / "tenants.yaml"
    entries = [
        {"name": "a", "kommuner": [169], "home": "homes/a", "cpr_key_file": key_a},
        {"name": "b", "kommuner": [751], "home": "homes/b", "cpr_key_file": key_b},
    ]
    path.write_text(yaml.safe_dump({"tenants": entries}))
    return load_tenants(path)


@pytest.mark.parametrize(
    "other_spelling",
    [
        "{s}/../secrets/a.key",
        "{s}/./a.key",
        "{s}//a.key",
        "{link}/a.key",  # a symlink to the secrets folder
        "secrets/a.key",  # relative to the tenants file, as a home is
    ],
)
def test_one_key_file_spelt_two_ways_is_refused(tmp_path, other_spelling):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "a.key").write_text("k" * 32)
    (tmp_path / "link").symlink_to(secrets)
    other = other_spelling.format(s=secrets, link=tmp_path / "link")
    with pytest.raises(ConfigError, match="tenants a and b share a CPR key"):
        _load(tmp_path, str(secrets / "a.key"), other)


def test_a_key_file_inside_a_tenants_home_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"entry 2 \(b\): the key file .* lies in tenant a's home") as err:
        _load(tmp_path, str(tmp_path / "secrets" / "a.key"), str(tmp_path / "homes" / "a" / "extracts" / "b.key"))
    assert "outside every home" in str(err.value)
