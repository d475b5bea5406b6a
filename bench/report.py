"""Report benchmark: the persona report of 1M customers, as HTML and as PDF.

Reuses the features benchmark's project (bench/data/features/c<N>_e<E>/, made once by
bench/features.py's `prepare`, which this calls). The report needs segments and the quality
report a build stores, so the first run runs `persona build` on that project once (the
segments stage and the quality report; later runs reuse them). Then it times, each in a
fresh process (wall time and peak memory of the whole process, Python start-up included):

- `persona report --format html` (cards, map, charts, a self-contained HTML file);
- `persona report --format pdf` (the same, laid out by WeasyPrint).

Writes the result table into docs/benchmarks.md (between the report markers).

Usage: python bench/report.py [--customers 1000000] [--events 20000000] [--lang zh]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from features import prepare as prepare_project
from measure import run_child_peak, write_section

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- report-benchmark:start -->", "<!-- report-benchmark:end -->"
TARGET_SECONDS = 30
SECTION = """
## Persona report: 1M customers

`bench/report.py` writes the persona report of the features benchmark's project (1M customers,
20M events, about 3M order lines), once its build has run the segments stage: every card's
aggregates over all customers, the segment map, about 15 charts, and the HTML file, then the
same laid out as PDF. Each run is a fresh `persona report` process.

"""


def build_once(folder: Path) -> float | None:
    """Build the project once if it has no segments or stored quality report; the seconds."""
    store = folder / ".persona" / "store.duckdb"
    con = duckdb.connect(str(store), read_only=True)
    try:
        tables = {r[0] for r in con.execute("show tables").fetchall()}
        quality = con.execute(
            "select count(*) from _persona_meta where key = 'quality_report'"
        ).fetchone()
    finally:
        con.close()
    if "segments" in tables and quality and quality[0]:
        return None
    print(f"building {folder} once (segments, quality report) ...", flush=True)
    started = time.perf_counter()
    command = [sys.executable, "-m", "persona", "build", "-p", str(folder), "--json"]
    run_child_peak(command)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args()
    folder = prepare_project(args.customers, args.events)
    built = build_once(folder)
    results = {}
    for fmt in ("html", "pdf"):
        target = folder / "out" / f"persona-report-{args.lang}.{fmt}"
        command = [sys.executable, "-m", "persona", "report", "-p", str(folder), "--out",
                   str(target), "--lang", args.lang, "--json"]  # fmt: skip
        print(f"persona report --format {fmt} ...", flush=True)
        wall, peak, out = run_child_peak(command)
        written = Path(json.loads(out)["file"])
        results[fmt] = {"wall": wall, "peak": peak, "bytes": written.stat().st_size}
        print(f"  {wall:.1f} s, {peak:.2f} GB, {written.stat().st_size / 1e6:.1f} MB", flush=True)
    write_doc(folder, args, results, built)


def write_doc(
    folder: Path,
    args: argparse.Namespace,
    results: dict[str, dict[str, float]],
    built: float | None,
) -> None:
    """Replace the report section's measured part of docs/benchmarks.md."""
    con = duckdb.connect(str(folder / ".persona" / "store.duckdb"), read_only=True)
    try:
        customers = con.execute("select count(*) from customers").fetchone()[0]
        segments = con.execute("select count(*) from segments").fetchone()[0]
    finally:
        con.close()
    worst = max(r["wall"] for r in results.values())
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; {customers:,} "
        f"customers in {segments} segments, report in {args.lang}."
        + (f" The one-off `persona build` before took {built:.0f} s." if built else ""),
        "",
        "| run | seconds | peak memory (GB) | file (MB) |",
        "|---|---:|---:|---:|",
        *(
            f"| `persona report --format {fmt}` | {r['wall']:.1f} | {r['peak']:.2f} | "
            f"{r['bytes'] / 1e6:.1f} |"
            for fmt, r in results.items()
        ),
        "",
        f"Slowest: **{worst:.1f} s** (target: at most {TARGET_SECONDS} s).",
        END,
    ]
    write_section(DOC, lines, SECTION)


if __name__ == "__main__":
    main()
