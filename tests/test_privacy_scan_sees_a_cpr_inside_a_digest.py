"""The privacy scan's exemption for machine ids (run ids, files' SHA-256) passes a 64-hex or
UUID-shaped value only when its CPR-shaped digits are no CPR number of the sample.

Break (fixed): any 64-hex value passed whole, a CPR number of the sample inside one included.
(Moved from tests/test_attack_r23.py.)
"""

from __future__ import annotations

import re

import pytest

from tests.test_privacy import _assert_clean, personal  # noqa: F401  (the fixture)


def test_a_sample_cpr_inside_a_digest_shaped_value_is_still_found(personal):  # noqa: F811
    cpr = sorted(c for c in personal["cpr"] if re.fullmatch(r"\d{10}", c))[0]
    for hidden in ("f" * 24 + cpr + "e" * 30, f"1a2b3c4d-0000-4000-8000-{cpr}ab", cpr + "a" * 54):
        assert len(hidden) in (36, 64)
        with pytest.raises(AssertionError, match="CPR-shaped"):
            _assert_clean([hidden], personal, "a digest")
    # A digest whose chance digits are no CPR number of the sample still passes.
    _assert_clean(["f" * 24 + "0101901234" + "e" * 30], personal, "ids")
