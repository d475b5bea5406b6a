"""Segments benchmark: the segments stage on 1M customers, with its default settings.

Reuses the built 1M-customer project of bench/features.py (bench/data/features/, made there
once when missing) and copies its store to bench/data/work/segments/, so the features benchmark's
store stays untouched. Then times, in a fresh process, `Project.segments.fit()`: the sample of
50,000, the transforms, k-means for every k of 2..10 with silhouette and Calinski-Harabasz,
the bootstrap stability (10 resamples), the assignment of every customer inside the engine, the
profiles, names and evidence, and the writes. Writes the result into docs/benchmarks.md (between
the segments markers).

Usage: python bench/segments.py [--customers 1000000] [--events 20000000]
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
import sklearn

from features import prepare
from measure import run_child_peak, write_section

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "data" / "work" / "segments"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- segments-benchmark:start -->", "<!-- segments-benchmark:end -->"
SECTION = """
## Segments: 1M customers

`bench/segments.py` runs the segments stage (`persona segments fit`, default settings) on the
1M-customer project of the features benchmark, in a fresh process: a sample of 50,000
customers, k-means for every k from 2 to 10 (each on 20,000 of them) scored by silhouette (on
5,000) and Calinski-Harabasz, the chosen k fitted on the whole sample, 10 bootstrap resamples for
the stability, then every customer assigned inside the engine by one SQL expression, each segment
profiled against everyone and named. The benchmark's customers are random draws without planted
groups, so its k and stability say nothing about quality (the demo test does: docs/segments.md).

"""
TARGET = 60.0
"""Seconds the whole stage may take on 1M customers."""

CHILD = """
import json, sys, time
from persona import Project
with Project.open(sys.argv[1]) as project:
    started = time.perf_counter()
    report = project.segments.fit()
    seconds = time.perf_counter() - started
    members = project.engine.fetch_all("select count(*) from segment_members")[0][0]
print(json.dumps({"seconds": seconds, "report": {
    "k": report.k, "stability": report.stability, "segmented": report.segmented,
    "timings": report.timings, "segments": report.segments}, "members": members}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    args = parser.parse_args()
    folder = prepare(args.customers, args.events)
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / ".persona").mkdir(parents=True)
    shutil.copy(folder / "persona.yaml", WORK / "persona.yaml")
    shutil.copy(folder / ".persona" / "store.duckdb", WORK / ".persona" / "store.duckdb")
    seconds, peak, output = run_child_peak([sys.executable, "-c", CHILD, str(WORK)])
    result = json.loads(output.strip().splitlines()[-1])
    if result["members"] != result["report"]["segmented"]:
        raise SystemExit(
            f"{result['members']} members for {result['report']['segmented']} customers"
        )
    write_doc(args, seconds, peak, result)
    shutil.rmtree(WORK, ignore_errors=True)


def write_doc(args: argparse.Namespace, process: float, peak: float, result: dict) -> None:
    report = result["report"]
    timings = report["timings"]
    names = ", ".join(
        f"{s['name_en']} {s['size']:,}"
        for s in sorted(report["segments"], key=lambda s: -s["size"])
    )
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, scikit-learn "
        f"{sklearn.__version__}; {report['segmented']:,} customers.",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| fit: sample, transforms, k = 2..10, stability | {timings['fit']:.1f} |",
        f"| assignment of every customer in the engine | {timings['assign']:.1f} |",
        f"| profiles, ids, names, evidence | {timings['name']:.1f} |",
        f"| writing the tables | {timings['write']:.1f} |",
        f"| **the stage** (`segments.fit()`) | **{result['seconds']:.1f}** |",
        f"| the whole process (start-up, opening the store) | {process:.1f} |",
        "",
        f"Target: at most {TARGET:.0f} s for 1M customers: "
        f"{'met' if result['seconds'] <= TARGET else 'missed'}. Peak memory {peak:.2f} GB. "
        f"k = {report['k']} (silhouette), stability {report['stability']:.2f}; segments: {names}.",
        END,
    ]
    write_section(DOC, lines, SECTION)


if __name__ == "__main__":
    main()
