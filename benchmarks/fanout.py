"""Fan-out benchmark: seconds per group report, warm kernels vs a fresh papermill kernel.

Generates the demo organisation (unless --warehouse is given) and learns its comment model
once (what a run pays once per warehouse version, kept in the cache folder; printed on its
own line), then in one run prints the amortized seconds per report when ``cxex run`` makes one
report per unit on ``--workers`` warm kernels, beside one plain papermill execution of the
same notebook. Target: <= 0.25 s per report amortized over 200 groups on 2 cores, >= 20x a
fresh kernel.

    python benchmarks/fanout.py [--warehouse FILE] [--workers 2] [--groups 200]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import papermill as pm

from cxex_analysis.config import paths
from cxex_analysis.panels import comments
from cxex_analysis.run import kernels, publish
from cxex_analysis.simulation import demo_files, demo_parameters
from cxex_analysis.store import ingest, warehouse


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--groups", type=int, default=200, help="number of group reports")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="cxex-fanout-"))
    try:
        if args.warehouse:
            target = Path(args.warehouse)
        else:
            units = max(args.groups, 10)
            params = demo_parameters.DemoParameters(units_by_type={
                "store": units * 7 // 15, "branch": units * 3 // 10,
                "call_centre": units // 6, "team": units - units * 7 // 15 - units * 3 // 10 - units // 6})
            demo_files.generate(scratch / "data", params)
            target = scratch / "warehouse.duckdb"
            ingest.ingest(scratch / "data", target)
        notebook = paths().notebooks / "04_group_report.ipynb"
        con = warehouse.connect(target)
        units = [r[0] for r in con.execute("SELECT unit_id FROM main.units ORDER BY 1").fetchall()]
        started = time.perf_counter()
        comments.annotated_comments(con)
        learnt = time.perf_counter() - started
        con.close()
        jobs = [(f"04_group_report-unit-{u}", {"warehouse": str(target), "group_by": "unit", "group": u})
                for u in units[: args.groups]]
        out = scratch / "out"
        out.mkdir()
        started = time.perf_counter()
        batch = kernels.run_batch(notebook, jobs, out, workers=args.workers)
        fanout = time.perf_counter() - started
        failed = [b for b in batch if b.status != "ok"]

        started = time.perf_counter()
        with kernels.kernel_chatter_to(scratch / "kernel.log"):
            pm.execute_notebook(str(notebook), str(scratch / "plain.ipynb"), kernel_name="python3",
                                parameters=jobs[0][1], progress_bar=False, log_output=False)
        publish.export_html(scratch / "plain.ipynb", scratch / "plain.html")
        plain = time.perf_counter() - started
        print(f"group reports: {len(jobs)} (one per unit), workers: {args.workers}, failed: {len(failed)}")
        print(f"  once per warehouse version, before the reports: comment model {learnt:.1f} s "
              "(0 when already in the cache)")
        print(f"  warm-kernel fan-out: {fanout:.1f} s in all = {fanout / len(jobs):.2f} s per report")
        print(f"  one plain papermill execution (fresh kernel) + HTML: {plain:.2f} s per report "
              f"({plain / (fanout / len(jobs)):.0f}x the warm kernels)")
        print("  target: <= 0.25 s per report amortized over 200 groups on 2 cores, >= 20x a "
              "fresh kernel")
        for item in failed[:3]:
            print(f"  failed: {item.error}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
