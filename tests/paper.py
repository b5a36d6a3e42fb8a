"""A page on paper, as Chromium prints it: the PDF's text page by page (poppler's pdftotext, in
reading order), and the page laid out for print at A4's width to measure its boxes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

# A4 (210 mm) less the report's 14 mm side margins, in CSS pixels (96 per inch).
A4_CONTENT_PX = round((210 - 2 * 14) / 25.4 * 96)


def pdf_pages(pdf: bytes, layout: bool = False) -> list[str]:
    """The text of each page of `pdf`, whitespace squeezed to single spaces (a line break too)."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is missing: .ci/run installs Debian's poppler-utils package.")
        pytest.skip("poppler-utils is not installed (apt-get install poppler-utils)")
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + ["-", "-"]
    text = subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")
    return [re.sub(r"[ \t]+", " ", p).strip() for p in text.split("\f") if p.strip()]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def lay_out_for_print(page) -> None:
    """The page as printed: print media, A4's width, and the page's own beforeprint handlers run
    (they redraw the charts at their printed size)."""
    page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1100})
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.wait_for_timeout(300)


# Points across an element's box that something else covers (another element drawn over it).
COVERED = """(sel) => [...document.querySelectorAll(sel)].flatMap(el => {
  const r = el.getBoundingClientRect(), hits = [];
  for (const fx of [0.05, 0.5, 0.95]) for (const fy of [0.25, 0.75]) {
    const x = r.left + fx * r.width, y = r.top + fy * r.height;
    const top = document.elementFromPoint(x, y);
    if (top && top !== el && !el.contains(top)) hits.push(`${sel} at (${Math.round(x)}, ${Math.round(y)}) under ${top.tagName}.${top.className}`);
  }
  return hits;
})"""
