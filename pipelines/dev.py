"""`make dev`: Dagster's UI (`dg dev`) on the same instance folder as the `overgang` command, so
the UI shows the command's runs and the command the UI's: `$OVERGANG_HOME/dagster` (or
DAGSTER_HOME when set), with the repository's dagster.yaml in it (overgang/settings.py:
prepare_dagster_home, the one place that decides it).

`python -m pipelines.dev --where` prints the folder and starts nothing."""

from __future__ import annotations

import os
import shutil
import sys

from overgang.settings import ConfigError, Settings, prepare_dagster_home


def main(argv: list[str]) -> None:
    try:
        settings = Settings.load(checked=True)
    except ConfigError as err:
        sys.exit(f"Error: {err}\n(see the comments in data/config/pipeline.yaml)")
    home = prepare_dagster_home(settings)
    if argv == ["--where"]:
        print(home)
        return
    print(f"Dagster UI for the Overgang home {settings.home}; run history in {home}", file=sys.stderr, flush=True)
    dg = shutil.which("dg")
    if dg is None:
        sys.exit("Error: the `dg` command is not installed in this environment; run `make setup` first.")
    os.execv(dg, [dg, "dev", *argv])  # the UI replaces this process: Ctrl-C reaches it directly


if __name__ == "__main__":
    main(sys.argv[1:])
