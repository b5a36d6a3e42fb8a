"""The tenants of a shared deployment (deploy/shared/, README "Shared deployment"): one entry each
in a tenants file, read here. A tenant is a kommune (or a group of kommuner) with its own home
(extracts, inbox, working database, published warehouse, publication set, reports) and its own CPR
key, kept as a secret the workers hold: the file names the variable or the secret file, never the
key, because a run's configuration is stored in the run history for everyone who reads it.

A run of the shared deployment carries the tag TENANT_TAG; `refusal` is what its resources ask
before they touch a folder: a run whose configuration points at another tenant's home (or key) is
refused before any step reads or writes. One machine (no tenants file, no tag) is not affected.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from overgang.paths import DATA_DIR, ConfigError

__all__ = ["TENANTS_ENV", "TENANT_TAG", "KeySource", "Tenant", "load_tenants", "refusal", "tenants_from_env"]

# The run tag that names a run's tenant; deploy/shared/dagster.yaml limits runs per value of it to one.
TENANT_TAG = "overgang/tenant"
# The variable that points the shared deployment's processes (daemon, workers) at the tenants file.
TENANTS_ENV = "OVERGANG_TENANTS"


@dataclass(frozen=True)
class KeySource:
    """Where a tenant's CPR key is: a variable of the worker's environment that holds it (`env`),
    or a secret file (`file`), exactly one of them."""

    env: str | None = None
    file: str | None = None

    def describe(self) -> str:
        return f"the variable {self.env}" if self.env else f"the key file {self.file}"


@dataclass(frozen=True)
class Tenant:
    name: str
    kommuner: tuple[int, ...]
    home: Path
    key: KeySource

    # The folders of a tenant's home. The extracts folder is the run's input folder; the rest are
    # the single-machine layout under OVERGANG_HOME (overgang/settings.py), so one home looks the
    # same whether a CLI or a shared worker wrote it.
    @property
    def input_dir(self) -> Path:
        return self.home / "extracts"

    @property
    def inbox_dir(self) -> Path:
        return self.home / "inbox"

    @property
    def work_db(self) -> Path:
        return self.home / "work" / "overgang.duckdb"

    @property
    def kommune_code(self) -> int:
        """The kommune whose report is written; the first of a group."""
        return self.kommuner[0]


class _TenantsLoader(yaml.SafeLoader):
    """YAML as safe_load reads it, but a number is the decimal digits written. Kommune codes are
    often written with four digits (0740 Silkeborg), which YAML 1.1 reads as octal (480 Nordfyns);
    hex (0x65), sexagesimal (1:41) and underscores (1_01) are no way to write a code either."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | str:
    text = str(loader.construct_scalar(node))
    return int(text, 10) if re.fullmatch(r"[+-]?[0-9]+", text) else text


_TenantsLoader.add_constructor("tag:yaml.org,2002:int", _decimal)


def _known_kommuner() -> set[int]:
    with (DATA_DIR / "reference" / "kommuner.csv").open(encoding="utf-8", newline="") as f:
        return {int(row["kommune_code"]) for row in csv.DictReader(f)}


def _entry(where: str, raw: Any, known: set[int], base: Path) -> Tenant:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a tenant is a mapping with name, kommuner, home and cpr_key_env or cpr_key_file.")
    unknown = set(raw) - {"name", "kommuner", "home", "cpr_key_env", "cpr_key_file"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}.")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or name != name.strip() or "/" in name:
        raise ConfigError(f"{where}: 'name' must be a non-empty word without '/' or spaces around it (got {name!r}).")
    codes = raw.get("kommuner")
    codes = [codes] if isinstance(codes, int) else codes
    if isinstance(codes, list):
        # Digits YAML leaves a string (0169: a 9 is no octal digit; '0751' quoted, as a
        # spreadsheet exports it) are the kommune they say, as 0740 is.
        codes = [int(c, 10) if isinstance(c, str) and c.isascii() and c.isdigit() else c for c in codes]
    if (
        not isinstance(codes, list)
        or not codes
        or not all(isinstance(c, int) and not isinstance(c, bool) for c in codes)
    ):
        raise ConfigError(
            f"{where} ({name}): 'kommuner' must be one or more kommune codes written in decimal digits "
            f"(e.g. [169] or [0740]; got {raw.get('kommuner')!r})."
        )
    if bad := [c for c in codes if c not in known]:
        raise ConfigError(f"{where} ({name}): no such kommune code(s) {bad} (data/reference/kommuner.csv).")
    home = raw.get("home")
    if not isinstance(home, str) or not home.strip():
        raise ConfigError(f"{where} ({name}): 'home' must be a folder.")
    env, file = raw.get("cpr_key_env"), raw.get("cpr_key_file")
    if (env is None) == (file is None):
        raise ConfigError(
            f"{where} ({name}): give exactly one of 'cpr_key_env' (the NAME of the variable that holds "
            f"the key) or 'cpr_key_file' (the path of a secret file), never the key itself."
        )
    if env is not None and (not isinstance(env, str) or not env.isidentifier()):
        raise ConfigError(f"{where} ({name}): 'cpr_key_env' must be a variable name (got {env!r}).")
    if file is not None and (not isinstance(file, str) or not file.strip()):
        raise ConfigError(f"{where} ({name}): 'cpr_key_file' must be a path.")
    home_path = Path(home).expanduser()
    home_path = (home_path if home_path.is_absolute() else base / home_path).resolve()
    if file is not None:
        # Relative to the tenants file, as a home is (not to a worker's working folder). Symlinks
        # are kept: a mounted secret (Kubernetes) is a symlink whose target changes on rotation.
        key_path = Path(file).expanduser()
        file = str(key_path if key_path.is_absolute() else base / key_path)
    return Tenant(name=name, kommuner=tuple(codes), home=home_path, key=KeySource(env=env, file=file))


def _key_file(tenant: Tenant) -> Path | None:
    """The file a tenant's key is read from, however its path is spelt (.., //, a symlink)."""
    return Path(tenant.key.file).resolve() if tenant.key.file else None


def load_tenants(path: Path) -> dict[str, Tenant]:
    """The tenants of the file at `path`, by name. ConfigError naming the file and the entry when
    an entry is malformed, or two tenants share a name, a home, a key or a kommune (their homes
    would then be one tenant's data under two keys, or one folder written by two runs at once)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TenantsLoader)  # noqa: S506  # a SafeLoader
    except OSError as err:
        raise ConfigError(f"The tenants file {path} cannot be read ({err.strerror or err}).") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"The tenants file {path} is not valid YAML: {err}") from None
    entries = data.get("tenants") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"The tenants file {path} has no list 'tenants:' with one entry per tenant.")
    known = _known_kommuner()
    tenants: dict[str, Tenant] = {}
    for i, raw in enumerate(entries, start=1):
        tenant = _entry(f"The tenants file {path}, entry {i}", raw, known, path.parent)
        for other in tenants.values():
            clash = (
                "name"
                if other.name.casefold() == tenant.name.casefold()
                else "home"
                if other.home.is_relative_to(tenant.home) or tenant.home.is_relative_to(other.home)
                else "CPR key"
                if other.key == tenant.key or (_key_file(tenant) is not None and _key_file(other) == _key_file(tenant))
                else "kommune"
                if set(other.kommuner) & set(tenant.kommuner)
                else None
            )
            if clash:
                raise ConfigError(
                    f"The tenants file {path}: tenants {other.name} and {tenant.name} share a {clash}; "
                    f"each tenant needs its own name, home folder, CPR key and kommuner."
                )
        tenants[tenant.name] = tenant
    for i, tenant in enumerate(tenants.values(), start=1):
        key_file = _key_file(tenant)
        if owner := next((t.name for t in tenants.values() if key_file and key_file.is_relative_to(t.home)), None):
            raise ConfigError(
                f"The tenants file {path}, entry {i} ({tenant.name}): the key file {tenant.key.file} lies in tenant "
                f"{owner}'s home, within reach of its runs; a key file is a secret kept outside every home."
            )
    return tenants


def tenants_from_env() -> dict[str, Tenant] | None:
    """The tenants file named by OVERGANG_TENANTS, or None on one machine (the variable unset)."""
    named = os.environ.get(TENANTS_ENV)
    return load_tenants(Path(named).expanduser()) if named else None


def _same(a: str | os.PathLike[str], b: Path) -> bool:
    return Path(a).expanduser().resolve() == b.resolve()


def refusal(
    tags: dict[str, str],
    *,
    paths: dict[str, str] | None = None,
    key: KeySource | None = None,
    kommune: int | None = None,
) -> str | None:
    """Why a run with `tags` must not use `paths` (what each is: home, input folder, inbox, working
    database), `key` and report on `kommune`, or None. In a shared deployment every run belongs to one tenant (its tag)
    and may use only that tenant's folders and key; on one machine (no tenants file, no tag)
    nothing is refused."""
    tenants = tenants_from_env()
    name = tags.get(TENANT_TAG)
    if tenants is None:
        if name is None:
            return None
        return (
            f"This run belongs to tenant {name} (tag {TENANT_TAG}), but this process has no tenants file "
            f"({TENANTS_ENV} is not set), so its folders cannot be checked. Nothing was read or written. "
            f"Start the shared deployment's workers with {TENANTS_ENV} pointing at deploy/shared/tenants.yaml."
        )
    if name is None:
        return (
            f"This run names no tenant (tag {TENANT_TAG}); in the shared deployment every run belongs to one "
            f"tenant of {os.environ[TENANTS_ENV]}. Nothing was read or written. Submit it with "
            f"`python -m pipelines.shared submit TENANT`."
        )
    tenant = tenants.get(name)
    if tenant is None:
        return (
            f"This run names tenant {name!r}, which {os.environ[TENANTS_ENV]} does not list "
            f"(tenants: {', '.join(sorted(tenants))}). Nothing was read or written."
        )
    expected = {
        "home": tenant.home,
        "input folder": tenant.input_dir,
        "inbox": tenant.inbox_dir,
        "working database": tenant.work_db,
    }
    for what, given in (paths or {}).items():
        if not _same(given, expected[what]):
            owner = next((t.name for t in tenants.values() if Path(given).resolve().is_relative_to(t.home)), None)
            whose = f"tenant {owner}'s home" if owner else "outside its home"
            return (
                f"This run of tenant {name} has its {what} at {given}, {whose}; a run may use only its own "
                f"tenant's home ({tenant.home}). Nothing was read or written. Submit runs with "
                f"`python -m pipelines.shared submit {name}`, which configures the tenant's own folders."
            )
    if key is not None and key != tenant.key:
        return (
            f"This run of tenant {name} is configured with {key.describe()} as its CPR key, not its own "
            f"({tenant.key.describe()}). Nothing was read or written. Each tenant's pseudonyms are made with "
            f"its own key only."
        )
    if kommune is not None and kommune not in tenant.kommuner:
        return (
            f"This run of tenant {name} is configured to report on kommune {kommune}, not one of its own "
            f"({', '.join(map(str, tenant.kommuner))}). Nothing was read or written. Submit runs with "
            f"`python -m pipelines.shared submit {name}`, which configures the tenant's own kommune."
        )
    return None
