"""The ``cxex`` command line.

    cxex demo [--out DIR] [--data DIR] [--warehouse FILE|URL] [--seed N] [--data-only] [--workers N]
    cxex run (--data DIR | --warehouse FILE|URL) --out DIR [--config FILE] [--only NAMES]
             [--param NAME=VALUE ...] [--workers N] [--executor local|dask [--scheduler ADDRESS]]
             [--strict]
    cxex clean --out DIR [--keep N] [--dry-run]   (keep the last N successful runs, never latest's)
    cxex validate --data DIR [--mapping FILE] [--json]   (also: which analyses the data support)
    cxex ingest --data DIR [--warehouse FILE|URL] [--mapping FILE]
    cxex design --pilot-id ID --name TEXT --outcome METRIC --mde EFFECT --start DATE --out DIR
                [--warehouse FILE|URL] [--units-from COLUMN=V1,V2] [--exclude-pilots]
                [--design randomized|staggered] [--waves N] [--months N] [--power P]
                [--alpha A] [--looks final|monthly] [--max-smd S] [--seed N]

A warehouse is a DuckDB file (the default, data/warehouse.duckdb) or a PostgreSQL URL
(postgresql://USER@HOST:PORT/DATABASE[?schema=NAME]).

Exit codes: 0 success; 1 a notebook failed (with --strict: any error in a cell); 2 unusable
input or a bad parameter (the message names the file, column and what was expected); 3 an
unexpected internal error (a one-line message; set ``CXEX_DEBUG=1`` for the traceback);
4 published, but some sections could not be computed (each says so in its report; the
manifest lists them as ``sections_failed`` and kernel.log has their tracebacks). No command
prints a traceback otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cxex_analysis.config import paths
from cxex_analysis.errors import CxexError, ParameterError

# Each command imports the layers it needs when it runs (the one place in the package that
# does): `cxex --help` then answers in a tenth of a second instead of the ten it takes to
# import every estimator, papermill and nbformat.


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


def _print_analyses(rows: list[dict]) -> None:
    print("\nWhat this data set supports:")
    for row in rows:
        print(f"  {'yes' if row['available'] else 'no ':3s}  {row['analysis']}"
              + ("" if row["available"] else f" — {row['reason']}"))


def cmd_validate(args) -> int:
    from cxex_analysis.store.inventory import check_folder, supported
    from cxex_analysis.store.registrations import read_registrations

    report, inv = check_folder(args.data, args.mapping, progress=None if args.json else print)
    registered = read_registrations(args.data)  # a design.json that cannot be used stops here
    analyses = supported(inv) if report.usable else []
    if args.json:
        print(json.dumps({**_json_report(report), "analyses": analyses, "registrations":
                          registered[["pilot_id", "file"]].to_dict("records")}, indent=2))
    else:
        _print_report(report)
        for row in registered.itertuples():
            print(f"{'registration':18s} pilot {row.pilot_id} ({row.file})")
        if analyses:
            _print_analyses(analyses)
        print("usable" if report.usable else "NOT usable: fix the files named above")
    return 0 if report.usable else 2


def cmd_ingest(args) -> int:
    from cxex_analysis.store.ingest import ingest
    from cxex_analysis.store.warehouse import describe, target

    where = target(args.warehouse)
    report = ingest(args.data, where, args.mapping, progress=print)
    _print_report(report)
    print(f"warehouse: {describe(where)}")
    return 0


def cmd_demo(args) -> int:
    from cxex_analysis.run import runner
    from cxex_analysis.simulation import demo_files
    from cxex_analysis.simulation.demo_parameters import DemoParameters
    from cxex_analysis.store.ingest import ingest
    from cxex_analysis.store.warehouse import describe, target

    data = Path(args.data) if args.data else paths().demo_data
    warehouse = target(args.warehouse)
    out = Path(args.out) if args.out else paths().reports
    print(f"Generating the demo organisation in {data} (seed {args.seed}) …")
    truth = demo_files.generate(data, DemoParameters(seed=args.seed))
    counts = truth["counts"]
    print(f"  {counts['units']} units, {counts['employee_responses']:,} employee and "
          f"{counts['customer_responses']:,} customer responses")
    print(f"Ingesting into {describe(warehouse)} …")
    report = ingest(data, warehouse)
    _print_report(report)
    if args.data_only:
        return 0
    print(f"Running the notebooks into {out} …")
    result = runner.run(warehouse, out, workers=args.workers, pdf=args.pdf)
    return _finished(result, out)


#: exit code of a run that published its reports with some sections not computed
SECTIONS_FAILED = 4


def _finished(result, out: Path) -> int:
    """Say how a run ended; its exit code (0 published, 1 failed, 4 published with sections
    that could not be computed)."""
    if not result.ok:
        failed = next(n for n in result.notebooks if n.status == "failed")
        print(f"FAILED: {failed.error}. The executed notebook (with the error) is in "
              f"{result.run_dir}; {out / 'latest'} was not changed.")
        return 1
    print(f"Reports: {out / 'latest' / 'index.html'} (run {result.run_id}, "
          f"{sum(n.status == 'ok' for n in result.notebooks)} reports)")
    failures = result.sections_failed
    if failures:
        print(f"Published, but {len(failures)} section(s) could not be computed "
              f"(each says so in its report; tracebacks in {result.run_dir / 'kernel.log'}):")
        for name, failure in failures:
            print(f"  {name}, “{failure['section']}”: {failure['reason']}")
        return SECTIONS_FAILED
    return 0


def _parameters(args) -> dict:
    """Parameters from --config (YAML mapping) then --param NAME=VALUE (text, typed later)."""
    import yaml

    given: dict = {}
    if args.config:
        try:
            content = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise ParameterError(f"{args.config}: cannot be read as YAML ({error}).") from None
        if not isinstance(content, dict):
            raise ParameterError(f"{args.config}: expected a mapping of parameter names to values.")
        given.update(content.get("parameters", content))
    for item in args.param or []:
        if "=" not in item:
            raise ParameterError(f"--param must look like NAME=VALUE, but {item!r} was passed.")
        name, value = item.split("=", 1)
        given[name.strip()] = value
    return given


def _select(only: str | None) -> list[Path]:
    from cxex_analysis.run.parameters import list_notebooks

    notebooks = list_notebooks()
    if not only:
        return notebooks
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    chosen = [nb for nb in notebooks if any(nb.stem == w or nb.stem.startswith(w) for w in wanted)]
    if not chosen:
        raise ParameterError(f"--only {only!r} matches no notebook; available: "
                             + ", ".join(nb.stem for nb in notebooks))
    return chosen


def cmd_run(args) -> int:
    from cxex_analysis.run import runner
    from cxex_analysis.run.parameters import check_parameters
    from cxex_analysis.store.ingest import ingest
    from cxex_analysis.store.warehouse import describe, target

    if bool(args.data) == bool(args.warehouse) and not (args.data and args.warehouse):
        raise ParameterError("give --data DIR (ingest, then run) or --warehouse FILE (run only).")
    notebooks = _select(args.only)
    parameters = _parameters(args)
    warehouse = target(args.warehouse)
    check_parameters(notebooks, {**parameters, "warehouse": str(warehouse)})  # before the ingest
    if args.data:
        print(f"Ingesting {args.data} into {describe(warehouse)} …")
        _print_report(ingest(args.data, warehouse, progress=print))
    if args.scheduler and args.executor != "dask":
        raise ParameterError("--scheduler is for --executor dask.")
    result = runner.run(warehouse, args.out, notebooks, parameters, workers=args.workers,
                        executor=args.executor, scheduler=args.scheduler, pdf=args.pdf,
                        strict=args.strict or None)
    return _finished(result, Path(args.out))


def cmd_pdf(args) -> int:
    from cxex_analysis.run.publish import print_run

    run_dir = Path(args.run_dir)
    printed = print_run(run_dir, force=args.force, progress=print)
    total = sum(p.seconds for p in printed)
    print(f"{len(printed)} PDF(s) written in {run_dir.resolve()} ({total:.1f} s, "
          f"{total / max(len(printed), 1):.1f} s a report)")
    return 0


def cmd_clean(args) -> int:
    from cxex_analysis.run.run_folders import clean

    if args.keep < 1:
        raise ParameterError(f"--keep must be at least 1 (the run `latest` points at), not {args.keep}.")
    out = Path(args.out)
    if not out.is_dir():
        raise ParameterError(f"--out {out}: " + ("a file, not a reports folder." if out.exists()
                                                  else "no such reports folder."))
    done = clean(out, args.keep, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for name in done.removed:
        print(f"{verb} {out / name}")
    if done.not_cxex:
        print(f"left alone, not made by cxex: {', '.join(done.not_cxex)}")
    print(f"{len(done.removed)} folder(s) {'would be ' if args.dry_run else ''}removed "
          f"({done.freed_bytes / 1e6:,.1f} MB of finished runs), {len(done.kept)} run(s) kept; "
          "latest unchanged")
    return 0


DESIGN_FILES = ("pilots.csv", "pilot_assignments.csv", "design.json")


def _units_from(values: list[str] | None) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for item in values or []:
        column, sep, listed = item.partition("=")
        if not sep or not column.strip() or not listed.strip():
            raise ParameterError(f"--units-from must look like COLUMN=VALUE1,VALUE2 "
                                 f"(e.g. region=North,South), but {item!r} was passed.")
        chosen.setdefault(column.strip(), []).extend(v for v in listed.split(",") if v.strip())
    return chosen


def cmd_design(args) -> int:
    import pandas as pd

    from cxex_analysis.analyses.pilot_design import design
    from cxex_analysis.narrative.design_findings import design_lines
    from cxex_analysis.store.warehouse import connect, target

    out = Path(args.out)
    taken = [name for name in DESIGN_FILES if (out / name).exists()]
    if taken:
        raise ParameterError(f"--out {out}: {', '.join(taken)} already there; cxex never "
                             "replaces a file, so choose a new folder (then add the rows to "
                             "your data folder's files).")
    try:
        start = pd.Timestamp(args.start)
    except ValueError:
        raise ParameterError(f"--start must be a date such as 2026-04-01, not {args.start!r}.") from None
    con = connect(target(args.warehouse), read_only=True)
    try:
        made = design(con, args.pilot_id, args.name, args.outcome, args.mde, str(start.date()),
                      _units_from(args.units_from), args.exclude_pilots, args.design,
                      args.waves, args.power, args.alpha,
                      "each" if args.looks == "monthly" else args.looks, args.months, args.seed,
                      args.max_smd)
    finally:
        con.close()
    for line in design_lines(made):
        print(line)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([made.pilot]).to_csv(out / "pilots.csv", index=False)
    made.assignments.to_csv(out / "pilot_assignments.csv", index=False)
    (out / "design.json").write_text(json.dumps(made.registration(), indent=2, ensure_ascii=False)
                                     + "\n", encoding="utf-8")
    print(f"Wrote {', '.join(str(out / name) for name in DESIGN_FILES)}.")
    print("Add the two files' rows to your data folder's pilots and pilot_assignments files and "
          "put design.json in the data folder (or a folder inside it): the next cxex ingest "
          "keeps the registration and notebook 02 analyses the pilot as registered.")
    return 0


def _design_parser(sub) -> None:
    """The options of `cxex design`."""
    made = sub.add_parser("design", help="size a pilot from the organisation's history, "
                          "assign its units at random with balance, and write its registration")
    made.add_argument("--warehouse", help="DuckDB file (default: data/warehouse.duckdb) or "
                      "PostgreSQL URL, holding the organisation's history")
    made.add_argument("--pilot-id", required=True, help="the new pilot's id (not in the registry)")
    made.add_argument("--name", required=True, help="the pilot's name, as leaders will read it")
    made.add_argument("--outcome", required=True, help="primary outcome, e.g. nps, csat, "
                      "engagement_index, revenue")
    made.add_argument("--mde", type=float, required=True,
                      help="smallest effect worth detecting, in the outcome's units (5 = 5 points)")
    made.add_argument("--start", required=True, help="first day of the pilot, e.g. 2026-04-01")
    made.add_argument("--months", type=int, default=6, help="how long it runs (default 6)")
    made.add_argument("--units-from", action="append", metavar="COLUMN=V1,V2",
                      help="only units whose column holds one of the values (repeatable), "
                           "e.g. region=North,South")
    made.add_argument("--exclude-pilots", action="store_true",
                      help="leave out units already in another pilot")
    made.add_argument("--design", choices=("randomized", "staggered"), default="randomized",
                      help="all pilot units start together, or in randomized start waves")
    made.add_argument("--waves", type=int, default=3, help="start waves of a staggered design")
    made.add_argument("--power", type=float, default=0.8, help="chance of detecting --mde (0.8)")
    made.add_argument("--alpha", type=float, default=0.05, help="false-positive rate (0.05)")
    made.add_argument("--looks", choices=("final", "monthly"), default="final",
                      help="decide at the end (default) or look every month (every survey "
                           "wave for employee outcomes) with always-valid intervals")
    made.add_argument("--max-smd", type=float, default=0.1,
                      help="balance rule: re-draw until every |SMD| is below this (0.1)")
    made.add_argument("--seed", type=int, default=1, help="random seed of the assignment")
    made.add_argument("--out", required=True, help="new folder for pilots.csv, "
                      "pilot_assignments.csv and design.json")
    made.set_defaults(func=cmd_design)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxex", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate the demo organisation, ingest it, run every notebook")
    demo.add_argument("--out", help="reports folder (default: reports/)")
    demo.add_argument("--data", help="where the demo data files go (default: data/demo)")
    demo.add_argument("--warehouse", help="DuckDB file (default: data/warehouse.duckdb) "
                      "or PostgreSQL URL")
    demo.add_argument("--seed", type=int, default=20241, help="random seed (default 20241)")
    demo.add_argument("--data-only", action="store_true", help="generate and ingest only")
    demo.add_argument("--workers", type=int, default=2, help="warm kernels for fan-out reports")
    demo.add_argument("--pdf", action="store_true",
                      help="also write a PDF beside every HTML report (needs Chromium)")
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="run the notebooks and publish the HTML reports")
    run.add_argument("--data", help="data folder to validate and ingest first")
    run.add_argument("--warehouse", help="DuckDB file or PostgreSQL URL "
                     "(postgresql://USER@HOST:PORT/DB[?schema=NAME]; with --data: where to ingest)")
    run.add_argument("--out", required=True, help="reports folder; each run goes in OUT/<run_id>")
    run.add_argument("--config", help="YAML file of notebook parameters")
    run.add_argument("--only", help="comma-separated notebook names or prefixes (e.g. 00,01)")
    run.add_argument("--param", action="append", metavar="NAME=VALUE",
                     help="a notebook parameter (repeatable); checked before any kernel starts")
    run.add_argument("--workers", type=int, default=2, help="warm kernels for per-pilot and "
                     "per-group reports (default 2; fewer than 24 reports of a notebook run "
                     "on the run's own kernel)")
    run.add_argument("--executor", choices=("local", "dask"), default="local",
                     help="where per-pilot and per-group reports run: warm kernels on this "
                          "machine (default) or tasks on a Dask cluster")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask; "
                          "without it a local Dask cluster of --workers processes is started)")
    run.add_argument("--pdf", action="store_true",
                     help="also write a PDF beside every HTML report (needs Chromium)")
    run.add_argument("--strict", action="store_true",
                     help="stop at the first error in any cell: exit 1 and nothing published "
                          "(default: a section that fails says so in its report, the rest is "
                          "published and the exit code is 4; CXEX_STRICT=1 makes this the default)")
    run.set_defaults(func=cmd_run)

    pdf = sub.add_parser("pdf", help="write a PDF beside every HTML report of a finished run")
    pdf.add_argument("run_dir", metavar="RUN_DIR", help="a run folder, e.g. reports/latest")
    pdf.add_argument("--force", action="store_true", help="replace PDFs already in the folder")
    pdf.set_defaults(func=cmd_pdf)

    clean = sub.add_parser("clean", help="keep the last N successful runs of a reports folder, "
                           "remove older run folders and those of runs that stopped part-way")
    clean.add_argument("--out", required=True, help="reports folder (as given to cxex run)")
    clean.add_argument("--keep", type=int, default=5, help="successful runs to keep (default 5; "
                       "the run latest points at is always kept)")
    clean.add_argument("--dry-run", action="store_true",
                       help="say what would be removed and remove nothing")
    clean.set_defaults(func=cmd_clean)

    validate = sub.add_parser("validate", help="check a data folder against the contract")
    validate.add_argument("--data", required=True, help="folder with units.csv etc.")
    validate.add_argument("--mapping", help="Qualtrics column mapping (YAML)")
    validate.add_argument("--json", action="store_true", help="print one JSON object per table")
    validate.set_defaults(func=cmd_validate)

    ingest = sub.add_parser("ingest", help="validate and load a data folder into the warehouse")
    ingest.add_argument("--data", required=True, help="folder with units.csv etc.")
    ingest.add_argument("--warehouse", help="DuckDB file (default: data/warehouse.duckdb) "
                        "or PostgreSQL URL")
    ingest.add_argument("--mapping", help="Qualtrics column mapping (YAML)")
    ingest.set_defaults(func=cmd_ingest)
    _design_parser(sub)
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
