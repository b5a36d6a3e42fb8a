"""The small words a council reads: the Danish genitive of a name ending in s, x or z takes only an
apostrophe ("Stevns'", not "Stevnss"), in captions and in the charts' descriptions alike."""

from __future__ import annotations

import html

import pandas as pd
import pytest

from reports.findings import completion_finding, genitive


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Stevns", "Stevns'"),
        ("Aarhus", "Aarhus'"),
        ("Holbæk", "Holbæks"),
        ("Fanø", "Fanøs"),
        ("Høje-Taastrup", "Høje-Taastrups"),
        ("Marx", "Marx'"),
        ("Sankt Moritz", "Sankt Moritz'"),
        ("HILLERØDS", "HILLERØDS'"),
    ],
)
def test_danish_genitive(name, expected):
    assert genitive(name) == expected


def test_completion_caption_uses_the_genitive():
    completion = pd.DataFrame(
        [
            {"area": "kommune", "status": "completed", "share": 70.0},
            {"area": "Hele landet", "status": "completed", "share": 67.3},
        ]
    )
    text = html.unescape(str(completion_finding(completion, "336/c2024", 2024, "Stevns")))
    assert "fra Stevns' grundskoler" in text and "Stevnss" not in text
