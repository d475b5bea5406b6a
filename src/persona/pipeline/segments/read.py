"""Reading the segments back: the listing, one segment in full.

Sizes and shares of segments smaller than `privacy.k` customers are not shown (None; the CLI
prints ``<k``), as every aggregate (DESIGN.md section 9).
"""

from __future__ import annotations

import json
from typing import Any

from persona.engine.base import Engine
from persona.model.errors import ProjectError
from persona.model.suggest import did_you_mean
from persona.pipeline.segments import SEGMENTS, latest_run


def list_segments(engine: Engine, k: int) -> list[dict[str, Any]]:
    """Every segment: ``{"id", "name_zh", "name_en", "size", "share", "centre"}`` by id.

    Raises:
        ProjectError: before any segments were made.
    """
    latest_run(engine)
    rows = engine.fetch_all(
        f"select segment_id, name_zh, name_en, size, share, centre from {SEGMENTS} "
        "order by segment_id"
    )
    return [
        {
            "id": int(r[0]),
            "name_zh": r[1],
            "name_en": r[2],
            "size": int(r[3]) if r[3] >= k else None,
            "share": float(r[4]) if r[3] >= k else None,
            "centre": json.loads(r[5]) if r[5] else {},
        }
        for r in rows
    ]


def show_segment(engine: Engine, ref: str | int, k: int) -> dict[str, Any]:
    """One segment in full: names, size, share, centre, evidence and the fit that made it.

    Args:
        engine: The engine.
        ref: The segment id, or its name in either language.
        k: The smallest size shown.

    Raises:
        ProjectError: no such segment (naming the segments there are).
    """
    run = latest_run(engine)
    listed = list_segments(engine, k)
    wanted = str(ref).strip()
    match = [
        s
        for s in listed
        if wanted in (str(s["id"]), s["name_zh"]) or wanted.lower() == s["name_en"].lower()
    ]
    if not match:
        names = [f"{s['id']} {s['name_en']}" for s in listed]
        hint = did_you_mean(wanted, [s["name_en"] for s in listed] + [s["name_zh"] for s in listed])
        raise ProjectError(f"no segment {ref!r}{hint}; segments: {', '.join(names)}")
    segment = match[0]
    row = engine.fetch_all(
        f"select evidence, method, name_key from {SEGMENTS} where segment_id = ?", [segment["id"]]
    )[0]
    return {
        **segment,
        "evidence": json.loads(row[0]) if row[0] else [],
        "method": row[1],
        "name_key": row[2],
        "run": {
            "run_id": int(run["run_id"]),
            "fitted_at": run["fitted_at"],
            "k": int(run["k"]),
            "features": run["features"],
            "scale": run["scale"],
            "stability": run["stability"],
            "curve": run["curve"],
            "segmented": int(run["segmented"]),
            "excluded": int(run["excluded"]),
        },
    }
