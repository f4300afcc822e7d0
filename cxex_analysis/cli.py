"""The ``cxex`` command line.

    cxex demo [--out DIR] [--data DIR] [--warehouse FILE] [--seed N] [--data-only]
    cxex validate --data DIR [--mapping FILE] [--json]
    cxex ingest --data DIR [--warehouse FILE] [--mapping FILE]

Exit codes: 0 success; 1 a notebook failed; 2 unusable input or a bad parameter (the message
names the file, column and what was expected); 3 an unexpected internal error (a one-line
message; set ``CXEX_DEBUG=1`` for the traceback). No command prints a traceback otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .config import paths
from .errors import CxexError


def _print_report(report) -> None:
    for name, table in report.tables.items():
        if table.status == "missing":
            print(f"{name:18s} not provided")
            continue
        if table.status in ("unusable", "not_checked"):
            print(f"{name:18s} {table.status.upper()}: {table.error}")
            continue
        print(f"{name:18s} read {table.rows_read:>10,}  accepted {table.rows_accepted:>10,}  "
              f"quarantined {table.rows_quarantined:>7,}  ({table.format}"
              + (f", {table.encoding}" if table.encoding else "") + ")")
        for reason, count in table.by_reason.items():
            print(f"{'':18s}   {count:>7,} × {reason}")
        if table.ignored_columns:
            print(f"{'':18s}   columns not in the contract (ignored): "
                  + ", ".join(table.ignored_columns))


def _json_report(report) -> dict:
    keys = ("status", "file", "format", "encoding", "rows_read", "rows_accepted",
            "rows_quarantined", "by_reason", "ignored_columns", "error")
    return {name: {key: getattr(table, key) for key in keys}
            for name, table in report.tables.items()}


def cmd_validate(args) -> int:
    from .io import validate

    report = validate(args.data, args.mapping)
    if args.json:
        print(json.dumps(_json_report(report), indent=2))
    else:
        _print_report(report)
        print("usable" if report.usable else "NOT usable: fix the files named above")
    return 0 if report.usable else 2


def cmd_ingest(args) -> int:
    from .warehouse import default_path, ingest

    target = Path(args.warehouse) if args.warehouse else default_path()
    report = ingest(args.data, target, args.mapping)
    _print_report(report)
    print(f"warehouse: {target}")
    return 0


def cmd_demo(args) -> int:
    from . import runner, simulate
    from .warehouse import ingest

    data = Path(args.data) if args.data else paths().demo_data
    warehouse = Path(args.warehouse) if args.warehouse else paths().warehouse
    out = Path(args.out) if args.out else paths().reports
    print(f"Generating the demo organisation in {data} (seed {args.seed}) …")
    truth = simulate.generate(data, simulate.DemoParameters(seed=args.seed))
    counts = truth["counts"]
    print(f"  {counts['units']} units, {counts['employee_responses']:,} employee and "
          f"{counts['customer_responses']:,} customer responses")
    print(f"Ingesting into {warehouse} …")
    report = ingest(data, warehouse)
    _print_report(report)
    if args.data_only:
        return 0
    print(f"Running the notebooks into {out} …")
    result = runner.run(warehouse, out)
    if not result.ok:
        failed = next(n for n in result.notebooks if n.status != "ok")
        print(f"FAILED: {failed.error}. The executed notebook is in {result.run_dir}.")
        return 1
    print(f"Reports: {out / 'latest'} -> {result.run_dir}")
    for item in result.notebooks:
        print(f"  {result.run_dir / item.html}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxex", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate the demo organisation, ingest it, run every notebook")
    demo.add_argument("--out", help="reports folder (default: reports/)")
    demo.add_argument("--data", help="where the demo data files go (default: data/demo)")
    demo.add_argument("--warehouse", help="DuckDB file (default: data/warehouse.duckdb)")
    demo.add_argument("--seed", type=int, default=20241, help="random seed (default 20241)")
    demo.add_argument("--data-only", action="store_true", help="generate and ingest only")
    demo.set_defaults(func=cmd_demo)

    validate = sub.add_parser("validate", help="check a data folder against the contract")
    validate.add_argument("--data", required=True, help="folder with units.csv etc.")
    validate.add_argument("--mapping", help="Qualtrics column mapping (YAML)")
    validate.add_argument("--json", action="store_true", help="print one JSON object per table")
    validate.set_defaults(func=cmd_validate)

    ingest = sub.add_parser("ingest", help="validate and load a data folder into the warehouse")
    ingest.add_argument("--data", required=True, help="folder with units.csv etc.")
    ingest.add_argument("--warehouse", help="DuckDB file (default: data/warehouse.duckdb)")
    ingest.add_argument("--mapping", help="Qualtrics column mapping (YAML)")
    ingest.set_defaults(func=cmd_ingest)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CxexError as error:
        print(f"cxex: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cxex: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # never a bare traceback for a user
        if os.environ.get("CXEX_DEBUG"):
            raise
        print(f"cxex: internal error: {type(error).__name__}: {error} "
              "(set CXEX_DEBUG=1 for the traceback and please report it)", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
