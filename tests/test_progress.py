"""Progress of long work: plain lines at every tenth of the way or 30 s when the output goes
to a log, with counts, rate and time left; and the lines a scheduled ``cxex run`` prints."""

from __future__ import annotations

import re

from cxex_analysis.progress import Progress, duration


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_line_every_tenth_with_rate_and_time_left():
    clock, lines = Clock(), []
    with Progress("04_group_report", 200, "reports", lines.append, clock=clock) as progress:
        for _ in range(200):
            clock.now += 0.5
            progress.advance()
    # 9 lines on the way (10 %, 20 % … 90 %) and the closing one
    assert len(lines) == 10
    assert lines[0] == "  04_group_report: 20 of 200 reports (10%), 2.0 reports/s, about 1 min 30 s left"
    assert lines[4] == "  04_group_report: 100 of 200 reports (50%), 2.0 reports/s, about 50 s left"
    assert lines[-1] == "  04_group_report: 200 reports in 1 min 40 s (2.0 reports/s)"


def test_slow_work_gets_a_line_every_30_seconds_between_tenths():
    clock, lines = Clock(), []
    progress = Progress("reading files", 1000.0, "MB", lines.append, clock=clock)
    for _ in range(50):  # 1 MB every 2 s: a tenth takes 200 s
        clock.now += 2.0
        progress.advance(1.0)
    assert len(lines) == 3  # at 30, 60 and 90 s
    assert lines[0].startswith("  reading files: 15.0 of 1,000.0 MB (2%), 30.0 MB/min, about 32 min")


def test_quick_work_prints_only_its_closing_line_and_silence_is_silent():
    clock, lines = Clock(), []
    with Progress("checking rows", 10_000, "rows", lines.append, clock=clock) as progress:
        for _ in range(10):
            clock.now += 0.1
            progress.advance(1_000)
    assert lines == ["  checking rows: 10,000 rows in 1 s (10,000 rows/s)"]
    with Progress("checking rows", 10, "rows", None, clock=clock) as quiet:
        quiet.advance(10)  # say=None: nothing printed, nothing raised


def test_durations_read_as_people_write_them():
    assert [duration(s) for s in (4.4, 65, 3725)] == ["4 s", "1 min 05 s", "1 h 02 min"]


def test_a_scheduled_run_logs_the_fan_out_progress(demo_cli_run):
    """`cxex run` with its output captured (as cron or Airflow does): the per-group reports
    print periodic lines with counts, rate and time left, and validation is not drawn as a bar."""
    _, _, done = demo_cli_run
    assert done.returncode == 0, done.stderr[-2000:]
    lines = re.findall(r"^  04_group_report: (\d+) of (\d+) reports \((\d+)%\), [\d.,]+ reports/(?:s|min), "
                       r"about .+ left$", done.stdout, flags=re.MULTILINE)
    assert lines, done.stdout[-3000:]
    counts = [int(n) for n, _, _ in lines]
    assert counts == sorted(counts) and all(int(total) > int(n) for n, total, _ in lines)
    assert "\r" not in done.stdout and "it/s" not in done.stdout + done.stderr  # no bar in a log


def test_a_terminal_gets_a_bar_with_counts_and_rate():
    """On a terminal (a pseudo-terminal here) the bar is drawn on standard output — standard
    error may be a run's kernel log — and the closing line follows it."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    code = ("import time\nfrom cxex_analysis.progress import Progress\n"
            "with Progress('04_group_report', 5, 'reports') as p:\n"
            "    for _ in range(5):\n        time.sleep(0.1)\n        p.advance()\n")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    process = subprocess.Popen([sys.executable, "-c", code], stdout=follower,
                               stderr=subprocess.PIPE)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=60) == 0 and process.stderr.read() == b""
    text = shown.decode()
    assert re.search(r"04_group_report: +\d+%\|.*\| 5/5 \[.* reports/s\]", text), text
    assert "04_group_report: 5 reports in" in text
