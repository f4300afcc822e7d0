"""Slow results kept on disk between kernels and runs: computed once per key, even by two
processes at once; a new key, a damaged entry or an unusable folder never gives a wrong or
failed answer."""

from __future__ import annotations

import multiprocessing
import time

from cxex_analysis.store import disk_cache


def _slow(log: str, value: int):
    def compute():
        with open(log, "a") as handle:
            handle.write("computed\n")
        time.sleep(0.5)
        return {"value": value}
    return compute


def _worker(folder: str, log: str) -> None:
    import os

    os.environ["CXEX_CACHE_DIR"] = folder
    assert disk_cache.cached("model", ("warehouse:1",), _slow(log, 7)) == {"value": 7}


def test_an_entry_is_computed_once_and_a_new_key_computes_again(tmp_path, monkeypatch):
    monkeypatch.setenv("CXEX_CACHE_DIR", str(tmp_path / "cache"))
    log = tmp_path / "log"
    assert disk_cache.cached("model", ("warehouse:1", 0), _slow(str(log), 1)) == {"value": 1}
    assert disk_cache.cached("model", ("warehouse:1", 0), _slow(str(log), 99)) == {"value": 1}
    assert disk_cache.cached("model", ("warehouse:2", 0), _slow(str(log), 2)) == {"value": 2}
    assert log.read_text().count("computed") == 2
    # a damaged entry is computed again, not read
    for entry in (tmp_path / "cache").glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert disk_cache.cached("model", ("warehouse:1", 0), _slow(str(log), 3)) == {"value": 3}


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
    assert disk_cache.cached("model", ("w",), lambda: 42) == 42
