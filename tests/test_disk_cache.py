"""Slow results kept on disk between kernels and runs: computed once per key, even by two
processes at once; a new key, a damaged entry or an unusable folder never gives a wrong or
failed answer; an entry is data that cannot run code, in a folder only its user can write."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import time

import pandas as pd
import pytest

from cxex_analysis.config import paths
from cxex_analysis.store import disk_cache


def encode(value: dict):
    return {"values": pd.DataFrame({"value": [value["value"]]})}, {"kind": "test"}


def decode(parts) -> dict:
    frames, document = parts
    assert document == {"kind": "test"}
    return {"value": int(frames["values"]["value"].iloc[0])}


def cached(key, compute):
    return disk_cache.cached("model", key, compute, encode, decode)


def _slow(log: str, value: int):
    def compute():
        with open(log, "a") as handle:
            handle.write("computed\n")
        time.sleep(0.5)
        return {"value": value}
    return compute


def _worker(folder: str, log: str) -> None:
    os.environ["CXEX_CACHE_DIR"] = folder
    assert cached(("warehouse:1",), _slow(log, 7)) == {"value": 7}


def test_an_entry_is_computed_once_and_a_new_key_computes_again(tmp_path, monkeypatch):
    monkeypatch.setenv("CXEX_CACHE_DIR", str(tmp_path / "cache"))
    log = tmp_path / "log"
    assert cached(("warehouse:1", 0), _slow(str(log), 1)) == {"value": 1}
    assert cached(("warehouse:1", 0), _slow(str(log), 99)) == {"value": 1}
    assert cached(("warehouse:2", 0), _slow(str(log), 2)) == {"value": 2}
    assert log.read_text().count("computed") == 2


def test_two_processes_at_once_compute_once(tmp_path):
    log = tmp_path / "log"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(str(tmp_path / "cache"), str(log)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert log.read_text().count("computed") == 1


def test_an_unusable_folder_still_gives_the_answer(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("CXEX_CACHE_DIR", str(blocker / "cache"))
    assert cached(("w",), lambda: {"value": 42}) == {"value": 42}


class Planted:
    """A pickle that runs code when it is loaded (what a replaced entry could hold)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_an_entry_is_parquet_and_json_and_a_planted_pickle_never_runs(tmp_path, monkeypatch):
    """The entries were pickles: a replaced one ran code as the user when read."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CXEX_CACHE_DIR", str(folder))
    marker = tmp_path / "code-ran"
    folder.mkdir(mode=0o700)
    planted = folder / f"model-{'0' * 32}.pickle"
    planted.write_bytes(pickle.dumps(Planted(marker)))
    assert cached(("w",), lambda: {"value": 5}) == {"value": 5}
    assert cached(("w",), lambda: {"value": 6}) == {"value": 5}
    assert not marker.exists() and not planted.exists()  # an old-style entry of cxex's: removed
    written = [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".lock"]
    assert written and {p.suffix for p in written} == {".parquet", ".json"}


@pytest.mark.parametrize("damage", ["document", "table", "missing", "wrong shape"])
def test_an_entry_that_cannot_be_used_is_removed_and_computed_again(tmp_path, monkeypatch,
                                                                     damage):
    """Entries that failed to load for reasons other than truncation (a class renamed between
    versions) made every run fail and were never removed."""
    monkeypatch.setenv("CXEX_CACHE_DIR", str(tmp_path / "cache"))
    assert cached(("w",), lambda: {"value": 1}) == {"value": 1}
    (entry,) = [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]
    if damage == "document":
        (entry / "entry.json").write_text("{not json")
    elif damage == "table":
        (entry / "0.parquet").write_bytes(b"PAR1 not a table")
    elif damage == "missing":
        (entry / "0.parquet").unlink()
    else:
        (entry / "entry.json").write_text(json.dumps({"tables": ["values"], "document": {}}))
    assert cached(("w",), lambda: {"value": 2}) == {"value": 2}
    assert cached(("w",), lambda: {"value": 3}) == {"value": 2}  # written again, and read


@pytest.mark.parametrize("problem", ["world-writable", "someone else's"])
def test_a_folder_others_can_write_or_own_is_not_used(tmp_path, monkeypatch, problem):
    """An existing world-writable CXEX_CACHE_DIR was used without a word: anyone could
    replace an entry, or read every comment."""
    folder = tmp_path / "shared"
    folder.mkdir()
    if problem == "world-writable":
        folder.chmod(0o777)
    elif os.getuid() == 0:
        os.chown(folder, 65534, 65534)
    else:
        pytest.skip("giving a folder to another user needs root")
    monkeypatch.setenv("CXEX_CACHE_DIR", str(folder))
    assert disk_cache.private_problem(folder)
    log = tmp_path / "log"
    assert cached(("w",), _slow(str(log), 1)) == {"value": 1}
    assert cached(("w",), _slow(str(log), 2)) == {"value": 2}
    assert log.read_text().count("computed") == 2 and not any(folder.iterdir())


def test_a_new_folder_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("CXEX_CACHE_DIR", str(tmp_path / "new" / "cache"))
    cached(("w",), lambda: {"value": 1})
    assert (tmp_path / "new" / "cache").stat().st_mode & 0o077 == 0
    assert disk_cache.private_problem(tmp_path / "new" / "cache") is None


def test_an_empty_or_relative_cache_dir_is_never_the_working_directory(tmp_path, monkeypatch):
    """`CXEX_CACHE_DIR=` (empty) put the cache in the kernel's working directory: the
    published run folder, with every employee comment and its response and unit ids."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CXEX_CACHE_DIR", "")
    assert paths().cache == paths().cache.home() / ".cache" / "cxex"
    monkeypatch.setenv("CXEX_CACHE_DIR", "cache")
    assert paths().cache == tmp_path / "cache" and paths().cache.is_absolute()


def test_the_key_covers_every_module_of_the_package(tmp_path, monkeypatch):
    """The key left out panels/comments.py, which shapes the comments the model reads."""
    from cxex_analysis.panels import comments

    before = disk_cache.package_digest()
    sources = disk_cache.package_sources()
    assert comments.__file__ in map(str, sources)
    assert all(str(p).endswith((".py", ".yaml")) for p in sources) and len(sources) > 50
    assert disk_cache.package_digest() == before


def test_a_warehouses_themes_are_found_once_and_read_back_the_same(tmp_path, monkeypatch):
    """The linkage and verbatims reports both find the critical comments' themes: the second
    reads what the first found (issue 41); other comments, or other settings, find again."""
    from cxex_analysis.estimators import theme_discovery
    from cxex_analysis.panels import comments

    from .test_verbatims import topic_comments
    monkeypatch.setenv("CXEX_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return theme_discovery.discover(*args, **kwargs)

    monkeypatch.setattr(comments, "discover", counted)
    data = topic_comments()
    first = comments.kept_discovery(data["comment"], 3, 0, {"acme"}, groups=data["unit"])
    again = comments.kept_discovery(data["comment"], 3, 0, {"acme"}, groups=data["unit"])
    assert len(calls) == 1
    assert (again.labels, again.stability, again.dropped, again.method) == (
        first.labels, first.stability, first.dropped, first.method)
    assert (again.theme == first.theme).all() and len(first.labels) == 3
    comments.kept_discovery(data["comment"].str.upper(), 3, 0, {"acme"}, groups=data["unit"])
    comments.kept_discovery(data["comment"], 4, 0, {"acme"}, groups=data["unit"])
    assert len(calls) == 3


def test_a_warehouses_panel_is_built_once_and_read_back_the_same(tmp_path, monkeypatch,
                                                                demo_warehouse):
    """The linkage, return-on-experience and claims reports and the group reports all start
    from the unit × quarter panel (issue 41: 13 s at 5,000 units): built once per warehouse
    version, read back identical; another threshold, or a new version of the warehouse, builds
    again, and an in-memory warehouse (no version to key it by) is never kept."""
    import shutil

    import duckdb

    from cxex_analysis.panels import linkage_panels
    from cxex_analysis.store import warehouse

    monkeypatch.setenv("CXEX_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def counted(con, min_group_size):
        calls.append(min_group_size)
        return built(con, min_group_size)

    built = linkage_panels._assembled_panel
    monkeypatch.setattr(linkage_panels, "_assembled_panel", counted)
    copy = tmp_path / "w.duckdb"
    shutil.copy(demo_warehouse, copy)
    con = warehouse.connect(copy)
    try:
        first = linkage_panels.build_panel(con)
        again = linkage_panels.build_panel(con)
        pd.testing.assert_frame_equal(again, first)
        assert calls == [5]
        linkage_panels.build_panel(con, min_group_size=10)
        assert calls == [5, 10]
    finally:
        con.close()
    os.utime(copy, (time.time() + 5, time.time() + 5))  # a new version (ingested again)
    con = warehouse.connect(copy)
    try:
        linkage_panels.build_panel(con)
    finally:
        con.close()
    assert calls == [5, 10, 5]
    memory = duckdb.connect()  # the same tables in memory: built each time, never kept
    memory.execute(f"ATTACH '{copy}' AS w (READ_ONLY)")
    for (table,) in memory.execute("SELECT table_name FROM duckdb_tables() "
                                   "WHERE database_name = 'w'").fetchall():
        memory.execute(f"CREATE TABLE memory.main.{table} AS SELECT * FROM w.main.{table}")
    memory.execute("DETACH w")
    pd.testing.assert_frame_equal(linkage_panels.build_panel(memory), first)
    linkage_panels.build_panel(memory)
    assert calls == [5, 10, 5, 5, 5]
