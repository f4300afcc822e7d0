"""The folders of a reports directory: a run writes ``OUT/.<run_id>.partial/`` (with a note of
the process writing it), renames it ``OUT/<run_id>/`` when done, and ``OUT/latest`` points at
the newest successful run. Here: starting a run's folder, removing the unfinished folders of
runs whose process is gone, and keeping only the last successful runs (``cxex clean``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

#: The note in an unfinished run's folder naming the process that writes it.
OWNER_FILE = ".owner.json"

PARTIAL_SUFFIX = ".partial"


def start(out_dir: Path, run_id: str) -> Path:
    """A fresh ``OUT/.<run_id>.partial/`` folder, noted as this process's."""
    work = out_dir / f".{run_id}{PARTIAL_SUFFIX}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / OWNER_FILE).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    return work


def finish(work: Path, run_dir: Path) -> None:
    """The unfinished folder takes the run's name (a folder of that name is replaced)."""
    (work / OWNER_FILE).unlink(missing_ok=True)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    work.rename(run_dir)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _owner_gone(folder: Path) -> bool:
    """True when the process that wrote ``folder`` is known to be gone from this machine.

    The owner note gives its process id and host; a folder of an older version has none, and
    its run id ends with the process id (``20261129-061500-4321``). A folder written from
    another machine, or whose writer cannot be told, is left alone.
    """
    try:
        owner = json.loads((folder / OWNER_FILE).read_text())
        pid, host = int(owner["pid"]), owner.get("host")
    except (OSError, ValueError, KeyError, TypeError):
        tail = folder.name.removesuffix(PARTIAL_SUFFIX).rsplit("-", 1)[-1]
        if not tail.isdigit():
            return False
        pid, host = int(tail), socket.gethostname()
    return host == socket.gethostname() and pid != os.getpid() and not _process_alive(pid)


def remove_stale_partials(out_dir: Path) -> list[str]:
    """Remove the unfinished folders of runs whose process is gone; return their names."""
    removed = []
    for folder in sorted(Path(out_dir).glob(f".*{PARTIAL_SUFFIX}")):
        if folder.is_dir() and not folder.is_symlink() and _owner_gone(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


@dataclass
class Cleaning:
    """What ``cxex clean`` did: the run folders removed (and the bytes freed) and kept."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    freed_bytes: int = 0


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _finished_runs(out_dir: Path) -> list[tuple[str, Path, str]]:
    """(finished at, folder, status) of every finished run folder, oldest first."""
    runs = []
    for folder in Path(out_dir).iterdir():
        manifest = folder / "manifest.json"
        if folder.is_symlink() or not folder.is_dir() or folder.name.startswith(".") \
                or not manifest.is_file():
            continue
        try:
            info = json.loads(manifest.read_text())
        except (OSError, ValueError):
            continue
        runs.append((str(info.get("finished_at", "")), folder, str(info.get("status", ""))))
    return sorted(runs, key=lambda run: (run[0], run[1].name))


def clean(out_dir: Path, keep: int) -> Cleaning:
    """Keep the ``keep`` newest successful runs; remove the run folders older than the oldest
    of them, and the unfinished folders of runs whose process is gone.

    The run ``latest`` points at is always kept; failed runs newer than the kept ones stay (a
    failure being looked into); folders without a manifest are not touched.
    """
    if keep < 1:
        raise ValueError("keep at least one run (the one `latest` points at)")
    out_dir = Path(out_dir)
    latest = (out_dir / "latest").resolve() if (out_dir / "latest").is_symlink() else None
    runs = _finished_runs(out_dir)
    successful = [run for run in runs if run[2] == "ok"]
    kept = {folder for _, folder, _ in successful[-keep:]}
    oldest_kept = successful[-keep][0] if len(successful) >= keep else ""
    done = Cleaning()
    for finished, folder, _ in runs:
        if folder in kept or folder.resolve() == latest or finished >= oldest_kept:
            done.kept.append(folder.name)
            continue
        done.freed_bytes += _size(folder)
        shutil.rmtree(folder, ignore_errors=True)
        done.removed.append(folder.name)
    done.removed += remove_stale_partials(out_dir)
    return done
