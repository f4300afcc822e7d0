"""One owner of paths and settings.

Paths resolve relative to the project root (the folder holding ``pyproject.toml``) when the
package runs from a checkout, else relative to the current directory. Environment variables
override the defaults; nothing here reads or writes files at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Defaults for employee confidentiality (Qualtrics, Culture Amp, Viva Glint use 5 / 10).
MIN_GROUP_SIZE = 5
MIN_COMMENT_GROUP_SIZE = 10


def project_root() -> Path:
    """The checkout's root if the package runs from one, else the current directory."""
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists() and (here / "notebooks").is_dir():
        return here
    return Path.cwd()


@dataclass(frozen=True)
class Paths:
    """Where data, the warehouse, notebooks and reports live."""

    root: Path

    @property
    def data(self) -> Path:
        return Path(os.environ.get("CXEX_DATA_DIR", self.root / "data"))

    @property
    def demo_data(self) -> Path:
        return self.data / "demo"

    @property
    def warehouse(self) -> Path:
        return Path(os.environ.get("CXEX_WAREHOUSE", self.data / "warehouse.duckdb"))

    @property
    def notebooks(self) -> Path:
        """The suite's notebooks (``CXEX_NOTEBOOKS_DIR``: an organisation's own copies)."""
        return Path(os.environ.get("CXEX_NOTEBOOKS_DIR", self.root / "notebooks"))

    @property
    def reports(self) -> Path:
        return Path(os.environ.get("CXEX_REPORTS_DIR", self.root / "reports"))

    @property
    def cache(self) -> Path:
        """Slow results kept between kernels and runs (:mod:`cxex_analysis.store.disk_cache`):
        ``CXEX_CACHE_DIR`` from the working directory (empty: the default), else
        ``~/.cache/cxex``."""
        named = os.environ.get("CXEX_CACHE_DIR", "").strip()
        return Path(named).absolute() if named else Path.home() / ".cache" / "cxex"


def paths() -> Paths:
    """The project's paths (computed on call, never at import)."""
    return Paths(project_root())
