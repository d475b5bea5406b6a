"""Ingest benchmark: Persona's ingest against DuckDB's own read_csv of the same files.

Generates (once, cached in bench/data/) a CSV of N profiles and one of 20*N events, then times in
separate processes (so peak memory is measured per run):

- baseline: DuckDB `create table ... as select * from read_csv(file)` for each file;
- persona:  `persona ingest` of a project with the same two files as sources (validation,
  quarantine, counts).

Writes the result table into docs/benchmarks.md (between the ingest markers).

Usage: python bench/run.py [--customers 1000000] [--events-per-customer 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from measure import run_child_peak, write_section

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- ingest-benchmark:start -->", "<!-- ingest-benchmark:end -->"


def generate(customers: int, per_customer: int) -> tuple[Path, Path]:
    """Write profiles.csv and events.csv (cached by size) with DuckDB's COPY.

    The events are a little dirty, as real exports are: one in 50,000 has an unreadable
    timestamp, and a few ragged lines sit near the start (so nearly every line number after
    them is shifted) and at the end.
    """
    folder = DATA / f"c{customers}_e{per_customer}_dirty"
    profiles, events = folder / "profiles.csv", folder / "events.csv"
    if profiles.exists() and events.exists():
        return profiles, events
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"""copy (select 'C' || lpad(i::varchar, 8, '0') as 客户编号,
        ['张','王','李','赵','刘'][1 + i % 5] || ['伟','芳','娜','敏','静','丽'][1 + i % 6] as 姓名,
        ['男','女'][1 + i % 2] as 性别, (13800000000 + i)::varchar as 手机,
        'user' || i || '@example.com' as 邮箱,
        (date '1960-01-01' + (i % 15000)::int)::varchar as 出生日期,
        ['北京','上海','广州','深圳','杭州','成都'][1 + i % 6] as 城市,
        (timestamp '2020-01-01' + to_seconds(i * 37 % 150000000))::varchar as 注册时间,
        ['是','否'][1 + i % 2] as 同意营销
      from range({customers}) t(i)) to '{profiles}' (header, delimiter ',')""")
    body = folder / "events.body.csv"
    con.execute(f"""copy (select 'C' || lpad((i % {customers})::varchar, 8, '0') as user_id,
        ['view','search','add_to_cart','purchase','share'][1 + i % 5] as event,
        case when i % 50000 = 7 then 'not a time'
             else (timestamp '2026-05-01' + to_seconds(i * 7 % 15552000))::varchar end as ts,
        ['app','web','miniprogram','store'][1 + i % 4] as channel,
        's' || (i // 8) as session_id, 'sku' || (i % 9973) as item,
        ['母婴','数码','美妆','食品','服饰'][1 + i % 5] as category
      from range({customers * per_customer}) t(i)) to '{body}' (header false, delimiter ',')""")
    con.close()
    header = "user_id,event,ts,channel,session_id,item,category\n"
    ragged = "C00000001,view\nC00000002,view,2026-05-01 10:00:00,app,s1,sku1,母婴,extra\n"
    with events.open("w", encoding="utf-8") as out:
        out.write(header + ragged)
        with body.open(encoding="utf-8") as handle:
            shutil.copyfileobj(handle, out, 16 << 20)
        out.write(ragged)
    body.unlink()
    return profiles, events


# DuckDB's own typed load of the same files: the dialect and column types are given (its
# sniffer reads a file with a ragged second line as one column), and bad rows are skipped.
BASELINE = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
con.execute("set TimeZone = 'Asia/Shanghai'")
for i, (path, columns) in enumerate(zip(sys.argv[2::2], sys.argv[3::2])):
    con.execute(
        f"create table t{i} as select * from read_csv('{path}', columns={columns}, "
        "header=true, delim=',', auto_detect=false, ignore_errors=true)"
    )
    print(path, con.execute(f"select count(*) from t{i}").fetchall()[0][0])
con.close()
"""
PROFILE_TYPES = (
    "{'客户编号': 'VARCHAR', '姓名': 'VARCHAR', '性别': 'VARCHAR', '手机': 'VARCHAR', "
    "'邮箱': 'VARCHAR', '出生日期': 'DATE', '城市': 'VARCHAR', '注册时间': 'TIMESTAMPTZ', "
    "'同意营销': 'VARCHAR'}"
)
EVENT_TYPES = (
    "{'user_id': 'VARCHAR', 'event': 'VARCHAR', 'ts': 'TIMESTAMPTZ', 'channel': 'VARCHAR', "
    "'session_id': 'VARCHAR', 'item': 'VARCHAR', 'category': 'VARCHAR'}"
)

PROJECT = """project: bench
sources:
  - name: crm
    kind: profiles
    path: {profiles}
    columns: {{customer_key: 客户编号, name: 姓名, gender: 性别, phone: 手机, email: 邮箱,
               birth_date: 出生日期, city: 城市, registered_at: 注册时间,
               consent_marketing: 同意营销}}
  - name: events
    kind: events
    path: {events}
    columns: {{customer_key: user_id, event: event, timestamp: ts, channel: channel,
               session_id: session_id, item: item, category: category}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events-per-customer", type=int, default=20)
    args = parser.parse_args()
    profiles, events = generate(args.customers, args.events_per_customer)
    work = DATA / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    base_seconds, base_peak, _ = run_child_peak(
        [
            sys.executable,
            "-c",
            BASELINE,
            str(work / "baseline.duckdb"),
            str(profiles),
            PROFILE_TYPES,
            str(events),
            EVENT_TYPES,
        ]
    )
    project = work / "project"
    project.mkdir()
    (project / "persona.yaml").write_text(PROJECT.format(profiles=profiles, events=events))
    persona = [sys.executable, "-m", "persona", "ingest", "--json", "--project", str(project)]
    ours_seconds, ours_peak, _ = run_child_peak(persona)
    counts = json.loads(
        subprocess.run(
            [sys.executable, "-m", "persona", "status", "--json", "--project", str(project)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    rows = {s["name"]: s for s in counts["sources"]}
    write_doc(args, profiles, events, base_seconds, base_peak, ours_seconds, ours_peak, rows)
    shutil.rmtree(work, ignore_errors=True)


def write_doc(
    args: argparse.Namespace,
    profiles: Path,
    events: Path,
    base_seconds: float,
    base_peak: float,
    ours_seconds: float,
    ours_peak: float,
    rows: dict[str, dict[str, int]],
) -> None:
    size = (profiles.stat().st_size + events.stat().st_size) / 1e9
    ratio = ours_seconds / base_seconds
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
        f"{args.customers:,} profiles + {args.customers * args.events_per_customer:,} events "
        f"({size:.2f} GB of CSV).",
        "",
        "| run | seconds | peak memory (GB) |",
        "|---|---:|---:|",
        f"| DuckDB `read_csv` into typed tables, bad rows skipped (baseline) | "
        f"{base_seconds:.1f} | {base_peak:.2f} |",
        f"| `persona ingest` (validation, quarantine, counts) | {ours_seconds:.1f} | "
        f"{ours_peak:.2f} |",
        "",
        f"Ratio persona / DuckDB: **{ratio:.2f}x** (target: at most 2x); peak memory "
        f"{ours_peak:.2f} GB (target: under 4 GB).",
        "",
        "Counts: "
        + "; ".join(
            f"{n}: received {r['received']:,}, loaded {r['loaded']:,}, "
            f"quarantined {r['quarantined']:,}, skipped {r['skipped']:,}"
            for n, r in rows.items()
        ),
        END,
    ]
    write_section(DOC, lines, "\n")


if __name__ == "__main__":
    main()
