"""Ingest benchmark: validate and load N customer responses (default 10 million).

Prints rows per second for validate-and-load (CSV read, every contract rule, quarantine,
typed load into the DuckDB warehouse) and the process's peak memory; with ``--postgres URL``
the same files loaded into PostgreSQL too (checks in DuckDB, then one transaction of binary
COPY), side by side. Target on 2 cores: >= 1 million rows/s and < 4 GB on both.

    python benchmarks/ingest.py [--rows 10000000] [--keep DIR] [--postgres URL]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from cxex_analysis.store.ingest import ingest


def make_files(folder: Path, rows: int, units: int = 5000, bad_every: int = 100_000) -> None:
    """Write units.csv and a customer_survey.csv of ``rows`` rows (with a few bad rows)."""
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'U' || lpad(CAST(i AS VARCHAR), 5, '0') AS unit_id,
                         'Region ' || (i % 12) AS region,
                         ['store', 'branch', 'call_centre'][1 + i % 3] AS unit_type
                  FROM range({units}) t(i)) TO '{folder / "units.csv"}' (HEADER)""")
    con.execute(f"""COPY (
        SELECT 'C' || i AS response_id,
               strftime(TIMESTAMP '2024-01-01' + to_seconds(CAST(hash(i) % 63000000 AS BIGINT)),
                        '%Y-%m-%dT%H:%M:%SZ') AS responded_at,
               'U' || lpad(CAST(hash(i * 7) % {units} AS VARCHAR), 5, '0') AS unit_id,
               ['store', 'phone', 'chat', 'web'][1 + CAST(hash(i * 3) % 4 AS INTEGER)] AS channel,
               CASE WHEN i % {bad_every} = 17 THEN 11 ELSE CAST(hash(i * 11) % 11 AS INTEGER) END AS nps,
               1 + CAST(hash(i * 13) % 5 AS INTEGER) AS csat,
               CASE WHEN i % 3 = 0 THEN NULL ELSE 1 + CAST(hash(i * 17) % 7 AS INTEGER) END AS ces,
               CASE WHEN i % 2 = 0 THEN 'true' ELSE 'false' END AS resolved_first_contact,
               CASE WHEN i % 5 = 0 THEN 'Quick and friendly service, thank you' ELSE NULL END AS comment,
               'K' || (hash(i * 19) % 2000000) AS customer_key
        FROM range({rows}) t(i)) TO '{folder / "customer_survey.csv"}' (HEADER)""")
    con.close()


def server_ceiling(url: str) -> str:
    """How fast the PostgreSQL server writes the loaded rows with no client at all (INSERT …
    SELECT into a new table, rolled back): no loader can beat it on this machine."""
    from cxex_analysis.store.postgres import Connection

    con = Connection(url, read_only=False)
    try:
        rows = con.execute("SELECT count(*) FROM customer_survey").fetchone()[0]
        con.execute("BEGIN")
        started = time.perf_counter()
        con.execute("CREATE TABLE ceiling_probe (LIKE customer_survey)")
        con.execute("INSERT INTO ceiling_probe SELECT * FROM customer_survey")
        seconds = time.perf_counter() - started
        con.execute("ROLLBACK")
    finally:
        con.close()
    return (f"  the server's own ceiling (INSERT ... SELECT of the same rows inside PostgreSQL, "
            f"no client): {rows / seconds / 1e6:.2f} million rows/s")


def peak_memory_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", help="folder to keep the generated files in")
    parser.add_argument("--postgres", metavar="URL", help="also load into this PostgreSQL "
                        "database (postgresql://USER@HOST:PORT/DB; its cxex schema is replaced)")
    args = parser.parse_args(argv)

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cxex-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        make_files(folder, args.rows)
        size = (folder / "customer_survey.csv").stat().st_size
        print(f"generated {args.rows:,} customer responses ({size / 1e9:.2f} GB CSV) in "
              f"{time.perf_counter() - started:.1f} s")
        memory_before = peak_memory_gb()
        targets = [("DuckDB", folder / "warehouse.duckdb")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        for name, target in targets:
            said: list[str] = []
            started = time.perf_counter()
            report = ingest(folder, target, progress=said.append)
            seconds = time.perf_counter() - started
            table = report.tables["customer_survey"]
            assert table.rows_read == table.rows_accepted + table.rows_quarantined
            print(f"validate + load into {name:10s}: {table.rows_read:,} rows in {seconds:6.2f} s = "
                  f"{table.rows_read / seconds / 1e6:.2f} million rows/s "
                  f"({table.rows_accepted:,} accepted, {table.rows_quarantined:,} quarantined)")
            for line in said:
                if line.startswith("  loading into PostgreSQL:") and " in " in line:
                    print(f"  of which the load (one transaction, binary COPY):{line.split(':', 1)[1]}")
        if args.postgres:
            print(server_ceiling(args.postgres))
        print(f"peak memory (process): {peak_memory_gb():.2f} GB "
              f"(before ingest: {memory_before:.2f} GB)")
        print("target: >= 1.00 million rows/s on 2 cores into each warehouse, peak < 4 GB")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
