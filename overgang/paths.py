"""Where the project's own files are, and the error a wrong setting raises: the ground both the
settings reader (settings.py) and the typed settings model (config.py) stand on, so neither has
to import the other for them."""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
SAMPLE_DIR = DATA_DIR / "sample" / "optagelse"


class ConfigError(ValueError):
    """A setting that is wrong; the message names the file (or environment variable), the key and
    what was expected."""
