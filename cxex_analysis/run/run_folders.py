"""The folders of a reports directory: a run writes ``OUT/.<run_id>.partial/`` (with a note of
the process writing it), renames it ``OUT/<run_id>/`` when done, and ``OUT/latest`` points at
the newest successful run. Here: starting a run's folder, removing the unfinished folders of
runs whose process is gone, and keeping only the last successful runs (``cxex clean``).

cxex removes only what it can prove it made: a folder (never a link) whose name is a run id,
holding the marker file cxex writes when it starts a run and, once finished, a manifest of
cxex's own schema naming that run. Anything else in ``OUT`` is left alone and said so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from cxex_analysis.errors import ParameterError

#: The note in an unfinished run's folder naming the process that writes it.
OWNER_FILE = ".owner.json"

#: Written first in every run folder cxex starts; it names the run (proof the folder is cxex's).
MARKER_FILE = ".cxex-run"

PARTIAL_SUFFIX = ".partial"

#: A run id as :func:`cxex_analysis.run.runner.run` makes it: date-time-process.
RUN_ID = re.compile(r"^\d{8}-\d{6}-\d+$")

#: The statuses a cxex manifest holds, and those of runs ``latest`` may point at.
STATUSES = ("ok", "ok_with_failed_sections", "failed")
SUCCESSFUL = ("ok", "ok_with_failed_sections")


def prepare_out(out_dir: Path) -> None:
    """``out_dir`` made ready for runs, or a one-line :class:`ParameterError` before anything
    runs: it must be a folder (made when missing), and its ``latest`` the link cxex keeps (a
    real folder or file of that name is someone else's, and is never replaced)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"--out {out_dir} is a file, not a folder: give the folder the runs "
                             "are published in.")
    latest = out_dir / "latest"
    if latest.exists() and not latest.is_symlink():
        raise ParameterError(
            f"{latest} is a real {'folder' if latest.is_dir() else 'file'}, not the link cxex "
            "keeps to the last good run, and cxex does not replace what it did not make: move "
            "it away or choose another --out.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ParameterError(f"--out {out_dir} cannot be made: {error.strerror}.") from error


def start(out_dir: Path, run_id: str) -> Path:
    """A fresh ``OUT/.<run_id>.partial/`` folder, marked as cxex's and noted as this
    process's (an unfinished folder of the same run id, cxex's, is replaced)."""
    work = out_dir / f".{run_id}{PARTIAL_SUFFIX}"
    if work.is_symlink() or (work.exists() and not _marked(work, run_id)):
        raise FileExistsError(f"{work} exists and was not made by cxex; it is left alone.")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / MARKER_FILE).write_text(json.dumps({"run_id": run_id}))
    (work / OWNER_FILE).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    return work


def finish(work: Path, run_dir: Path) -> None:
    """The unfinished folder takes the run's name (a finished folder of that run, cxex's, is
    replaced; anything else of that name is an error)."""
    (work / OWNER_FILE).unlink(missing_ok=True)
    if run_dir.is_symlink() or (run_dir.exists() and not _marked(run_dir, run_dir.name)):
        raise FileExistsError(f"{run_dir} exists and was not made by cxex; it is left alone.")
    if run_dir.exists():
        shutil.rmtree(run_dir)
    work.rename(run_dir)


def _marked(folder: Path, run_id: str) -> bool:
    """True when ``folder`` holds cxex's marker naming ``run_id``."""
    try:
        return json.loads((folder / MARKER_FILE).read_text()).get("run_id") == run_id
    except (OSError, ValueError, AttributeError):
        return False


def _manifest(folder: Path) -> dict | None:
    """The folder's manifest when it is cxex's schema for this run, else None."""
    try:
        info = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("run_id") != folder.name \
            or info.get("status") not in STATUSES or not isinstance(info.get("finished_at"), str) \
            or "cxex_version" not in info:
        return None
    return info


def is_run(folder: Path) -> bool:
    """True when ``folder`` is a finished run cxex made: a real folder named by a run id,
    with cxex's marker and manifest for that run."""
    return (folder.is_dir() and not folder.is_symlink() and bool(RUN_ID.match(folder.name))
            and _marked(folder, folder.name) and _manifest(folder) is not None)


def _is_partial(folder: Path) -> bool:
    """True when ``folder`` is the unfinished folder of a cxex run."""
    run_id = folder.name.removeprefix(".").removesuffix(PARTIAL_SUFFIX)
    return (folder.name.startswith(".") and folder.name.endswith(PARTIAL_SUFFIX)
            and folder.is_dir() and not folder.is_symlink() and bool(RUN_ID.match(run_id))
            and _marked(folder, run_id))


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

    The owner note gives its process id and host; a folder written from another machine,
    or whose writer cannot be told, is left alone.
    """
    try:
        owner = json.loads((folder / OWNER_FILE).read_text())
        pid, host = int(owner["pid"]), owner.get("host")
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return host == socket.gethostname() and pid != os.getpid() and not _process_alive(pid)


def stale_partials(out_dir: Path) -> list[Path]:
    """The unfinished folders of cxex runs whose process is gone."""
    return [folder for folder in sorted(Path(out_dir).glob(f".*{PARTIAL_SUFFIX}"))
            if _is_partial(folder) and _owner_gone(folder)]


def remove_stale_partials(out_dir: Path) -> list[str]:
    """Remove the unfinished folders of cxex runs whose process is gone; return their names."""
    removed = []
    for folder in stale_partials(out_dir):
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed


@dataclass
class Cleaning:
    """What ``cxex clean`` did (or, with ``dry_run``, would do): the run folders removed (and
    the bytes freed), the runs kept, and what is in the folder but not cxex's (left alone)."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    not_cxex: list[str] = field(default_factory=list)
    freed_bytes: int = 0


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _finished_runs(out_dir: Path) -> tuple[list[tuple[str, Path, str]], list[str]]:
    """(finished at, folder, status) of every finished cxex run, oldest first; and the names
    of the other entries (``latest`` and unfinished runs aside), which are not cxex's."""
    runs, others = [], []
    for entry in sorted(Path(out_dir).iterdir()):
        if entry.name == "latest" or _is_partial(entry):
            continue
        if not is_run(entry):
            others.append(entry.name)
            continue
        info = _manifest(entry)
        if info is None:  # is_run said it is one
            continue
        runs.append((info["finished_at"], entry, info["status"]))
    return sorted(runs, key=lambda run: (run[0], run[1].name)), others


def clean(out_dir: Path, keep: int, dry_run: bool = False) -> Cleaning:
    """Keep the ``keep`` newest successful runs; remove the cxex run folders older than the
    oldest of them, and the unfinished folders of cxex runs whose process is gone.

    The run ``latest`` points at is always kept; failed runs newer than the kept ones stay (a
    failure being looked into); nothing cxex cannot prove it made is touched, and links are
    never followed. ``dry_run`` removes nothing and says what would go.
    """
    if keep < 1:
        raise ValueError("keep at least one run (the one `latest` points at)")
    out_dir = Path(out_dir)
    latest = (out_dir / "latest").resolve() if (out_dir / "latest").is_symlink() else None
    runs, others = _finished_runs(out_dir)
    successful = [run for run in runs if run[2] in SUCCESSFUL]
    kept = {folder for _, folder, _ in successful[-keep:]}
    oldest_kept = successful[-keep][0] if len(successful) >= keep else ""
    done = Cleaning(not_cxex=others)
    for finished, folder, _ in runs:
        if folder in kept or folder.resolve() == latest or finished >= oldest_kept:
            done.kept.append(folder.name)
            continue
        done.freed_bytes += _size(folder)
        done.removed.append(folder.name)
    done.removed += [folder.name for folder in stale_partials(out_dir)]
    if not dry_run:
        for name in done.removed:
            shutil.rmtree(out_dir / name, ignore_errors=True)
    return done
