"""Audience benchmark: latency of `project.audiences.count` for random 5-clause expressions.

Prepares once (cached in bench/data/audience/, reused when present): the demo project
(`generate_demo`, 2,000 customers, seed 7) built with `persona build`, then, per size, a copy
of its store whose customers, features, tags and segment members are replicated to N customers
with new ids (customers keep only the columns expressions may read), so the value
distributions are the demo's. Then opens each store with `Project.open` (defaults: DuckDB,
3 GB memory limit, both cores), warms it with 5 counts, and times `count` (the full result with
the k-protected breakdown by segment, city, gender and lifecycle, as `persona audience count`
prints it) and `raw_count` (the total alone) for random 5-clause expressions over numeric
comparisons, `in` lists, `between`, `is null` and yes/no tags, with values drawn from the data.

Writes p50/p95 into docs/benchmarks.md (between the audience markers).

Usage: python bench/audience.py [--sizes 1000000 10000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import time
from datetime import date
from pathlib import Path

import duckdb

from measure import write_section
from persona import Project
from persona.demo import generate_demo

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "audience"
DOC = ROOT / "docs" / "benchmarks.md"
LOAD = os.getloadavg()[0]
START, END = "<!-- audience-benchmark:start -->", "<!-- audience-benchmark:end -->"
SECTION = """
## Audience counts: 1M and 10M customers

`bench/audience.py` replicates the built 2,000-customer demo (features, tags, segments,
consent) to 1M and 10M customers with new ids, then times `project.audiences.count` on random
5-clause expressions (numeric comparisons, `in` lists, `between`, `is null`, yes/no tags,
joined by `and`/`or`, values drawn from the data) after 5 warm-up counts (the first makes the
audience file, `.persona/audience.duckdb`; its time is reported apart). Counts run on the
locked reader (read-only, no external access, configuration locked). "count" is the full
result of `persona audience count` (total, consent, the k-protected breakdown by segment,
city, gender and lifecycle: one engine query); "total only" is the count without breakdown.
Targets: p95 at most 50 ms on 1M customers and 200 ms on 10M.

"""
KEEP = (
    "customer_id, gender, age, education, occupation, city, province, country, "
    "registered_at, consent_analytics, consent_profiling, consent_marketing"
)


def demo() -> Path:
    """The built demo project (made once)."""
    root = DATA / "demo"
    if not (root / ".persona" / "built").exists():
        shutil.rmtree(root, ignore_errors=True)
        generate_demo(root, customers=2000, seed=7)
        with Project.open(root) as project:
            project.build()
        (root / ".persona" / "built").touch()
    return root


def replicate(source: Path, customers: int, *, into: Path | None = None, keep: str = KEEP) -> Path:
    """A project of about `customers` customers replicated from `source` (made once).

    Args:
        source: The built demo project.
        customers: About how many customers to make (whole copies of the demo's).
        into: The project folder (default: bench/data/audience/c<customers>).
        keep: The columns of `customers` to keep.
    """
    root = into or DATA / f"c{customers}"
    if (root / ".persona" / "built").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / ".persona").mkdir(parents=True)
    shutil.copy(source / "persona.yaml", root / "persona.yaml")
    shutil.copy(source / ".persona" / "store.duckdb", root / ".persona" / "store.duckdb")
    with Project.open(root) as project:
        engine = project.engine
        base = int(engine.fetch_all("select count(*) from customers")[0][0])
        copies = max(1, round(customers / base))  # about `customers`; the table says how many
        new_id = "customer_id || '-' || r::VARCHAR"
        for table, columns in (
            ("customers", keep),
            ("features", "*"),
            ("tags", "*"),
            ("segment_members", "*"),
        ):
            engine.execute(
                f"create table _big as select * replace ({new_id} as customer_id) from "
                f"(select {columns} from {table}), range({copies}) t(r)"
            )
            engine.execute(f"drop table {table}")
            engine.execute(f"alter table _big rename to {table}")
        engine.execute("checkpoint")
    (root / ".persona" / "built").touch()
    return root


def expressions(project: Project, n: int, seed: int = 5) -> list[str]:
    """`n` random 5-clause expressions over the project's columns, values from the data."""
    sample = project.engine.fetch_df(
        "select f.*, t.* exclude (customer_id) from features f join tags t using (customer_id) "
        "using sample 2000 rows"
    )
    types = dict(
        project.engine.fetch_all(
            "select column_name, data_type from duckdb_columns() "
            "where table_name in ('features', 'tags')"
        )
    )
    numeric = [c for c in sample if types.get(c) in ("INTEGER", "BIGINT", "DOUBLE")]
    text = [c for c in sample if types.get(c) == "VARCHAR" and c != "customer_id"]
    flags = [
        str(row[0])
        for row in project.engine.fetch_all(
            "select column_name from duckdb_columns() "
            "where table_name = 'tags' and data_type = 'BOOLEAN'"
        )
    ]
    rng = random.Random(seed)

    def value(column: str) -> str:
        found = sample[column].dropna()
        picked = found.iloc[rng.randrange(len(found))]
        picked = picked.item() if hasattr(picked, "item") else picked
        return "'" + str(picked).replace("'", "''") + "'" if column in text else repr(picked)

    def clause() -> str:
        kind = rng.choice(["compare", "compare", "between", "in", "null", "tag"])
        if kind == "compare":
            column = rng.choice(numeric)
            return f"{column} {rng.choice(['<', '<=', '>', '>=', '!='])} {value(column)}"
        if kind == "between":
            column = rng.choice(numeric)
            low, high = sorted(float(value(column)) for _ in range(2))
            return f"{column} between {low!r} and {high!r}"
        if kind == "in":
            column = rng.choice(text)
            return f"{column} in ({', '.join(value(column) for _ in range(3))})"
        if kind == "null":
            return f"{rng.choice(numeric + text)} is not null"
        return f"tag('{rng.choice(flags)}')"

    found = []
    for _ in range(n):
        parts = [clause() for _ in range(5)]
        text_ = parts[0]
        for part in parts[1:]:
            text_ = f"({text_}) {rng.choice(['and', 'or'])} {part}"
        found.append(text_)
    return found


def measure(root: Path, queries: int) -> tuple[int, float, dict[str, list[float]]]:
    """The customers, the seconds of making the audience file, and milliseconds of count and
    raw_count per expression."""
    with Project.open(root) as project:
        customers = int(project.engine.fetch_all("select count(*) from customers")[0][0])
        chosen = expressions(project, queries)
        project.audiences.invalidate()
        started = time.perf_counter()
        project.audiences.count(chosen[0])  # makes the audience file
        made = time.perf_counter() - started
        for expression in chosen[:5]:
            project.audiences.count(expression)
        times: dict[str, list[float]] = {"count": [], "total only": []}
        for expression in chosen:
            started = time.perf_counter()
            project.audiences.count(expression)
            times["count"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            project.audiences.raw_count(expression)
            times["total only"].append((time.perf_counter() - started) * 1000)
    return customers, made, times


def p(values: list[float], q: float) -> float:
    """The q-quantile (0-1) of values."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def write(results: dict[int, dict[str, list[float]]], made: dict[int, float], queries: int) -> None:
    """Replace the audience section's measured part of docs/benchmarks.md."""
    rows = []
    for customers, times in results.items():
        for name, values in times.items():
            target = (50 if customers < 5_000_000 else 200) if name == "count" else None
            verdict = "" if target is None else ("met" if p(values, 0.95) <= target else "missed")
            rows.append(
                f"| {customers:,} | {name} | {p(values, 0.5):.1f} | {p(values, 0.95):.1f} | "
                f"{f'{target} ({verdict})' if target else ''} |"
            )
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; {queries} random "
        f"5-clause expressions per size; load average {LOAD:.1f} when the run started (other "
        "work on the machine slows every number).",
        "",
        "| customers | operation | p50 ms | p95 ms | target p95 ms |",
        "|---:|---|---:|---:|---|",
        *rows,
        "",
        "Making the audience file (once after each build, on the first count): "
        + ", ".join(f"{s:.1f} s at {c:,} customers" for c, s in made.items())
        + ".",
        END,
    ]
    write_section(DOC, lines, SECTION)


def main() -> None:
    """Prepare the stores, time the counts, write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    source = demo()
    results, made = {}, {}
    for customers in args.sizes:
        root = replicate(source, customers)
        actual, made[actual], times = measure(root, args.queries)
        results[actual] = times
        for name, values in times.items():
            print(f"{actual:,} {name}: p50 {p(values, 0.5):.1f} ms, p95 {p(values, 0.95):.1f} ms")
    write(results, made, args.queries)


if __name__ == "__main__":
    main()
