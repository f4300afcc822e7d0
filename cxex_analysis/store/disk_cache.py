"""Results too slow to compute in every kernel, kept on disk between the kernels of a run and
between runs: the comment model of a warehouse is learnt once, not by every group-report
kernel and the verbatims report again.

An entry is named by a hash of everything it depends on (the warehouse and its version, the
parameters, and the source of the whole package), so a changed input or a changed cxex never
reads an old entry. Kernels that need the same entry at once wait for the first to write it
(a file lock) instead of computing it side by side.

An entry is data that cannot run code: a folder of Parquet tables and one JSON document (never
a pickle, which runs whatever a replaced file says when it is read). An entry that cannot be
read or decoded is removed and computed again. The folder (``CXEX_CACHE_DIR``, default
``~/.cache/cxex``; an empty value is the default) holds every comment with its response and
unit ids, so it is private: created with mode 0700, and a folder that someone else owns or can
write to is not used (the value is computed, nothing is written). The newest
:data:`MAX_ENTRIES` entries are kept.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from cxex_analysis.config import paths

#: Entries kept (the newest); one is a warehouse's annotated comments, a few MB.
MAX_ENTRIES = 16

#: What an entry holds: named tables, and a JSON-able document.
Parts = tuple[dict[str, pd.DataFrame], dict]

#: The names cxex gives what it writes in the folder (nothing else there is touched).
_ENTRY = re.compile(r"^[a-z_]+-[0-9a-f]{32}$")
_OLD_PICKLE = re.compile(r"^[a-z_]+-[0-9a-f]{32}\.pickle$")  # entries of cxex before 0.3

T = TypeVar("T")


def package_sources() -> list[Path]:
    """Every source file of cxex: its code, codebooks and defaults."""
    root = Path(__file__).resolve().parents[1]
    return sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml"))


@functools.cache
def package_digest() -> str:
    """A hash of :func:`package_sources`: an entry made by another version of any module
    that shapes a result is never read."""
    digest = hashlib.sha256()
    for path in package_sources():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def private_problem(folder: Path) -> str | None:
    """Why an existing ``folder`` is not private enough for comments (None when it is, or
    does not exist yet)."""
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    if info.st_uid != os.getuid():
        return "it belongs to another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "other users can write to it"
    return None


def cached(name: str, key: Iterable[Any], compute: Callable[[], T],
           encode: Callable[[T], Parts], decode: Callable[[Parts], T]) -> T:
    """``compute()``, or what it returned before for the same ``name`` and ``key``
    (kept as ``encode(value)``, read back with ``decode``).

    Without a usable cache folder (read-only home, full disk, not private) the value is
    computed and nothing is written.
    """
    digest = hashlib.sha256(repr((name, *key, package_digest())).encode()).hexdigest()[:32]
    folder = paths().cache
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if private_problem(folder):
            return compute()
        lock = open(folder / f"{name}-{digest}.lock", "w")  # noqa: SIM115 (held while computing)
    except OSError:
        return compute()
    entry = folder / f"{name}-{digest}"
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if entry.exists() or entry.is_symlink():
            try:
                return decode(_read(entry))
            except Exception:  # noqa: BLE001 (any entry that cannot be used is made again)
                _remove(entry)
        value = compute()
        try:
            _write(entry, encode(value))
            _prune(folder)
        except (OSError, ValueError, ImportError):  # a full disk, a table Parquet cannot hold
            pass
    return value


def _read(entry: Path) -> Parts:
    info = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
    frames = {name: pd.read_parquet(entry / f"{i}.parquet")
              for i, name in enumerate(info["tables"])}
    return frames, info["document"]


def _write(entry: Path, parts: Parts) -> None:
    """The entry written in a private folder beside it, then renamed into place."""
    frames, document = parts
    partial = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f"{entry.name}.", suffix=".tmp"))
    try:
        for i, frame in enumerate(frames.values()):
            frame.to_parquet(partial / f"{i}.parquet")
        (partial / "entry.json").write_text(json.dumps({"tables": list(frames),
                                                        "document": document}), encoding="utf-8")
        os.rename(partial, entry)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _prune(folder: Path) -> None:
    """Keep the newest :data:`MAX_ENTRIES` entries (and their locks); remove what a process
    that died while writing left, and the pickles older versions of cxex wrote."""
    entries = sorted((p for p in folder.iterdir() if _ENTRY.match(p.name) and p.is_dir()),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        _remove(old)
        old.with_name(old.name + ".lock").unlink(missing_ok=True)
    for path in folder.iterdir():
        if _OLD_PICKLE.match(path.name):
            path.unlink(missing_ok=True)
        elif path.name.endswith(".tmp") and _ENTRY.match(path.name.split(".")[0]) \
                and time.time() - path.lstat().st_mtime > 3600:
            _remove(path)
