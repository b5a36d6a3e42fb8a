"""The council report in a real browser: Debian's Chromium driven by Playwright, network blocked."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from reports.render import render_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package.")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


def open_offline(browser, path: Path):
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    blocked, errors = [], []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file://")
            else (blocked.append(route.request.url), route.abort())
        ),
    )
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    started = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("#chart-eud .main-svg")
    page.wait_for_selector("#chart-groups .main-svg")
    return page, blocked, errors, time.perf_counter() - started


CHARTS = ["chart-eud", "chart-gym", "chart-oevrige", "chart-groups", "chart-schools", "chart-completion"]


def test_report_2024_shows_the_published_shares(sample_run, browser):
    path = render_report(sample_run.settings, 169, 2024)
    page, blocked, errors, seconds = open_offline(browser, path)
    assert blocked == [] and errors == []
    for chart in CHARTS:
        assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
    eud = page.locator("#card-htk_eud_maaltal")
    assert eud.locator(".value").inner_text() == "23,7 %"
    assert eud.locator(".previous").inner_text() == "16,1 %"
    assert eud.locator(".target").inner_text() == "28 % (interpoleret)"  # between the 2022 and 2025 decisions
    assert eud.locator(".status").inner_text() == "Ikke nået"
    # 28 % of the 426 leavers is 119.28, so 120 EUD applicants were needed; 101 applied.
    assert "19 elever mere med EUD" in eud.locator(".gap-people").inner_text()
    assert eud.locator(".gap").inner_text() == "−4,3 procentpoint"
    # STATUSU6 2024: 2,388 of 3,443 (69.36 %) against 404,435 of 601,166 nationally (67.28 %).
    # Context only: today's status of all 18-25-year-olds is not the 95 % goal's measure (the
    # profilmodel is), so no met/not-met, no gap and no "883 more" that could never be closed.
    completion = page.locator("#card-htk_completion_95")
    assert completion.locator(".value").inner_text() == "69,4 %"
    assert completion.locator(".national").inner_text() == "67,3 %"
    assert completion.locator(".status").inner_text() == "Ikke målt endnu"
    assert completion.locator(".gap-people").count() == 0 and completion.locator(".gap").count() == 0
    # National goal: two published figures (75 % in 2013, 84 % in 2023) are no trend to project.
    national = page.locator("#card-national_90_2030")
    assert national.locator(".value").inner_text() == "84,0 %"
    assert national.locator(".status").inner_text() == "For tidligt at vurdere"
    assert "kræver mindst 4 år" in national.inner_text()
    # Lines: kommune, national and måltal for EUD and GYM, and next year's måltal as an open
    # marker of its own.
    assert page.locator("#chart-eud .scatterlayer .trace").count() == 4
    assert page.locator("#chart-gym .scatterlayer .trace").count() == 4
    # No national Øvrige share is published in the sample: no empty line and legend entry for it.
    assert page.locator("#chart-oevrige .scatterlayer .trace").count() == 1
    assert "Databrud 2023" in page.locator("#chart-eud").inner_text()
    rows = page.locator("#table-eud tbody tr").all_inner_texts()
    assert any(r.startswith("2023 (databrud)") and "16,1 %" in r for r in rows)
    assert "<5" in page.locator("#table-groups").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rapport_169_2024.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / "rapport_169_2024.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 6
    print(f"report {path.stat().st_size / 1e6:.2f} MB, loaded and drawn in {seconds:.2f} s")


def test_report_for_another_municipality(sample_run, browser):
    path = render_report(sample_run.settings, 259)
    page, blocked, errors, _ = open_offline(browser, path)
    assert blocked == [] and errors == []
    assert "Køge Kommune" in page.locator("header").inner_text()
    assert page.locator("#chart-eud .scatterlayer .trace").count() == 2  # Køge has no måltal in data/targets
    assert page.locator("#card-eud_share .status").inner_text() == "Intet måltal"
