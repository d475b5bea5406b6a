"""Snapshots: every build keeps its tag values, so that tags can be compared over time.

A snapshot is a row of `snapshots` (id, build, time, as-of, whether it was incremental, how many
customers and how many were recomputed) and a table ``snapshot_<id>`` with the `tags` table's
rows as they were, plus each customer's ``segment_id`` and a copy of the `segments` table
(``snapshot_<id>_segments``) when the build made segments. Only the newest
`tagging.retention` snapshots are kept.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from persona.engine.base import Engine, quote_identifier
from persona.model.errors import ProjectError

SEGMENTS, SEGMENT_MEMBERS = "segments", "segment_members"
NOT_TAGS = ("customer_id", "segment_id")
"""Columns of a snapshot table that are not tags."""


def snapshot_table(snapshot_id: int) -> str:
    """The table holding a snapshot's rows."""
    return f"snapshot_{int(snapshot_id)}"


def write_snapshot(
    engine: Engine,
    build_id: int,
    as_of: datetime | None,
    *,
    incremental: bool,
    recomputed: int,
    retention: int,
) -> int:
    """Copy `tags` (with each customer's segment) and `segments` into a new snapshot.

    The oldest snapshots beyond `retention` are dropped.

    Returns:
        The new snapshot's id.
    """
    with engine.transaction():
        snapshot_id = int(
            engine.fetch_all("select coalesce(max(snapshot_id), 0) + 1 from snapshots")[0][0]
        )
        table = snapshot_table(snapshot_id)
        if engine.table_exists(SEGMENT_MEMBERS) and engine.table_exists(SEGMENTS):
            engine.execute(
                f"create table {table} as select t.*, m.segment_id from tags t "
                f"left join {SEGMENT_MEMBERS} m on m.customer_id = t.customer_id"
            )
            engine.execute(f"create table {table}_segments as select * from {SEGMENTS}")
        else:
            engine.execute(f"create table {table} as select * from tags")
        customers = int(engine.fetch_all(f"select count(*) from {table}")[0][0])
        tags = [c for c in engine.table_columns(table) if c not in NOT_TAGS]
        engine.execute(
            "insert into snapshots values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                snapshot_id,
                build_id,
                datetime.now(UTC),
                as_of,
                incremental,
                customers,
                recomputed,
                json.dumps(tags),
            ],
        )
        old = engine.fetch_all(
            "select snapshot_id from snapshots order by snapshot_id desc offset ?", [retention]
        )
        for (old_id,) in old:
            engine.drop(snapshot_table(int(old_id)))
            engine.drop(f"{snapshot_table(int(old_id))}_segments")
            engine.execute("delete from snapshots where snapshot_id = ?", [old_id])
    return snapshot_id


def list_snapshots(engine: Engine) -> list[dict[str, Any]]:
    """The kept snapshots, newest first."""
    frame = engine.fetch_df(
        "select snapshot_id, build_id, created_at, as_of, incremental, customers, recomputed "
        "from snapshots order by snapshot_id desc"
    )
    return [
        {str(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def resolve_snapshot(engine: Engine, ref: str | int) -> int:
    """A snapshot id from an id, ``latest`` or ``previous``.

    Raises:
        ProjectError: when there is no such snapshot (naming the kept ones).
    """
    kept = [int(r[0]) for r in engine.fetch_all("select snapshot_id from snapshots order by 1")]
    text = str(ref).strip().lower()
    wanted: int | None = None
    if text == "latest" and kept:
        wanted = kept[-1]
    elif text == "previous" and len(kept) >= 2:
        wanted = kept[-2]
    elif text.lstrip("-").isdigit():
        wanted = int(text)
    if wanted is None or wanted not in kept:
        listing = ", ".join(map(str, kept)) or "none yet (run `persona build`)"
        raise ProjectError(
            f"no snapshot {ref!r}; kept snapshots: {listing} (or say latest / previous)"
        )
    return wanted


def diff_snapshots(engine: Engine, old: int, new: int, top: int = 5) -> dict[str, Any]:
    """What changed between two snapshots, per tag.

    Returns:
        ``{"from", "to", "customers_from", "customers_to", "only_in_from", "only_in_to",
        "tags": [{"tag", "changed", "share", "transitions": [{"from", "to", "count"}]}],
        "added_tags", "removed_tags"}``; tags compare over the customers in both snapshots,
        most changed first; transitions are the `top` most frequent value changes.
    """
    a, b = snapshot_table(old), snapshot_table(new)
    columns_a = [c for c in engine.table_columns(a) if c not in NOT_TAGS]
    columns_b = [c for c in engine.table_columns(b) if c not in NOT_TAGS]
    common = [c for c in columns_b if c in columns_a]
    counts = engine.fetch_all(
        f"select (select count(*) from {a}), (select count(*) from {b}), "
        f"(select count(*) from {a} where customer_id not in (select customer_id from {b})), "
        f"(select count(*) from {b} where customer_id not in (select customer_id from {a}))"
    )[0]
    both = int(counts[0]) - int(counts[2])
    tags: list[dict[str, Any]] = []
    for name in common:
        column = quote_identifier(name)
        rows = engine.fetch_all(
            f"select cast(x.{column} as varchar), cast(y.{column} as varchar), count(*) "
            f"from {a} x join {b} y using (customer_id) "
            f"where x.{column} is distinct from y.{column} group by all order by 3 desc, 1, 2"
        )
        changed = sum(int(r[2]) for r in rows)
        tags.append(
            {
                "tag": name,
                "changed": changed,
                "share": round(changed / both, 4) if both else 0.0,
                "transitions": [{"from": r[0], "to": r[1], "count": int(r[2])} for r in rows[:top]],
            }
        )
    tags.sort(key=lambda t: (-t["changed"], t["tag"]))
    return {
        "from": old,
        "to": new,
        "customers_from": int(counts[0]),
        "customers_to": int(counts[1]),
        "only_in_from": int(counts[2]),
        "only_in_to": int(counts[3]),
        "tags": tags,
        "added_tags": [c for c in columns_b if c not in columns_a],
        "removed_tags": [c for c in columns_a if c not in columns_b],
    }
