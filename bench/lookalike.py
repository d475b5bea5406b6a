"""Lookalike benchmark: `persona.analysis.lookalike.lookalike` on 1M customers.

Prepares once (cached in bench/data/lookalike/, reused when present): a copy of the built
2,000-customer demo of bench/audience.py (made there first when missing), whose customers,
features and segment members are replicated to about N customers with new ids, so the value
distributions are the demo's. Then opens it with `Project.open` (defaults: DuckDB, 3 GB
memory limit, both cores) and times, after one warm-up, whole lookalikes (seed selection,
training sample, two cross-fitted models, scoring every customer in the engine, choosing the
top N, hold-out estimates) for a few seeds, each asked for 10,000 customers.

Writes the seconds per seed into docs/benchmarks.md (between the lookalike markers). Expected
precision and AUC are not reported: every held-out member has copies in the training part of
replicated data, so they would mean nothing here (tests/analysis/test_lookalike.py checks them
on the demo).

Usage: python bench/lookalike.py [--customers 1000000] [--size 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date
from pathlib import Path

import duckdb

from audience import KEEP, demo, replicate
from measure import write_section
from persona import Project
from persona.analysis.lookalike import lookalike

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "lookalike"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- lookalike-benchmark:start -->", "<!-- lookalike-benchmark:end -->"
SECTION = """
## Lookalike: 1M customers

`bench/lookalike.py` replicates the built 2,000-customer demo to about 1M customers and times
whole lookalikes (seed selection, training sample, two cross-fitted logistic regressions,
scoring every customer inside the engine, choosing the top 10,000, hold-out estimates) for
three seeds after one warm-up. Target: a few tens of seconds at 1M customers.

"""
SEEDS = (
    "segment = '高价值活跃'",
    "monetary > 3000 and night_share > 0.3",
    "tag('price_sensitive') and city_tier <= 2",
)


def main() -> None:
    """Prepare the data, time the lookalikes, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=10_000)
    args = parser.parse_args()
    root = replicate(
        demo(),
        args.customers,
        into=DATA / f"c{args.customers}",
        keep=f"{KEEP}, customer_keys",
    )
    load = os.getloadavg()[0]
    rows = []
    with Project.open(root) as project:
        total = int(project.engine.fetch_all("select count(*) from customers")[0][0])
        lookalike(project, SEEDS[0], args.size)  # warm-up: imports, caches
        for seed in SEEDS:
            started = time.perf_counter()
            result = lookalike(project, seed, args.size, random_state=1)
            seconds = time.perf_counter() - started
            rows.append(f"| `{seed}` | {result.summary['seed']['members']:,} | {seconds:.1f} |")
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; {total:,} customers, "
        f"top {args.size:,}; load average {load:.1f} when the run started.",
        "",
        "| seed | seed members | seconds |",
        "|---|---:|---:|",
        *rows,
        END,
    ]
    write_section(DOC, lines, SECTION)


if __name__ == "__main__":
    main()
