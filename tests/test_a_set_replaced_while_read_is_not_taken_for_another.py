"""The national job reads a tenant's cells and then whether the set is of synthetic data: a set
replaced in between (the tenant's spring publishing while the national job reads) gave the cells
of one set with the synthetic mark of the other, so a national set made from synthetic figures
was not marked synthetic. A set whose mark changed while it was read is refused (run the national
job again), never combined with the wrong mark. The replacement is a real publish into the real
folder, made at the moment the job has opened the set's database."""

from __future__ import annotations

import duckdb

from assets.national import combine
from assets.national.job import NationalConfig, build_national
from assets.warehouse.publication import SYNTHETIC_MARK, write_cells
from tests.national_sets import (  # the hand-written sets of the national job's tests
    AARHUS,
    AARHUS_2024,
    HT,
    HT_2024,
    SCHEME,
    frame,
    groups_rows,
    publish,
)


def test_a_synthetic_set_replaced_by_a_real_one_while_read_is_never_unmarked(tenants, tmp_path, monkeypatch):
    ht = tenants["ht"]
    cells = frame(groups_rows(HT, "Høje-Taastrup", 2024, HT_2024))
    publish(ht, cells, synthetic=True)
    publish(tenants["aarhus"], frame(groups_rows(AARHUS, "Aarhus", 2024, AARHUS_2024)))
    real_connect = duckdb.connect

    def connect_then_replace(database=":memory:", *args, **kwargs):
        con = real_connect(database, *args, **kwargs)
        if str(database).startswith(str(ht.home / "publication")):
            # Høje-Taastrup's spring publishes its real set now, while the job has the synthetic open.
            write_cells(cells, SCHEME, ht.home / "publication", "v1.0.0", "run-ht-real", synthetic=False)
        return con

    monkeypatch.setattr(combine.duckdb, "connect", connect_then_replace)
    try:
        build_national(NationalConfig(home=str(tmp_path / "national")))
    except combine.NationalError as err:
        assert "Tenant ht" in str(err) and "while" in str(err) and "again" in str(err), err
        assert not (tmp_path / "national").exists()
        return
    # Combined: the cells it read were synthetic, so the national set says so.
    assert (tmp_path / "national" / "publication" / SYNTHETIC_MARK).exists()
