"""A snapshot of the Dagster definitions: every asset (with its group, partitioning and
dependencies), check, job, schedule and sensor. A change to the graph shows here as a diff to
review, not as a surprise in production. After a deliberate change:

    OVERGANG_UPDATE_SNAPSHOT=1 uv run pytest tests/test_definitions.py
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.definitions import build_definitions

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.txt"


def describe_definitions() -> str:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        deps = ", ".join(sorted(k.to_user_string() for k in node.parent_keys))
        partitioned = " partitioned" if node.partitions_def is not None else ""
        lines.append(f"asset {key.to_user_string()} [{node.group_name}]{partitioned} <- {deps or '-'}")
    for check in sorted(graph.asset_check_keys, key=lambda c: (c.asset_key.to_user_string(), c.name)):
        lines.append(f"check {check.asset_key.to_user_string()}:{check.name}")
    repo = defs.get_repository_def()
    for name in sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")):
        selected = sorted(k.to_user_string() for k in defs.resolve_job_def(name).asset_layer.selected_asset_keys)
        lines.append(f"job {name}: {', '.join(selected)}")
    lines += [
        f"schedule {s.name} {s.cron_schedule} -> {s.job_name}" for s in sorted(repo.schedule_defs, key=lambda s: s.name)
    ]
    lines += [f"sensor {s.name}" for s in sorted(repo.sensor_defs, key=lambda s: s.name)]
    return "\n".join(lines) + "\n"


def test_definitions_match_the_snapshot():
    now = describe_definitions()
    if os.environ.get("OVERGANG_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(now, encoding="utf-8")
    assert now == SNAPSHOT.read_text(encoding="utf-8"), "the definitions changed: review, then update the snapshot"
