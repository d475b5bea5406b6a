"""What the report says besides the cards: data overview, segment fit, key points, migration.

Each function reads the store (or the cards) and returns plain data for the template.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from persona.pipeline.segments.migration import migration as segment_migration
from persona.report.labels import Lang, fmt_change, fmt_count, fmt_share, t
from persona.report.persona import Personas

if TYPE_CHECKING:
    from persona.project import Project


@dataclass
class Run:
    """The segment fit the report describes (a row of `segment_runs`)."""

    method: str
    k: int
    features: list[str]
    scale: str
    transforms: Any
    curve: list[dict[str, Any]]
    stability: float | None
    sample: int | None
    segmented: int
    excluded: int
    fitted_at: datetime | None


def overview(project: Project) -> dict[str, Any]:
    """Sources, records, customers, the five-kind coverage and the quality score.

    The quality report is the one the last build stored (the data the segments come from);
    a store without one gets it computed now.
    """
    engine = project.engine
    stored = engine.fetch_all("select value from _persona_meta where key = 'quality_report'")
    quality = json.loads(stored[0][0]) if stored else project.quality().to_dict()
    scores = {s["name"]: s for s in quality["sources"]}
    status = project.status()
    sources = []
    for row in status.to_dict("records"):
        source = scores.get(str(row["name"]), {})
        sources.append(
            {
                "name": str(row["name"]),
                "kind": str(row["kind"]),
                "loaded": int(row["loaded"]),
                "quarantined": int(row["quarantined"]),
                "score": source.get("score"),
                "newest": str(source.get("newest") or "")[:10],
            }
        )
    coverage = quality.get("coverage") or {}
    return {
        "sources": sources,
        "records": int(status["loaded"].sum()) if len(status) else 0,
        "customers": int(engine.fetch_all("select count(*) from customers")[0][0]),
        "score": float(quality["score"]),
        "coverage": coverage.get("share_with", {}),
        "coverage_customers": coverage.get("customers", 0),
    }


def latest_run(project: Project) -> Run | None:
    """The last segment fit, or None."""
    engine = project.engine
    if not engine.table_exists("segment_runs"):
        return None
    rows = engine.fetch_all(
        "select method, k, features, scale, transforms, curve, stability, sample, segmented, "
        "excluded, fitted_at from segment_runs order by run_id desc limit 1"
    )
    if not rows:
        return None
    method, k, features, scale, transforms, curve, stability, sample, segmented, excluded, at = (
        rows[0]
    )
    return Run(
        method=str(method),
        k=int(k),
        features=json.loads(features or "[]"),
        scale=str(scale or ""),
        transforms=json.loads(transforms) if transforms else None,
        curve=json.loads(curve) if curve else [],
        stability=None if stability is None else float(stability),
        sample=None if sample is None else int(sample),
        segmented=int(segmented or 0),
        excluded=int(excluded or 0),
        fitted_at=at if isinstance(at, datetime) else None,
    )


def summary(personas: Personas, lang: Lang) -> list[str]:
    """Three or four key points for the first page."""
    shown = [c for c in personas.cards if not c.suppressed]
    points = []
    ranked = sorted(
        (c for c in shown if c.priority), key=lambda c: c.priority.rank if c.priority else 0
    )
    if ranked:
        points.append(
            t(
                "summary.segments",
                lang,
                segmented=f"{personas.segmented:,}",
                n=len(personas.cards),
                top=ranked[0].name,
            )
        )
    spenders = [c for c in shown if c.revenue_share is not None and c.share]
    if spenders:
        best = max(spenders, key=lambda c: (c.revenue_share or 0) / (c.share or 1))
        points.append(
            t(
                "summary.revenue",
                lang,
                name=best.name,
                share=fmt_share(best.share),
                revenue=fmt_share(best.revenue_share),
            )
        )
    growing = [c for c in shown if c.growth and (c.growth.change or 0.0) >= 0.01]
    if growing:
        fastest = max(growing, key=lambda c: c.growth.change if c.growth and c.growth.change else 0)
        change = fastest.growth.change if fastest.growth else None
        points.append(t("summary.growth", lang, name=fastest.name, growth=fmt_change(change)))
    if personas.excluded:
        points.append(t("summary.excluded", lang, excluded=f"{personas.excluded:,}"))
    return points


def as_of(project: Project) -> str:
    """The date the features (and so the report) describe, as YYYY-MM-DD."""
    rows = project.engine.fetch_all("select value from _persona_meta where key = 'features_as_of'")
    return str(rows[0][0])[:10] if rows else "–"


@dataclass
class Migration:
    """Who moved between the segments of two snapshots, as the report shows it.

    Attributes:
        old: The earlier snapshot.
        new: The later snapshot.
        columns: Segment names now, then "left" (in no segment now).
        rows: Per earlier segment (then "joined": in no segment before): its name and cells,
            each {"text", "shade" (0-1, the background), "diagonal" (stayed)}; hidden cells
            (fewer than k) read ``<k``.
        stayed: Share of those segmented in both snapshots who stayed in their segment.
        drift: Per segment that changed by 1% or more: name, size then and now (None below
            k), growth and its main centre changes ({"feature", "from", "to", "change"}).
    """

    old: int
    new: int
    columns: list[str]
    rows: list[dict[str, Any]]
    stayed: float | None
    drift: list[dict[str, Any]]


def migration(project: Project, k: int, lang: Lang) -> Migration | None:
    """The moves between the last two snapshots that kept segments, or None.

    The counts come from `persona.pipeline.segments.migration` (small cells hidden there).
    """
    engine = project.engine
    ids = [int(r[0]) for r in engine.fetch_all("select snapshot_id from snapshots order by 1")]
    kept = [i for i in ids if engine.table_exists(f"snapshot_{i}_segments")]
    if len(kept) < 2:
        return None
    moves = segment_migration(engine, kept[-2], kept[-1], k)
    key = "name_zh" if lang == "zh" else "name_en"
    names = {s["id"]: str(s[key]) for s in (*moves["segments_from"], *moves["segments_to"])}
    cells = {(c["from"], c["to"]): c["count"] for c in moves["matrix"]}
    froms = [s["id"] for s in moves["segments_from"]]
    tos = [s["id"] for s in moves["segments_to"]]
    froms += [None] if any(a is None for a, _ in cells) else []
    tos += [None] if any(b is None for _, b in cells) else []
    top = max((c for c in cells.values() if c), default=1)
    rows = []
    for a in froms:
        row = []
        for b in tos:
            count = cells.get((a, b), 0)
            row.append(
                {
                    "text": "" if count == 0 else fmt_count(count, k),
                    "shade": 0.08 + 0.5 * count / top if count else 0.0,
                    "diagonal": a is not None and a == b,
                }
            )
        name = names[a] if a is not None else t("migration.joined", lang)
        rows.append({"name": name, "cells": row})
    stayed, moved = moves["stayed"], moves["moved"]  # None when below k
    share = stayed / (stayed + moved) if stayed is not None and moved is not None else None
    drift = []
    for segment in moves["drift"]:  # what changed by at least 1%
        changes = [c for c in segment["centre"] if abs(c["change"] or 0.0) >= 0.01]
        if changes or abs(segment["growth"] or 0.0) >= 0.01:
            drift.append({**segment, "name": str(segment[key]), "centre": changes})
    columns = [names[b] if b is not None else t("migration.left", lang) for b in tos]
    return Migration(kept[-2], kept[-1], columns, rows, share, drift)
