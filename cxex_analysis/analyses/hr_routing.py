"""Employee comments that need a person, routed to HR in confidence.

:func:`~cxex_analysis.estimators.comment_annotation.labelled` sets aside every employee
comment about harassment, discrimination, bullying, threats, unsafe conditions or self-harm
(:mod:`~cxex_analysis.estimators.sensitive`) before any report reads the comments. Here they
are written, for the HR owner the run names (parameter ``hr_owner``), to one confidential
CSV outside the reports: a folder the analyst chooses (``hr_folder``), else ``confidential/``
beside the warehouse file (the project's data folder for PostgreSQL). Reports say how many
were routed, never what they say, and never who the owner is (it may be a person's name or
address).

The file is named by a digest of what it holds, so a second run on the same comments finds
its own file and writes nothing, and no file cxex did not write is ever replaced.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cxex_analysis.config import paths
from cxex_analysis.estimators.comment_annotation import ROUTED_COLUMNS, Annotated

#: The confidential folder's name beside the warehouse.
FOLDER = "confidential"


@dataclass(frozen=True)
class Routed:
    """How many employee comments were routed, and the file that holds them (None: none)."""

    count: int
    path: Path | None


def default_folder(warehouse_file: str | None) -> Path:
    """``confidential/`` beside a DuckDB warehouse file, else in the project's data folder."""
    if warehouse_file and "://" not in str(warehouse_file):
        return Path(warehouse_file).resolve().parent / FOLDER
    return paths().data / FOLDER


def route(annotated: Annotated, owner: str, folder: str | Path) -> Routed:
    """Write ``annotated.routed`` for ``owner`` to a CSV in ``folder`` (made private to the
    user: 0700, the file 0600); nothing is written when no comment was routed.

    Examples
    --------
    >>> import tempfile
    >>> from cxex_analysis.estimators import codebook
    >>> from cxex_analysis.estimators.comment_annotation import labelled
    >>> employees = pd.DataFrame({"response_id": ["E1", "E2"], "unit_id": ["U1", "U1"],
    ...     "at": pd.Timestamp("2026-03-01"), "item_mean": [2.0, 4.5],
    ...     "comment": ["My manager shouts at me in front of the team", "Good rotas"]})
    >>> annotated = labelled(None, employees, codebook.load())
    >>> done = route(annotated, "HR partner", tempfile.mkdtemp())
    >>> done.count, pd.read_csv(done.path)[["routed_to", "topic"]].values.tolist()
    (1, [['HR partner', 'bullying']])
    >>> annotated.comments["comment"].tolist()  # what the reports read
    ['Good rotas']
    """
    routed = annotated.routed
    if routed.empty:
        return Routed(0, None)
    table = routed[list(ROUTED_COLUMNS)].assign(routed_to=owner or "not named (set hr_owner)")
    table = table[["routed_to", *ROUTED_COLUMNS]]
    text = table.to_csv(index=False)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"comments_for_hr_{hashlib.sha256(text.encode()).hexdigest()[:12]}.csv"
    if not path.exists():  # same name, same content: written by an earlier run
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    return Routed(len(table), path)

