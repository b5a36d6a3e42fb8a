"""Size of the council report, the time to render it, and its load time in headless Chromium.

Builds a warehouse from the shipped sample in a temporary OVERGANG_HOME, renders the report
for Høje-Taastrup 2024 (and the newest report of every kommune, each with the disclosure audit
and a cold suppression cache, as one `overgang report` would), and opens it from file:// with the network blocked until every chart
is drawn, several times. Results: bench/results/report.json.

    uv run python bench/report.py [--repeat 5]
    uv run python bench/report.py --input bench/data/10m    # all 98 municipalities, 10 M rows

With --input, the main job first runs on those extracts (with a benchmark CPR key), and the
time of that whole run (ingest to published warehouse and report) is recorded too.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHARTS = ["chart-eud", "chart-gym", "chart-oevrige", "chart-groups", "chart-schools", "chart-completion"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--input", type=Path, default=None, help="Extracts to load first (default: the sample).")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["OVERGANG_HOME"] = str(Path(tmp) / "home")
        command = [sys.executable, "-m", "pipelines.cli", "run"]
        if args.input:
            command += ["--input", str(args.input.resolve())]
            os.environ.setdefault("OVERGANG_CPR_KEY", "benchmark-key-not-secret-" + "0" * 40)
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        main_run = time.perf_counter() - started
        import duckdb

        import overgang.suppression as suppression
        import reports.cells as cells
        from overgang.settings import Settings
        from reports.render import render_report

        def cold() -> None:
            # Nothing protected or audited yet in this process, and no protection cache on disk
            # (overgang/protection_cache.py): as for one `overgang report` on a new home.
            cells._CACHE.clear()
            suppression._PROVEN.clear()
            shutil.rmtree(Settings.load().home / "cache" / "protection", ignore_errors=True)

        renders = []
        for _ in range(args.repeat):
            cold()
            started = time.perf_counter()
            path = render_report(Settings.load(), 169, 2024)
            renders.append(time.perf_counter() - started)
        # Every kommune's newest report, each from a cold cache: data, suppression, audit of the
        # written page (read back, charts, integer programming), HTML and .xlsx.
        with duckdb.connect(str(Settings.load().warehouse), read_only=True) as con:
            kommuner = [
                k
                for (k,) in con.execute(
                    "SELECT DISTINCT kommune_code FROM application_shares WHERE kommune_code <> 0 ORDER BY 1"
                ).fetchall()
            ]
        per_kommune = {}
        for k in kommuner:
            cold()
            started = time.perf_counter()
            render_report(Settings.load(), k, out=Path(tmp) / f"r{k}.html")
            per_kommune[k] = round(time.perf_counter() - started, 3)
        # Load and draw every chart at a desktop and a phone width, and print to A4 (the
        # charts are redrawn at paper width on beforeprint).
        loads = {1280: [], 390: []}
        prints = []
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for _ in range(args.repeat):
                for width, times in loads.items():
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
                    started = time.perf_counter()
                    page.goto(path.as_uri(), wait_until="load")
                    for chart in CHARTS:
                        page.wait_for_selector(f"#{chart} .main-svg")
                    times.append(time.perf_counter() - started)
                    if width == 1280:
                        started = time.perf_counter()
                        pdf = page.pdf(format="A4", print_background=True)
                        prints.append(time.perf_counter() - started)
                    page.close()
            browser.close()
        warehouse = Settings.load().warehouse
        result = {
            "report": f"Høje-Taastrup 2024 ({args.input or 'shipped sample'})",
            "main_run_seconds": round(main_run, 1),
            "warehouse_mb": round(warehouse.stat().st_size / 1e6, 1),
            "size_mb": round(path.stat().st_size / 1e6, 2),
            "render_seconds_median": round(statistics.median(renders), 3),
            "render_with_audit_per_kommune_seconds": {
                "kommuner": len(per_kommune),
                "median": round(statistics.median(per_kommune.values()), 3),
                "max": max(per_kommune.values()),
                "all": per_kommune,
            },
            "chromium_load_and_draw_seconds_median": round(statistics.median(loads[1280]), 3),
            "chromium_load_all": [round(x, 3) for x in loads[1280]],
            "chromium_load_and_draw_390px_seconds_median": round(statistics.median(loads[390]), 3),
            "print_to_pdf_seconds_median": round(statistics.median(prints), 3),
            "pdf_pages": len(PdfReader(io.BytesIO(pdf)).pages),
            "repeat": args.repeat,
            "measured_at": time.strftime("%Y-%m-%d %H:%M"),
        }
    name = "report.json" if not args.input else f"report_{args.input.name}.json"
    (ROOT / "bench" / "results" / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
