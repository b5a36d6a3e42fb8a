"""The StatBank API client against recorded answers (no network), and hand exports in the other
layouts: each read to the same figures as the real export (Høje-Taastrup 2024: 3,443 / 2,388 /
528 / 298 / 229)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from intake.statbank.api import StatBankClient, StatBankError, fetch_table, jsonstat_rows
from intake.statbank.reader import read_statbank

RECORDED = Path(__file__).parent / "fixtures" / "statbank"
HT_2024 = [3443, 2388, 528, 298, 229]
STATUSES = ["total", "completed", "in_progress", "dropped_out", "no_registered_education"]


def _replay(requests: list) -> httpx.MockTransport:
    """Answers from the recorded files, keyed by endpoint and format; every request is kept."""

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path == "/v1/tableinfo/STATUSU6":
            return httpx.Response(
                200, json=json.loads((RECORDED / "tableinfo_STATUSU6.json").read_text(encoding="utf-8"))
            )
        if request.url.path == "/v1/data" and request.method == "POST":
            body = json.loads(request.content)
            if body["table"] != "STATUSU6":
                return httpx.Response(400, json={"errorTypeCode": "TABLE-NOT-FOUND", "message": "Tabellen findes ikke"})
            name = "data_STATUSU6.csv" if body["format"] == "CSV" else "data_STATUSU6.jsonstat.json"
            return httpx.Response(200, content=(RECORDED / name).read_bytes())
        return httpx.Response(404)

    return httpx.MockTransport(handler)


def _ht(path: Path) -> list[float]:
    frame, _ = read_statbank(path)
    row = frame[(frame.kommune_code == 169) & (frame.year == 2024)].iloc[0]
    return [row[s] for s in STATUSES]


@pytest.mark.parametrize("fmt", ["CSV", "JSONSTAT"])
def test_fetch_reads_to_the_right_counts(fmt, tmp_path):
    requests = []
    client = StatBankClient(transport=_replay(requests))
    path = fetch_table("STATUSU6", tmp_path, client, fmt)
    assert _ht(path) == HT_2024
    frame, layout = read_statbank(path)
    assert layout["name"] == "long" and set(frame.kommune_code) == {0, 101, 169}
    body = json.loads(requests[-1].content)
    assert body["format"] == fmt and {v["code"] for v in body["variables"]} == {"UDDSTATUS", "OMRÅDE", "Tid"}
    assert requests[0].url.params["lang"] == "da"


def test_jsonstat_order_is_row_major():
    document = json.loads((RECORDED / "data_STATUSU6.jsonstat.json").read_text(encoding="utf-8"))
    header, rows = jsonstat_rows(document)
    assert header == ["UDDSTATUS", "OMRÅDE", "TID", "INDHOLD"]
    assert rows[0] == ["I alt", "Hele landet", "2024", "601166"]
    assert rows[5] == ["Fuldført ungdomsuddannelse", "Høje-Taastrup", "2024", "2388"]


def test_a_variable_gone_from_the_table_is_said_plainly(tmp_path, monkeypatch):
    from intake.statbank import api

    pinned = api.config()["api"]["tables"]["STATUSU6"]
    monkeypatch.setitem(pinned, "variables", {**pinned["variables"], "KOEN": ["*"]})
    with pytest.raises(StatBankError, match="variable KOEN is not in the table any more"):
        fetch_table("STATUSU6", tmp_path, StatBankClient(transport=_replay([])))


def test_wide_export_with_header_in_utf8(tmp_path):
    """Years as columns, as StatBank offers for download; Danish thousands separators."""
    path = tmp_path / "statusu6_bred.csv"
    path.write_text(
        '"";"";"2023";"2024"\r\n'
        '"I alt";"Høje-Taastrup";"3.400";"3.443"\r\n'
        '"Fuldført ungdomsuddannelse";"Høje-Taastrup";"2.350";"2.388"\r\n'
        '"Igangværende ungdomsuddannelse";"Høje-Taastrup";"520";"528"\r\n'
        '"Afbrudt ungdomsuddannelse";"Høje-Taastrup";"300";"298"\r\n'
        '"Ingen registreret ungdomsuddannelse";"Høje-Taastrup";"230";"229"\r\n',
        encoding="utf-8",
    )
    assert _ht(path) == HT_2024
    frame, layout = read_statbank(path)
    assert layout["name"] == "years_as_columns" and sorted(frame.year) == [2023, 2024]
