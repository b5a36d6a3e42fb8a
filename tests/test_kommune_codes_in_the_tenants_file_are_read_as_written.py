"""A tenants file's kommune codes mean the kommune written, however the code is spelt. Danish
kommune codes are often written with four digits (0740 Silkeborg, 0101 København); YAML 1.1 reads
a number with a leading zero as octal, so `kommuner: [0740]` was silently tenant of Nordfyns (480),
`0101` "no such kommune code [65]", and `1:41` (sexagesimal) København. A code is read as the
decimal digits written, or refused when it is not such digits."""

from __future__ import annotations

import pytest

from overgang.paths import ConfigError
from overgang.tenants import load_tenants


def _file(tmp_path, kommuner: str):
    path = tmp_path / "tenants.yaml"
    path.write_text(f"tenants:\n  - name: a\n    kommuner: {kommuner}\n    home: homes/a\n    cpr_key_env: KEY_A\n")
    return path


@pytest.mark.parametrize(
    ("written", "codes"),
    [
        ("[0740]", (740,)),  # Silkeborg, not Nordfyns (octal 0740 = 480)
        ("[0550, 0101]", (550, 101)),  # Tønder (not Lolland, octal 360) and København (not 65)
        ("0360", (360,)),  # one code without a list
        ("[0169]", (169,)),  # not octal (a 9): YAML leaves it a string, which was refused
        ("['0751', '169']", (751, 169)),  # quoted codes, as a spreadsheet exports them
    ],
)
def test_a_code_with_a_leading_zero_is_the_kommune_written(tmp_path, written, codes):
    assert load_tenants(_file(tmp_path, written))["a"].kommuner == codes


@pytest.mark.parametrize("written", ["[1:41]", "[0x65]", "[1_01]"])
def test_a_code_that_is_not_decimal_digits_is_refused(tmp_path, written):
    with pytest.raises(ConfigError, match="kommune code") as err:
        load_tenants(_file(tmp_path, written))
    assert str(tmp_path / "tenants.yaml") in str(err.value)
