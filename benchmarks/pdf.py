"""PDF benchmark: seconds to print every report of a run, beside the baseline.

cxex prints with one Chromium for the whole run (Playwright), so a report costs a page load
and a print. The baseline is what a shell script would do: one ``chromium --headless
--print-to-pdf`` process per report (a browser start each time). Both print the same reports
(the demo run in ``reports/latest`` unless a run folder is given) into a scratch folder.

    python benchmarks/pdf.py [RUN_DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from cxex_analysis.reporting.pdf import chromium_path, write_pdfs

ROOT = Path(__file__).resolve().parents[1]


def baseline(pages: list[Path], out: Path) -> list[float]:
    """One Chromium process per report."""
    seconds = []
    for page in pages:
        started = time.perf_counter()
        subprocess.run([chromium_path(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-pdf-header-footer", f"--print-to-pdf={out / (page.stem + '.pdf')}",
                        page.resolve().as_uri()], capture_output=True, check=True, timeout=120)
        seconds.append(time.perf_counter() - started)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", nargs="?", default=str(ROOT / "reports" / "latest"))
    args = parser.parse_args(argv)
    source = Path(args.run_dir)
    if not any(source.glob("*.html")):
        print(f"{source}: no HTML reports; run `make demo` first.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        ours, theirs = Path(scratch) / "cxex", Path(scratch) / "baseline"
        theirs.mkdir()
        shutil.copytree(source, ours, ignore=shutil.ignore_patterns("*.pdf", "*.ipynb"))
        pages = sorted(ours.glob("*.html"))
        started = time.perf_counter()
        printed = write_pdfs(ours, "benchmark", 5)
        total = time.perf_counter() - started
        base = baseline(pages, theirs)
        print(f"{len(pages)} reports from {source.resolve()}")
        print(f"{'report':44s} {'pages':>5s} {'cxex s':>7s} {'baseline s':>10s}")
        for item, seconds in zip(printed, base):
            count = len(PdfReader(item.pdf).pages)
            print(f"{item.pdf.name:44s} {count:5d} {item.seconds:7.2f} {seconds:10.2f}")
        print(f"{'all (cxex: with the browser start)':44s} {'':5s} {total:7.1f} {sum(base):10.1f}")
        print(f"{'a report on average':44s} {'':5s} {total / len(pages):7.2f} "
              f"{sum(base) / len(pages):10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
