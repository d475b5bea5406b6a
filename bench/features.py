"""Features benchmark: Persona's features stage against a straightforward pandas implementation.

Prepares once (cached in bench/data/features/, reused when present): a project of N customers
(profiles), E events and about 3N order lines as Parquet files generated with numpy (fixed
seed), built with `persona build` (deterministic identity only), and the clean inputs exported
to Parquet for pandas (clean events, clean order lines, customer_key -> customer_id).

Then times each run in a fresh process (wall time and peak memory of the whole process):

- each entry of `RUNS`: a Persona stage on the prepared store: the features stage, the tags
  stage, and a whole incremental `persona build` after 1% new events (on a copy of the store),
  each of its stages timed;
- the baseline: bench/features_pandas.py, the same transaction and event features in plain
  pandas (reading the Parquet inputs included).

Compares the pandas result with Persona's `features` table, column by column over every
customer, and writes the result table into docs/benchmarks.md (between the features markers).

Usage: python bench/features.py [--customers 1000000] [--events 20000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from measure import run_child_peak, write_section

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "features"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- features-benchmark:start -->", "<!-- features-benchmark:end -->"
SECTION = """
## Features and tags: 1M customers, 20M events

`bench/features.py` generates (once) 1M customers, 20M events over a year and about 3M order
lines (some refunded, returned or cancelled, some negative refund lines and credit notes),
builds the project with deterministic identity, then times, each in a fresh process, Persona's
features stage on the built store and a straightforward pandas implementation of the same
transaction and event features (`bench/features_pandas.py`: `groupby`/`agg`, no per-row
Python) that reads the same clean inputs, exported to Parquet beforehand; reading them is part
of its time. Persona's stage also computes the profile family (and the empty survey and social
ones). Both results are compared on every customer, column by column. Persona runs with the
defaults of `Project.open` (DuckDB, 3 GB memory limit, both cores); pandas is single-threaded,
as written. The pandas version gives each record the customer of its `customer_key` and reads
no coupons, which is all this data has. The incremental run adds 1% new events to a copy of the
store and times a whole `persona build` (every stage) against the full build of preparation.

"""
SEED = 20261128
TIMEZONE = "Asia/Shanghai"
FIRST_DAY = datetime(2025, 11, 1, tzinfo=ZoneInfo(TIMEZONE))
DAYS = 365
LAST_MICROS = (int(FIRST_DAY.timestamp()) + DAYS * 86400 - 1) * 1_000_000
"""The data's last possible time: the end of its last local day, in UTC epoch microseconds."""
LINES_PER_CUSTOMER = 3

PROJECT = """project: features-bench
timezone: Asia/Shanghai
identity: {probabilistic: false}
sources:
  - name: crm
    kind: profiles
    path: data/profiles.parquet
  - name: tracking
    kind: events
    path: data/events.parquet
  - name: orders
    kind: transactions
    path: data/orders.parquet
"""


@dataclass(frozen=True)
class Run:
    """One timed Persona run: a child snippet given the project folder as ``sys.argv[1]``.

    The snippet prints one JSON object as its last line, with at least ``seconds`` (the
    stage's own time, without start-up and store opening). Runs share the prepared store: a
    run that changes it (an incremental refresh appending data) must put it back, or work on
    a copy, so that the next benchmark starts from the same state.
    """

    label: str
    code: str


RUNS: dict[str, Run] = {
    "features": Run(
        "Persona features stage (`Project.open(...).features()`, full recompute)",
        """
import json, sys, time
from persona import Project
with Project.open(sys.argv[1]) as project:
    started = time.perf_counter()
    report = project.features()
    seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "customers": report.customers,
                  "as_of": report.as_of.isoformat()}))
""",
    ),
    "tags": Run(
        "Persona tags stage (`project.tags.run()`: the built-in catalog, every customer)",
        """
import json, sys, time
from persona import Project
with Project.open(sys.argv[1]) as project:
    started = time.perf_counter()
    report = project.tags.run()
    seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "customers": report.customers, "tags": len(report.tags)}))
""",
    ),
    "incremental": Run(
        "Incremental `persona build` after 1% new events (every stage; features and tags for "
        "the affected customers only), on a copy of the store",
        """
import functools, json, os, shutil, sys, time
from datetime import UTC
from pathlib import Path
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import persona.project
from persona import Project

source = Path(sys.argv[1])
work = source / "out" / "incremental"
shutil.rmtree(work, ignore_errors=True)
(work / "data").mkdir(parents=True)
(work / ".persona").mkdir()
for name in ("profiles", "events", "orders"):
    os.symlink(source / "data" / f"{name}.parquet", work / "data" / f"{name}.parquet")
shutil.copy(source / ".persona" / "store.duckdb", work / ".persona" / "store.duckdb")
config = (source / "persona.yaml").read_text(encoding="utf-8")
(work / "persona.yaml").write_text(
    config.replace("path: data/events.parquet", "path: data/events*.parquet"), encoding="utf-8"
)
# 1% new events (late-arriving, inside the data's period, so the as-of time stays): a day's
# active users, 2% of the customers with 10 events each.
events = pq.ParquetFile(source / "data" / "events.parquet")
rows = events.metadata.num_rows // 100
rng = np.random.default_rng(11)
stages = {}

def timed(name, function):
    @functools.wraps(function)
    def run(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - started
    return run

with Project.open(work) as project:
    keys = [r[0] for r in project.engine.fetch_all(
        "select customer_key from clean_profiles using sample 2 percent (bernoulli, 7)")]
    latest = project.engine.fetch_all("select max(timestamp) from clean_events")[0][0]
    template = events.read_row_group(0).slice(0, rows)
    who = np.repeat(np.array(keys), -(-rows // len(keys)))[:rows]
    stamps = np.datetime64(latest.astimezone(UTC).replace(tzinfo=None), "us") - rng.integers(
        60_000_000, 2 * 86_400_000_000, rows).astype("timedelta64[us]")
    fresh = template.set_column(0, "customer_key", pa.array(who)).set_column(
        2, "timestamp", pa.array(stamps, pa.timestamp("us", tz="UTC")))
    pq.write_table(fresh, work / "data" / "events_new.parquet")
    # The build's stages, timed where `Project.build` calls them.
    for name in ("ingest", "clean", "resolve", "quality"):
        setattr(project, name, timed(name, getattr(project, name)))
    project.tags.run = timed("tags", project.tags.run)
    project.segments.fit = timed("segments", project.segments.fit)
    persona.project.run_features = timed("features", persona.project.run_features)
    persona.project.write_snapshot = timed("snapshot", persona.project.write_snapshot)
    started = time.perf_counter()
    result = project.build()
    build = time.perf_counter() - started
assert result.features.incremental, result.features.full_reason
assert result.resolve.reused
shutil.rmtree(work)
print(json.dumps({"seconds": stages["features"] + stages["tags"], "build_seconds": build,
                  "stages": stages, "recomputed": result.features.recomputed,
                  "new_events": rows}))
""",
    ),
}
"""Timed Persona runs, in order; the first is the one the pandas baseline is compared with."""
TARGET_RUNS = ("features", "tags")
"""Runs whose process times together have the 60 s target."""

PANDAS = ROOT / "bench" / "features_pandas.py"

COMPARED = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "first_order_at",
    "last_order_at",
    "previous_order_at",
    "first_order_channel",
    "orders_7d",
    "orders_30d",
    "orders_90d",
    "orders_365d",
    "spend_7d",
    "spend_30d",
    "spend_90d",
    "spend_365d",
    "discount_share",
    "avg_discount",
    "refund_rate",
    "top_category",
    "top_category_share",
    "category_count",
    "top_channel",
    "top_payment_method",
    "event_count",
    "events_7d",
    "events_30d",
    "events_90d",
    "active_days_30d",
    "active_days_90d",
    "sessions",
    "avg_session_events",
    "views",
    "searches",
    "add_to_cart",
    "favorites",
    "purchases",
    "shares",
    "logins",
    "night_share",
    "weekend_share",
    "top_hour",
    "top_weekday",
    "top_event_channel",
    "last_event_at",
    "last_event",
    "days_since_last_event",
)
"""Columns of the pandas result compared with Persona's `features` table."""


# -- data ------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, size: int, weights: dict[str | None, float]) -> pa.Array:
    """`size` values drawn with the given weights, as an Arrow string array (None is null)."""
    values = list(weights)
    p = np.array(list(weights.values()))
    indices = rng.choice(len(values), size=size, p=p / p.sum())
    return pa.array(values, pa.string()).take(pa.array(indices))


def _ids(prefix: str, numbers: np.ndarray, width: int, nulls: np.ndarray | None = None) -> pa.Array:
    """Arrow strings ``<prefix><number zero-padded to width>`` (null where `nulls`)."""
    text = pc.utf8_lpad(pc.cast(pa.array(numbers, mask=nulls), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def _draw(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """`size` indices drawn in proportion to `weights`."""
    cumulative = np.cumsum(weights)
    picks = np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")
    return np.minimum(picks, len(weights) - 1)


def _times(rng: np.random.Generator, days: np.ndarray, hour_weights: list[float]) -> np.ndarray:
    """UTC epoch microseconds of local times on `days` (days after FIRST_DAY), hours weighted."""
    p = np.array(hour_weights) / sum(hour_weights)
    hours = rng.choice(24, size=len(days), p=p)
    seconds = days * 86400 + hours * 3600 + rng.integers(0, 3600, len(days))
    return (int(FIRST_DAY.timestamp()) + seconds) * 1_000_000


# Local hour profiles: a quiet night (with a tail of night owls), an evening peak.
EVENT_HOURS = [3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 8, 7, 7, 7, 7, 8, 9, 11, 12, 12, 9, 5]
ORDER_HOURS = [2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 6, 7, 8, 8, 7, 6, 6, 6, 7, 8, 10, 12, 12, 8, 4]
CATEGORIES = ["母婴", "数码", "美妆", "食品", "服饰", "家居", "运动", "图书", "宠物", "家电"]
CHANNELS = {"app": 5, "web": 2, "miniprogram": 3, "store": 1}


def generate(folder: Path, customers: int, events: int) -> dict[str, int]:
    """Write data/profiles.parquet, data/events.parquet and data/orders.parquet; return counts.

    Customers have an activity level (15% never show up in the tracking, 35% never buy) and an
    active period within the year (so recency and the windows vary); about 3 order lines per
    customer, in orders of 1-5 lines, with status variants (paid, completed, refunded, 退款,
    cancelled, 已取消, none), returned lines inside paid orders, later refund lines (negative
    amounts) and separate credit notes.
    """
    rng = np.random.default_rng(SEED)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    keys = _ids("C", np.arange(customers), 7)
    first = rng.integers(0, DAYS - 30, customers)
    last = np.minimum(first + rng.integers(5, DAYS + 1, customers), DAYS)

    registered = rng.integers(0, 6 * 365 * 86400, customers)
    pq.write_table(
        pa.table(
            {
                "customer_key": keys,
                "gender": _pick(rng, customers, {"男": 45, "女": 50, None: 5}),
                "city": _pick(
                    rng, customers, {"上海": 3, "北京": 3, "杭州": 2, "成都": 2, "嘉兴": 1, None: 1}
                ),
                "birth_date": pa.array(
                    rng.integers(-3650, 12800, customers).astype("datetime64[D]")
                ),
                "registered_at": pa.array(
                    (int(FIRST_DAY.timestamp()) - 1 - registered) * 1_000_000,
                    pa.timestamp("us", tz="UTC"),
                ),
            }
        ),
        data / "profiles.parquet",
    )

    activity = rng.lognormal(0, 1.2, customers)
    activity[rng.random(customers) < 0.15] = 0
    # Visits (sessions) of about 5 events each, within half an hour of the visit's start.
    visits = max(1, events // 5)
    visitor = _draw(rng, activity, visits)
    days = first[visitor] + (rng.random(visits) * (last - first)[visitor]).astype(np.int64)
    starts = _times(rng, days, EVENT_HOURS)
    visit = rng.integers(0, visits, events)
    who = visitor[visit]
    stamps = np.minimum(starts[visit] + rng.integers(0, 1800, events) * 1_000_000, LAST_MICROS)
    event_names = {
        "view": 40,
        "page_view": 3,
        "search": 12,
        "add_to_cart": 9,
        "favorite": 4,
        "purchase": 5,
        "share": 3,
        "login": 8,
        "sign_in": 1,
        "click": 12,
        "Scroll": 3,
    }
    pq.write_table(
        pa.table(
            {
                "customer_key": keys.take(pa.array(who)),
                "event": _pick(rng, events, event_names),
                "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
                "channel": _pick(rng, events, {**CHANNELS, None: 0.2}),
                "session_id": _ids("s", visit, 1, rng.random(events) < 0.03),
                "category": _pick(rng, events, {**dict.fromkeys(CATEGORIES, 1), None: 2}),
            }
        ).sort_by("timestamp"),
        data / "events.parquet",
        row_group_size=1 << 20,
    )

    orders = LINES_PER_CUSTOMER * customers * 100 // 163
    buying = rng.lognormal(0, 1.0, customers)
    buying[rng.random(customers) < 0.35] = 0
    buyer = _draw(rng, buying, orders)
    order_days = first[buyer] + (rng.random(orders) * (last - first)[buyer]).astype(np.int64)
    order_stamps = _times(rng, order_days, ORDER_HOURS)
    statuses = {
        "paid": 78,
        "completed": 5,
        "PAID": 2,
        None: 2,
        "refunded": 4,
        "退款": 1,
        "cancelled": 4,
        "已取消": 1,
        "Canceled": 1,
    }
    order_status = _pick(rng, orders, statuses)
    order_channel = _pick(rng, orders, CHANNELS)
    order_payment = _pick(rng, orders, {"alipay": 5, "wechat_pay": 6, "card": 2, None: 0.3})
    per_order = 1 + np.minimum(rng.poisson(0.55, orders), 4)
    line_order = np.repeat(np.arange(orders), per_order)
    lines = len(line_order)
    amount = np.round(rng.lognormal(3.8, 0.9, lines), 2)
    discount = np.where(
        rng.random(lines) < 0.35, np.round(amount * rng.uniform(0.05, 0.4, lines), 2), 0.0
    )
    status = order_status.take(pa.array(line_order))
    # A returned line inside a multi-line order: the order is both paid and refunded.
    returned = (per_order[line_order] > 1) & (rng.random(lines) < 0.03)
    status = pc.if_else(pa.array(returned), "returned", status)
    channel = pc.if_else(
        pa.array(rng.random(lines) < 0.01),
        _pick(rng, lines, CHANNELS),
        order_channel.take(pa.array(line_order)),
    )
    line_table = pa.table(
        {
            "customer_key": keys.take(pa.array(buyer[line_order])),
            "order_id": _ids("O", line_order, 8),
            "timestamp": pa.array(order_stamps[line_order], pa.timestamp("us", tz="UTC")),
            "amount": pa.array(amount),
            "discount": pa.array(discount, mask=rng.random(lines) < 0.05),
            "category": _pick(rng, lines, {**dict.fromkeys(CATEGORIES, 1), None: 0.3}),
            "channel": channel,
            "payment_method": order_payment.take(pa.array(line_order)),
            "status": status,
        }
    )
    # Refunds after the purchase: a negative line in 3% of the orders, some days later.
    refund = np.flatnonzero(rng.random(orders) < 0.03)
    refund_stamps = np.minimum(
        order_stamps[refund] + rng.integers(1, 20 * 86400, len(refund)) * 1_000_000,
        LAST_MICROS,
    )
    first_line = np.cumsum(per_order) - per_order
    refund_table = line_table.take(pa.array(first_line[refund])).set_column(
        2, "timestamp", pa.array(refund_stamps, pa.timestamp("us", tz="UTC"))
    )
    refund_amount = -np.round(amount[first_line[refund]] * rng.uniform(0.3, 1.0, len(refund)), 2)
    refund_table = refund_table.set_column(3, "amount", pa.array(refund_amount))
    refund_table = refund_table.set_column(4, "discount", pa.array(np.zeros(len(refund))))
    refund_table = refund_table.set_column(
        8, "status", _pick(rng, len(refund), {"refunded": 3, "退货": 1, "paid": 1})
    )
    # Credit notes: their own negative "orders", of customers who may not have the purchase.
    notes = max(1, orders // 500)
    credit = line_table.take(pa.array(rng.integers(0, lines, notes)))
    credit = credit.set_column(1, "order_id", _ids("C", np.arange(notes), 6))
    credit = credit.set_column(3, "amount", pa.array(-np.round(rng.lognormal(3, 0.8, notes), 2)))
    credit = credit.set_column(8, "status", _pick(rng, notes, {None: 1, "paid": 1}))
    table = pa.concat_tables([line_table, refund_table, credit]).sort_by("timestamp")
    pq.write_table(table, data / "orders.parquet", row_group_size=1 << 20)
    return {"customers": customers, "events": events, "order_lines": table.num_rows}


# -- preparation -----------------------------------------------------------------------------


def prepare(customers: int, events: int) -> Path:
    """The project folder, generated, built and exported once (see the module docstring)."""
    folder = DATA / f"c{customers}_e{events}"
    done = folder / "prepared.json"
    if done.exists():
        return folder
    from persona import Project

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counts = generate(folder, customers, events)
    generated = time.perf_counter() - started
    print(f"generated {counts} in {generated:.0f} s", flush=True)
    (folder / "persona.yaml").write_text(PROJECT, encoding="utf-8")
    started = time.perf_counter()
    with Project.open(folder) as project:
        project.build()
    built = time.perf_counter() - started
    print(f"built the project in {built:.0f} s", flush=True)
    export(folder)
    info = {**counts, "generate_seconds": generated, "build_seconds": built}
    done.write_text(json.dumps(info, indent=2), encoding="utf-8")
    return folder


EXPORTS = {
    "customers": "select customer_id from customers order by customer_id",
    "customer_keys": "select substr(node, strpos(node, ':') + 1) as customer_key, customer_id "
    "from identity_links where node_type = 'identifier' and node like 'customer_key:%'",
    "clean_events": "select customer_key, event, timestamp, channel, session_id from clean_events",
    "clean_transactions": "select customer_key, order_id, timestamp, amount, unit_price, "
    "quantity, discount, category, channel, payment_method, status from clean_transactions",
}
"""What the pandas baseline reads, exported from the built store (preparation, not timed)."""


def export(folder: Path) -> None:
    """Write the clean inputs of the baseline to `folder`/inputs/*.parquet."""
    inputs = folder / "inputs"
    inputs.mkdir(exist_ok=True)
    con = duckdb.connect(str(folder / ".persona" / "store.duckdb"), read_only=True)
    try:
        for name, query in EXPORTS.items():
            con.execute(f"copy ({query}) to '{inputs / name}.parquet' (format parquet)")
    finally:
        con.close()


# -- runs and comparison ---------------------------------------------------------------------


def compare(folder: Path, baseline: Path) -> tuple[dict[str, int], list[str]]:
    """Mismatches per compared column between the baseline and Persona's `features`.

    Numbers match within a relative 1e-9 (sums in another order); NULL matches NULL.
    Returns the counts and, for each column that differs, a few example lines.
    """
    ours = pd.read_parquet(baseline).set_index("customer_id").sort_index()
    con = duckdb.connect(str(folder / ".persona" / "store.duckdb"), read_only=True)
    try:
        theirs = con.execute(
            f"select customer_id, {', '.join(COMPARED)} from features order by customer_id"
        ).df()
    finally:
        con.close()
    theirs = theirs.set_index("customer_id")
    if not ours.index.equals(theirs.index):
        raise SystemExit(
            f"the pandas result has {len(ours):,} customers, Persona's {len(theirs):,}, "
            "and they are not the same customers"
        )
    counts, examples = {}, []
    for column in COMPARED:
        a, b = ours[column], theirs[column]
        both_null = a.isna() & b.isna()
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            x, y = a.astype("float64").to_numpy(), b.astype("float64").to_numpy()
            with np.errstate(invalid="ignore"):
                same = np.isclose(x, y, rtol=1e-9, atol=1e-9)
            equal = pd.Series(same, index=a.index)
        elif pd.api.types.is_datetime64_any_dtype(a):
            equal = pd.to_datetime(a, utc=True) == pd.to_datetime(b, utc=True)
        else:
            equal = a.astype("object") == b.astype("object")
        differ = ~(both_null | equal.fillna(False).astype(bool))
        counts[column] = int(differ.sum())
        if counts[column]:
            sample = differ[differ].index[:3]
            examples.append(
                f"{column}: " + "; ".join(f"{c} pandas {a[c]!r} persona {b[c]!r}" for c in sample)
            )
    return counts, examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each run this many times, keep the fastest"
    )
    args = parser.parse_args()
    folder = prepare(args.customers, args.events)
    info = json.loads((folder / "prepared.json").read_text(encoding="utf-8"))

    load = os.getloadavg()[0]
    results = {}
    for name, run in RUNS.items():
        results[name] = timed([sys.executable, "-c", run.code, str(folder)], args.repeat)
        print(f"{name}: {results[name]['wall']:.1f} s (stage {results[name]['seconds']:.1f} s)")
    baseline = folder / "out" / "features_pandas.parquet"
    baseline.parent.mkdir(exist_ok=True)
    command = [sys.executable, str(PANDAS), str(folder / "inputs"), str(baseline)]
    results["pandas"] = timed(command, args.repeat)
    print(f"pandas: {results['pandas']['wall']:.1f} s")

    first = results[next(iter(RUNS))]
    if pd.Timestamp(results["pandas"]["as_of"]) != pd.Timestamp(first["as_of"]):
        raise SystemExit(f"as-of differs: pandas {results['pandas']['as_of']}, {first['as_of']}")
    mismatches, examples = compare(folder, baseline)
    for line in examples:
        print("mismatch", line)
    write_doc(info, results, mismatches, args.repeat, (load, os.getloadavg()[0]))


def timed(command: list[str], repeat: int) -> dict[str, Any]:
    """The fastest of `repeat` runs of a child: wall, peak and what it printed (JSON)."""
    best: dict[str, Any] = {}
    for _ in range(max(1, repeat)):
        wall, peak, out = run_child_peak(command)
        print(f"  {wall:.1f} s, {peak:.2f} GB", flush=True)
        if not best or wall < best["wall"]:
            best = {"wall": wall, "peak": peak, **json.loads(out.strip().splitlines()[-1])}
    return best


def _incremental_lines(results: dict[str, dict[str, Any]], info: dict[str, Any]) -> list[str]:
    """The doc's sentences on the incremental build against the full one, if measured."""
    if "incremental" not in results:
        return []
    refresh = results["incremental"]
    full = results["features"]["seconds"] + results["tags"]["seconds"]
    stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in refresh["stages"].items())
    return [
        f"Incremental build: {refresh['new_events']:,} new events touching "
        f"{refresh['recomputed']:,} customers. The whole `persona build` took "
        f"**{refresh['build_seconds']:.1f} s** against {info['build_seconds']:.0f} s for the "
        f"full build: **{100 * refresh['build_seconds'] / info['build_seconds']:.0f}%** "
        f"(target: at most 10%). Its stages, in seconds: {stages}. Features and tags alone: "
        f"{refresh['seconds']:.1f} s against {full:.1f} s for the full stages: "
        f"**{100 * refresh['seconds'] / full:.0f}%**.",
        "",
    ]


def write_doc(
    info: dict[str, Any],
    results: dict[str, dict[str, Any]],
    mismatches: dict[str, int],
    repeat: int,
    load: tuple[float, float],
) -> None:
    """Replace the features section's measured part of docs/benchmarks.md.

    `load` is the machine's load average (1 minute) when the runs started and ended: other
    work on the machine slows every number.
    """
    first = next(iter(RUNS))
    persona, pandas_run = results[first], results["pandas"]
    targeted = [name for name in TARGET_RUNS if name in results]
    target_seconds = sum(results[name]["wall"] for name in targeted)
    rows = [
        f"| {run.label} | {results[name]['wall']:.1f} ({results[name]['seconds']:.1f} in the "
        f"stage) | {results[name]['peak']:.2f} |"
        for name, run in RUNS.items()
    ]
    differing = {c: n for c, n in mismatches.items() if n}
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas "
        f"{pd.__version__}; {info['customers']:,} customers, {info['events']:,} events, "
        f"{info['order_lines']:,} order lines (as of {persona['as_of']}). Generating the data "
        f"took {info['generate_seconds']:.0f} s, `persona build` {info['build_seconds']:.0f} s "
        "(once; both reused by later runs)."
        + (f" Fastest of {repeat} runs each." if repeat > 1 else "")
        + f" Load average {load[0]:.1f} when the runs started, {load[1]:.1f} when they ended "
        "(2 cores; other work on the machine slows every number).",
        "",
        "| run | seconds | peak memory (GB) |",
        "|---|---:|---:|",
        *rows,
        f"| pandas, same transaction and event features (baseline) | {pandas_run['wall']:.1f} | "
        f"{pandas_run['peak']:.2f} |",
        "",
        f"Ratio pandas / Persona features: **{pandas_run['wall'] / persona['wall']:.1f}x** "
        f"(whole processes; target: at least 10x). Persona {' + '.join(targeted)}: "
        f"**{target_seconds:.1f} s** (target: features and tags at most 60 s"
        + ("" if "tags" in results else "; tags not measured yet")
        + ").",
        "",
        *_incremental_lines(results, info),
        f"Compared on all {info['customers']:,} customers, {len(mismatches)} columns: "
        + (
            "no mismatch."
            if not differing
            else "mismatches in "
            + ", ".join(f"`{c}` {n:,}" for c, n in differing.items())
            + f"; the other {len(mismatches) - len(differing)} columns agree."
        ),
        END,
    ]
    write_section(DOC, lines, SECTION)


if __name__ == "__main__":
    main()
