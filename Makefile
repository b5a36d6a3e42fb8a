# The two commands of README.md. Needs only Python 3.11+ and git: uv comes through pip.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
# The project's packages, as pyproject.toml lists them for the wheel (one list: a package moved
# out of another, as intake/ was out of assets/, is compiled without a second edit here).
PACKAGES := $(shell sed -n 's/^packages = \[\(.*\)\]/\1/p' pyproject.toml | tr -d '",')
# pytest keeps its rewritten test modules (assert rewriting) as bytecode only where bytecode may be
# written; this machine sets PYTHONDONTWRITEBYTECODE, so every worker of every run parsed and
# rewrote all test files again (3 s of CPU a worker). Empty is "not set" to Python.
PYTEST := PYTHONDONTWRITEBYTECODE= $(UV) run pytest

.PHONY: run test test-fast tests-all tests-fast lint lint-python dev setup bench bench-scale

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		python3 -m pip install --user --quiet uv || python3 -m pip install --user --quiet --break-system-packages uv
	@# Bytecode compiled once here: this machine sets PYTHONDONTWRITEBYTECODE, so without it every
	@# process compiles Dagster and pandas from source again (the pipeline's imports: 6.7 s, not 3.2 s).
	@$(UV) sync --quiet --compile-bytecode
	@# The project's own modules too (an editable install is not compiled by uv): without them every
	@# command compiled the CLI, settings and library again, 40 % of `overgang query 'select 1'`.
	@$(UV) run --no-sync python -m compileall -q $(PACKAGES)

## The main job on the data shipped in data/: warehouse and council report under var/.
run: setup
	$(UV) run overgang run

# The linters beside the tests (the tests keep both cores busy; the linters' few seconds of CPU fit
# in): a sub-make with two jobs, each line of output printed whole. Either failing fails the target.
BESIDE := $(MAKE) --no-print-directory -j2 -Oline

## The tests (the browser test needs Debian's chromium; .ci/run installs it), with the linters beside
## them, on both cores: a module's tests stay on one worker (--dist loadscope), so a module's fixture
## (a run, a hostile home) is built once; the session's sample run is built once per worker.
test:
	@$(BESIDE) lint tests-all

## The tests that start no Dagster run and no browser and are no slow `hostile` attack (unmarked;
## `integration` and `hostile` are the rest), with the Python linters beside them, on two workers
## with fewer property examples: the edit-test loop. CI runs `make test`: every linter (the SQL one
## too) and every test.
test-fast:
	@$(BESIDE) lint-python tests-fast

tests-all: setup
	$(PYTEST) -n 2 --dist loadscope

tests-fast: setup
	$(PYTEST) -m "not integration and not hostile" --hypothesis-profile=fast -n 2

## Lint and format check (ruff), the layers (import-linter), the types (mypy) and the SQL files
## (sqlfluff, DuckDB dialect); every rule is in pyproject.toml. `uv run ruff format .` formats.
lint: lint-python
	$(UV) run sqlfluff lint assets intake reports/sql

lint-python: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	$(UV) run mypy

## Dagster's UI on http://127.0.0.1:3000 with the same assets, its runs stored where the
## `overgang` command keeps them: $OVERGANG_HOME/dagster (var/dagster by default; pipelines/dev.py).
## `dg dev` (dagster-dg-cli, [tool.dg] in pyproject.toml): `dagster dev` is superseded in Dagster 1.13.
dev: setup
	$(UV) run python -m pipelines.dev

## Time and peak memory of the main command (numbers in bench/results/).
bench: setup
	$(UV) run python bench/main_command.py
	$(UV) run python bench/report.py

## National scale: 1 M and 10 M rows, pipeline against the DuckDB floor and pandas+pandera (about 30 min).
bench-scale: setup
	$(UV) run python bench/scale.py --sizes 1m,10m --repeat 3
	$(UV) run python bench/report.py --input bench/data/10m --repeat 3
