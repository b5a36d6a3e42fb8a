"""The StatBank API (api.statbank.dk/v1): table metadata (`tableinfo`) and data (`data`) in CSV
or JSON-stat, through httpx. Tables, variables and formats are pinned in
data/config/statbank.yaml; a fetched table is saved as a CSV file in the `long` layout and then
loaded through the inbox like any file an analyst downloaded by hand.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from pathlib import Path

import httpx

from intake.sources.tables import FileRejected
from intake.statbank.reader import config


class StatBankError(RuntimeError):
    """The API refused a request or answered with something other than the table asked for."""


class StatBankClient:
    def __init__(
        self, base_url: str | None = None, timeout: float | None = None, transport: httpx.BaseTransport | None = None
    ):
        api = config()["api"]
        self.http = httpx.Client(
            base_url=base_url or api["base_url"],
            timeout=timeout or api["timeout_seconds"],
            transport=transport,
            headers={"User-Agent": "overgang (municipal statistics)"},
        )

    @staticmethod
    def _ok(response: httpx.Response) -> httpx.Response:
        if response.status_code != 200:
            raise StatBankError(
                f"StatBank answered {response.status_code} for {response.request.url}: {response.text[:300]}"
            )
        return response

    def tableinfo(self, table: str, lang: str = "da") -> dict:
        return self._ok(self.http.get(f"/tableinfo/{table}", params={"lang": lang, "format": "JSON"})).json()

    def check_variables(self, table: str, variables: dict[str, list[str]], info: dict) -> None:
        """Variables pinned in the configuration must still exist in the table (codes change)."""
        known = {v["id"].casefold(): v for v in info.get("variables", [])}
        for code, values in variables.items():
            if code.casefold() not in known:
                raise StatBankError(
                    f"{table}: variable {code} is not in the table any more; it has "
                    f"{', '.join(v['id'] for v in info.get('variables', []))}. Update data/config/statbank.yaml."
                )
            ids = {str(v["id"]) for v in known[code.casefold()].get("values", [])}
            missing = [v for v in values if v != "*" and v not in ids]
            if missing:
                raise StatBankError(
                    f"{table}: {code} has no value {', '.join(missing)}. Update data/config/statbank.yaml."
                )

    def data(self, table: str, variables: dict[str, list[str]], fmt: str = "CSV", lang: str = "da") -> httpx.Response:
        body = {
            "table": table,
            "format": fmt,
            "lang": lang,
            "valuePresentation": "Value",
            "variables": [{"code": code, "values": values} for code, values in variables.items()],
        }
        return self._ok(self.http.post("/data", json=body))


def jsonstat_rows(document: dict) -> tuple[list[str], list[list[str]]]:
    """A JSON-stat dataset (version 1, wrapped in 'dataset', or 2.0) as header and rows of
    category labels plus the value, in the row-major order JSON-stat defines."""
    data = document.get("dataset", document)
    dims = data["dimension"]
    ids = dims.get("id") or data["id"]
    sizes = dims.get("size") or data["size"]
    labels = []
    for dim_id in ids:
        category = dims[dim_id]["category"]
        index = category["index"]
        order = sorted(index, key=lambda code: index[code]) if isinstance(index, dict) else list(index)
        labels.append([category.get("label", {}).get(code, code) for code in order])
    values = data["value"]
    if isinstance(values, dict):
        values = [values.get(str(i)) for i in range(math.prod(sizes))]
    rows = []
    for position in range(len(values)):
        rest, cells = position, []
        for size, dim_labels in zip(reversed(sizes), reversed(labels)):
            cells.append(dim_labels[rest % size])
            rest //= size
        value = values[position]
        rows.append([*reversed(cells), "" if value is None else str(value)])
    return [str(i).upper() for i in ids] + ["INDHOLD"], rows


def fetch_table(table: str, dest: Path, client: StatBankClient | None = None, fmt: str | None = None) -> Path:
    """Fetch a pinned table and save it as `<dest>/<table>_api_<date>.csv` (long layout)."""
    spec = config()["api"]["tables"].get(table)
    if spec is None:
        raise FileRejected(f"Table {table} is not pinned under api.tables in data/config/statbank.yaml.")
    client = client or StatBankClient()
    fmt = (fmt or spec.get("format", "CSV")).upper()
    client.check_variables(table, spec["variables"], client.tableinfo(table, spec.get("lang", "da")))
    response = client.data(table, spec["variables"], fmt, spec.get("lang", "da"))
    if fmt == "CSV":
        text = response.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        header, rows = rows[0], rows[1:]
    elif fmt in ("JSONSTAT", "JSONSTAT2"):
        header, rows = jsonstat_rows(response.json())
    else:
        raise StatBankError(f"Format {fmt} is not read by Overgang: use CSV or JSONSTAT.")
    if len(header) != 4:
        raise StatBankError(
            f"{table}: expected three variables and a value (status, area, year), got {';'.join(header)}."
        )
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{table.lower()}_api_{date.today():%Y%m%d}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path
