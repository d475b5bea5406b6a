"""Forget benchmark: `persona forget` of one person in a 1M-customer, 20M-event project.

Reuses the built project of bench/features.py (bench/data/features/, made there once when
missing) and copies its store to bench/data/work/forget/, so the features benchmark's store
stays untouched. Then times, in a fresh process, `Project.forget` of a customer with profile
records and events: finding every table that may hold them, deleting their rows from every raw,
clean, derived and snapshot table, redacting mentions, suppressing their identifiers, deleting
the audience file and recomputing the stored quality report. Checks afterwards that no table
holds their id. Writes the result into docs/benchmarks.md (between the forget markers).

Usage: python bench/forget.py [--customers 1000000] [--events 20000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb

from features import prepare
from measure import run_child_peak, write_section

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "data" / "work" / "forget"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- forget-benchmark:start -->", "<!-- forget-benchmark:end -->"
SECTION = """
## Forget: one person in 1M customers and 20M events

`bench/forget.py` runs `persona forget` (`Project.forget`) for one customer of the features
benchmark's project, in a fresh process, on a copy of its store, then checks that no table still
holds the customer's id.

"""

CHILD = """
import json, sys, time
from persona import Project
with Project.open(sys.argv[1]) as project:
    engine = project.engine
    customer = engine.fetch_all(
        "select customer_id from customers where has_events order by customer_id "
        "limit 1 offset 12345")[0][0]
    started = time.perf_counter()
    result = project.forget(customer)
    seconds = time.perf_counter() - started
    engine = project.engine  # forget swapped in a fresh copy of the store
    left = 0
    for (table,) in engine.fetch_all(
        "select distinct table_name from duckdb_columns() where column_name = 'customer_id' "
        "and schema_name = 'main' and not internal"
    ):
        left += engine.fetch_all(
            f'select count(*) from "{table}" where customer_id = ?', [customer])[0][0]
print(json.dumps({"seconds": seconds, "removed": result.removed, "left": left}))
"""


def main() -> None:
    """Copy the store, forget one customer in a fresh process, write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    args = parser.parse_args()
    folder = prepare(args.customers, args.events)
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / ".persona").mkdir(parents=True)
    shutil.copy(folder / "persona.yaml", WORK / "persona.yaml")
    shutil.copytree(folder / "data", WORK / "data")
    shutil.copy(folder / ".persona" / "store.duckdb", WORK / ".persona" / "store.duckdb")
    load = os.getloadavg()[0]
    seconds, peak, output = run_child_peak([sys.executable, "-c", CHILD, str(WORK)])
    result = json.loads(output.strip().splitlines()[-1])
    if result["left"]:
        raise SystemExit(f"{result['left']} rows still hold the forgotten customer's id")
    removed = ", ".join(f"{table} {n:,}" for table, n in sorted(result["removed"].items()))
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
        f"{args.customers:,} customers, {args.events:,} events; load average {load:.1f} when "
        "the run started.",
        "",
        f"`forget`: **{result['seconds']:.1f} s** (whole process {seconds:.1f} s, peak memory "
        f"{peak:.2f} GB). Rows removed: {removed}. Afterwards no table holds the id.",
        END,
    ]
    write_section(DOC, lines, SECTION)
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
