"""Progress of long work (reading and checking large files, loading a warehouse, hundreds of
reports): a bar with counts, rate and time left on a terminal (tqdm), and plain lines at
every tenth of the way or every 30 seconds when the output goes to a log (cron, Airflow).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tqdm import tqdm

#: Without a terminal, a line at least every this many seconds …
EVERY_SECONDS = 30.0
#: … and at every this share of the way, once the work has taken this long (work that ends
#: sooner gets its closing line only).
EVERY_SHARE = 0.1
QUIET_SECONDS = 2.0


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _number(value: float, unit: str) -> str:
    return f"{value:,.1f}" if unit == "MB" else f"{value:,.0f}"


def _rate(per_second: float, unit: str) -> str:
    """``2.0 reports/s``, or per minute when slower than one a second (``4.5 reports/min``)."""
    if per_second < 1:
        return f"{per_second * 60:,.1f} {unit}/min"
    return f"{per_second:,.{1 if per_second < 100 else 0}f} {unit}/s"


class Progress:
    """``total`` units of work called ``label``; :meth:`advance` as they are done.

    ``say`` receives the plain lines (``print`` by default; None: silent). On a terminal
    (``terminal=None``: when ``say`` is ``print`` and standard output is one) a tqdm bar is
    drawn there instead (not on standard error, which a run may send to its kernel log), and
    only the closing line (unless ``summary`` is False) goes to ``say``.
    """

    def __init__(self, label: str, total: float, unit: str = "items",
                 say: Callable[[str], None] | None = print, terminal: bool | None = None,
                 summary: bool = True, clock: Callable[[], float] = time.monotonic):
        self.label, self.total, self.unit, self.summary = label, float(total), unit, summary
        self.say, self.clock = say, clock
        self.done = 0.0
        self.started = self.last_line = clock()
        self.next_share = EVERY_SHARE
        if terminal is None:
            terminal = say is print and sys.stdout.isatty()
        self.bar = None
        if terminal and say is not None and total > 0:
            self.bar = tqdm(total=total if unit == "MB" else int(total), desc=label,
                            unit=f" {unit}", leave=False,
                            dynamic_ncols=True, file=sys.stdout)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close(failed=exc[0] is not None)

    def line(self) -> str:
        """Where the work is: counts, share, rate and time left."""
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        text = (f"  {self.label}: {_number(self.done, self.unit)} of "
                f"{_number(self.total, self.unit)} {self.unit}")
        if self.total > 0:
            text += f" ({self.done / self.total:.0%})"
        text += f", {_rate(rate, self.unit)}"
        if 0 < self.done < self.total and rate > 0:
            text += f", about {duration((self.total - self.done) / rate)} left"
        return text

    def advance(self, amount: float = 1.0) -> None:
        self.done += amount
        if self.say is None:
            return
        if self.bar is not None:
            self.bar.update(amount if self.unit == "MB" else int(amount))
            return
        now = self.clock()
        share = self.done / self.total if self.total > 0 else 1.0
        if self.done < self.total and now - self.started >= QUIET_SECONDS and (
                share >= self.next_share or now - self.last_line >= EVERY_SECONDS):
            self.say(self.line())
            self.last_line = now
            while self.next_share <= share:
                self.next_share += EVERY_SHARE

    def close(self, failed: bool = False) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.say is not None and self.summary and not failed:
            elapsed = self.clock() - self.started
            self.say(f"  {self.label}: {_number(self.done, self.unit)} {self.unit} in {duration(elapsed)}"
                     + (f" ({_rate(self.done / elapsed, self.unit)})" if elapsed > 0 else ""))
