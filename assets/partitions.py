"""Application years (ansøgningsår) as Dagster partitions.

One partition per spring's Optagelse.dk extract. The current year is included from 1 January,
so this spring's extract has a partition to land in. The first year is set in
data/config/pipeline.yaml.
"""

from __future__ import annotations

from dagster import BackfillPolicy, TimeWindowPartitionsDefinition

from overgang.pipeline_settings import load_unchecked

# Dagster fixes an asset's partitions when its decorator runs, so the first year is read when the
# assets are imported: the one file read at import, and only this file and its OVERGANG_* keys (no folders).
APPLICATION_YEARS = TimeWindowPartitionsDefinition(
    start=str(load_unchecked().first_year),
    fmt="%Y",
    cron_schedule="0 0 1 1 *",
    end_offset=1,
)
# A backfill of many years runs as one run: the SQL handles a list of years at once.
ONE_RUN = BackfillPolicy.single_run()


def years_of(context) -> list[int]:
    return [int(key) for key in context.partition_keys]
