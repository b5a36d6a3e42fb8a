"""The shipped sample is exactly what the generator makes, so anyone can rebuild or scale it."""

from __future__ import annotations

import csv
import hashlib

from overgang.generator import Generator, generate
from overgang.settings import DATA_DIR, SAMPLE_DIR


def test_sample_is_reproducible(tmp_path):
    paths = generate(tmp_path, with_bad_rows=True)
    with (DATA_DIR / "sample" / "manifest.csv").open() as f:
        manifest = {r["file"]: r["sha256"] for r in csv.DictReader(f)}
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths} == manifest
    assert sorted(p.name for p in SAMPLE_DIR.glob("*.csv")) == sorted(manifest)


def test_series_break_moves_pupils_out_of_direkte_fra_skole():
    gen = Generator()
    before, after = gen.cells(2022)[169], gen.cells(2023)[169]
    assert after.outside > before.outside
    assert after.ninth_leavers < before.ninth_leavers


def test_sample_is_small():
    assert sum(p.stat().st_size for p in SAMPLE_DIR.glob("*.csv")) < 6_000_000
