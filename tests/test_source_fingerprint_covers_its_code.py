"""A small source is loaded again when the code that reads it changes (intake/sources/fingerprint.py):
the fingerprint hashes the folders in CODE, so every module a source's reader, recogniser or
`finish` runs, and everything they import, must lie in one of them. When the readers moved from
assets/ to intake/, a fingerprint over the old folders would have kept a changed reader's table
as it was."""

from __future__ import annotations

import grimp

from intake.sources.fingerprint import CODE
from schemas.sources import SOURCES

PACKAGES = ("overgang", "schemas", "reports", "intake", "assets", "pipelines")


def test_every_module_a_source_is_read_by_is_in_the_code_fingerprint():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    named = {
        ref.split(":")[0]
        for source in SOURCES
        for ref in (source.reader, source.recogniser, getattr(source, "finish", None))
        if ref
    }
    assert named, "the registry names no reader"
    run = set(named)
    for module in named:
        run |= graph.find_upstream_modules(module)
    outside = sorted(m for m in run if m.split(".")[0] not in CODE)
    assert not outside, f"read by a source but not in its fingerprint's folders {CODE}: {outside}"
