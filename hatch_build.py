"""Overgang runs from a checkout: no distributable wheel.

The code reads its data, configuration and SQL from the checkout (``data/``, ``assets/*/sql``,
``intake/*/sql``, ``reports/sql``, ``reports/templates``), found from the source files' own location, not through
importlib.resources. A wheel would install the code without them and fail at its first command,
so a regular wheel is refused here; the editable install that ``uv sync`` makes (the ``overgang``
command, pointing at this checkout) is what the project supports. README.md says so.
"""

from __future__ import annotations

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

REFUSAL = (
    "Overgang runs from a checkout, not from an installed wheel: its data, configuration and SQL are "
    "read from the checkout. Run `make setup` (uv sync: an editable install with the `overgang` "
    "command) in a clone of the repository instead; see README.md, 'Two commands'."
)


class CheckoutOnly(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name == "wheel" and version != "editable":
            raise RuntimeError(REFUSAL)
