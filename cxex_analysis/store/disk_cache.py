"""Results too slow to compute in every kernel, kept on disk between the kernels of a run and
between runs: the comment model of a warehouse is learnt once, not by every group-report
kernel and the verbatims report again.

An entry is named by a hash of everything it depends on (the warehouse and its version, the
parameters, and the source of the code that computes it), so a changed input or a changed
cxex never reads an old entry. Kernels that need the same entry at once wait for the first
to write it (a file lock) instead of computing it side by side. The folder
(``CXEX_CACHE_DIR``, default ``~/.cache/cxex``) is private to its user; the oldest entries
go when there are more than :data:`MAX_ENTRIES`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cxex_analysis.config import paths

#: Entries kept (the newest); one is a warehouse's annotated comments, a few MB.
MAX_ENTRIES = 16


def source_digest(modules: Iterable[Any]) -> str:
    """A hash of the source files of ``modules`` (and of files beside them they read)."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def cached(name: str, key: Iterable[Any], compute: Callable[[], Any]) -> Any:
    """``compute()``, or what it returned before for the same ``name`` and ``key``.

    Without a usable cache folder (read-only home, full disk) the value is computed and
    nothing is written.
    """
    digest = hashlib.sha256(repr((name, *key)).encode()).hexdigest()[:32]
    folder = paths().cache
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = open(folder / f"{name}-{digest}.lock", "w")  # noqa: SIM115 (held while computing)
    except OSError:
        return compute()
    entry = folder / f"{name}-{digest}.pickle"
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if entry.is_file():
            try:
                with entry.open("rb") as handle:
                    return pickle.load(handle)
            except (OSError, EOFError, pickle.UnpicklingError):
                entry.unlink(missing_ok=True)
        value = compute()
        try:
            with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, entry)
            _prune(folder)
        except OSError:
            pass
    return value


def _prune(folder: Path) -> None:
    """Keep the newest :data:`MAX_ENTRIES` entries (and their locks); remove what a process
    that died while writing left."""
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".lock").unlink(missing_ok=True)
    for partial in folder.glob("*.tmp"):
        if time.time() - partial.stat().st_mtime > 3600:
            partial.unlink(missing_ok=True)
