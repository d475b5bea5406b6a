"""Migration between two snapshots: who moved from which segment to which, and how each drifted.

Every snapshot keeps each customer's segment (``snapshot_<id>.segment_id``) and the segments
as they were (``snapshot_<id>_segments``). Ids are stable across refits (matched centres), so
a cell (a, b) of the matrix counts the customers in segment a then and b now; ``None`` stands
for "not segmented" (not a customer yet, gone, or without profiling consent). Cells of fewer
than `privacy.k` customers are hidden (count None), with the cells that would give them away.
Drift compares each segment's size and centre (its mean on each feature segmented on).
"""

from __future__ import annotations

import json
from typing import Any

from persona.engine.base import Engine
from persona.model.errors import ProjectError
from persona.pipeline.tags.snapshots import snapshot_table
from persona.privacy.kanon import protect_matrix

MAIN_FEATURES = 5
"""Centre changes listed per segment: the largest relative changes."""


def migration(engine: Engine, old: int, new: int, k: int) -> dict[str, Any]:
    """Moves between segments from snapshot `old` to snapshot `new`.

    Returns:
        ``{"from", "to", "segments_from", "segments_to": [{"id", "name_zh", "name_en",
        "size"}], "matrix": [{"from", "to", "count"}], "stayed", "moved", "entered", "left",
        "drift": [{"segment_id", "name_zh", "name_en", "size_from", "size_to", "growth",
        "centre": [{"feature", "from", "to", "change"}]}]}``.

    Raises:
        ProjectError: a snapshot has no segments.
    """
    before, after = _segments(engine, old), _segments(engine, new)
    a, b = snapshot_table(old), snapshot_table(new)
    rows = engine.fetch_all(
        f"select x.segment_id, y.segment_id, count(*) from {a} x full join {b} y "
        "on x.customer_id = y.customer_id group by all"
    )
    counts = {
        (_id(r[0]), _id(r[1])): int(r[2]) for r in rows if r[0] is not None or r[1] is not None
    }
    sources = [*sorted(before), None]
    targets = [*sorted(after), None]
    grid = [[counts.get((s, t), 0) for t in targets] for s in sources]
    protected = protect_matrix(grid, k)
    matrix = [
        {"from": s, "to": t, "count": protected[i][j]}
        for i, s in enumerate(sources)
        for j, t in enumerate(targets)
        if grid[i][j] > 0
    ]
    totals = {"stayed": 0, "moved": 0, "entered": 0, "left": 0}
    for (s, t), n in counts.items():
        kind = "entered" if s is None else "left" if t is None else "stayed" if s == t else "moved"
        totals[kind] += n
    return {
        "from": old,
        "to": new,
        "segments_from": [_listed(v, k) for v in before.values()],
        "segments_to": [_listed(v, k) for v in after.values()],
        "matrix": matrix,
        **{key: shown(value, k) for key, value in totals.items()},
        "drift": _drift(before, after, k),
    }


def _segments(engine: Engine, snapshot: int) -> dict[int, dict[str, Any]]:
    table = f"{snapshot_table(snapshot)}_segments"
    if not engine.table_exists(table) or "segment_id" not in engine.table_columns(
        snapshot_table(snapshot)
    ):
        raise ProjectError(
            f"snapshot {snapshot} has no segments (it was built before the segments stage or "
            "with segmentation off); compare snapshots of builds with segments"
        )
    rows = engine.fetch_all(
        f"select segment_id, name_zh, name_en, size, centre from {table} order by segment_id"
    )
    return {
        int(r[0]): {
            "id": int(r[0]),
            "name_zh": r[1],
            "name_en": r[2],
            "size": int(r[3]),
            "centre": json.loads(r[4]) if r[4] else {},
        }
        for r in rows
    }


def _listed(segment: dict[str, Any], k: int) -> dict[str, Any]:
    return {
        "id": segment["id"],
        "name_zh": segment["name_zh"],
        "name_en": segment["name_en"],
        "size": shown(segment["size"], k),
    }


def _drift(
    before: dict[int, dict[str, Any]], after: dict[int, dict[str, Any]], k: int
) -> list[dict[str, Any]]:
    drift = []
    for segment_id in sorted(set(before) | set(after)):
        old, new = before.get(segment_id), after.get(segment_id)
        named = new or old
        assert named is not None
        size_from = old["size"] if old else 0
        size_to = new["size"] if new else 0
        changes = []
        if old and new:
            for feature, value in new["centre"].items():
                previous = old["centre"].get(feature)
                if isinstance(value, int | float) and isinstance(previous, int | float):
                    change = (value - previous) / abs(previous) if previous else None
                    changes.append(
                        {"feature": feature, "from": previous, "to": value, "change": change}
                    )
            changes.sort(key=lambda c: -abs(c["change"] or 0.0))
        visible = size_from >= k and size_to >= k
        drift.append(
            {
                "segment_id": segment_id,
                "name_zh": named["name_zh"],
                "name_en": named["name_en"],
                "size_from": shown(size_from, k),
                "size_to": shown(size_to, k),
                "growth": round((size_to - size_from) / size_from, 4)
                if visible and size_from
                else None,
                "centre": changes[:MAIN_FEATURES] if visible else [],
            }
        )
    return drift


def shown(count: int, k: int) -> int | None:
    """A count when it is 0 or at least k customers, else None (shown as ``<k``)."""
    return count if count == 0 or count >= k else None


def _id(value: Any) -> int | None:
    return None if value is None else int(value)
