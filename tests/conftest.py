"""Shared fixtures: one demo organisation and its warehouse per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxex_analysis import simulate, warehouse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    simulate.generate(folder)
    return folder


@pytest.fixture(scope="session")
def truth(demo_dir) -> dict:
    return json.loads((demo_dir / "truth.json").read_text())


@pytest.fixture(scope="session")
def demo_warehouse(demo_dir, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    warehouse.ingest(demo_dir, path)
    return path


@pytest.fixture()
def con(demo_warehouse):
    connection = warehouse.connect(demo_warehouse)
    yield connection
    connection.close()


UNITS_CSV = "unit_id,unit_name,region,unit_type\nU1,One,North,store\nU2,Two,South,call_centre\n"
CUSTOMER_HEADER = "response_id,responded_at,unit_id,channel,nps,csat,ces,comment\n"
GOOD_CUSTOMER_ROWS = [
    "C1,2025-01-05T10:00:00Z,U1,store,9,5,6,Great",
    "C2,2025-01-06T11:00:00Z,U2,phone,3,2,2,Slow",
    "C3,2025-02-07T12:00:00+01:00,U1,web,10,,,",
]


def write_folder(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write a data folder: name -> text (UTF-8) or bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture()
def small_folder(tmp_path):
    """A valid minimal data folder (units + customer survey); tests add or break files."""

    def make(customer_rows=None, extra: dict | None = None, units: str = UNITS_CSV) -> Path:
        rows = GOOD_CUSTOMER_ROWS if customer_rows is None else customer_rows
        files = {"units.csv": units,
                 "customer_survey.csv": CUSTOMER_HEADER + "\n".join(rows) + "\n"}
        files.update(extra or {})
        return write_folder(tmp_path / "data", files)

    return make
