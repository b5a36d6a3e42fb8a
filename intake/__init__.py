"""The intake layer: files taken in, recognised, read and checked, without Dagster.

The inbox and its ledger, recognition of a file by its content, the readers of every source
kind, the staging of extracts and their row ledger. The Dagster definitions in ``assets/`` and
the commands in ``pipelines/`` call it; it imports only ``schemas`` and ``overgang`` (the layers
contract in pyproject.toml), so the quick commands and the tests can take a file in without
importing Dagster.
"""
