"""Skipping the resolve stage when the new records cannot change any customer.

A resolve run rebuilds the identity graph from every clean record. When the only records
cleaned since the last run are events, orders or answers that add no node and no edge (each of
their identifiers already names a customer, no two identifiers together, see
`graph.new_records_link`), the rebuild would give the same graph, so the same customers, ids
and links: the run only marks the customers those records point at as having that kind of data
(`customers.has_<kind>`).

Anything else rebuilds: new profiles or relations, other identity settings, decisions or
cleaning settings, or records removed since the last run (privacy erasure). The state of the
last full run is one JSON value in `_persona_meta` (`resolve_state`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from persona.config import ProjectConfig
from persona.engine.base import Engine, quote_literal
from persona.model.kinds import Kind, identifier_fields
from persona.pipeline.clean import cleaned_with
from persona.pipeline.resolve.decisions import Decision
from persona.pipeline.resolve.graph import new_records_link
from persona.pipeline.resolve.survivorship import CUSTOMERS

STATE_KEY = "resolve_state"
STATE_VERSION = 1
"""Bump when the resolve stage's output changes, so the next run rebuilds."""
_PER_PERSON = (Kind.EVENTS, Kind.TRANSACTIONS, Kind.SURVEYS)
"""Kinds whose new records may be taken without a rebuild."""


def fingerprint(
    engine: Engine, config: ProjectConfig, decisions: list[Decision], matcher: bool
) -> str:
    """What must not change for a run to be skipped: settings, decisions, cleaning rules."""
    text = json.dumps(
        {
            "version": STATE_VERSION,
            "identity": config.identity.model_dump(mode="json"),
            "sources": [(s.name, s.kind.value) for s in config.sources],
            "decisions": [asdict(d) for d in decisions],
            "matcher": matcher,
            "clean": cleaned_with(engine),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def try_skip(engine: Engine, config: ProjectConfig, print_: str) -> dict[str, Any] | None:
    """Take the records cleaned since the last run without a rebuild, when that is exact.

    Returns:
        The last full run's saved report fields (matched pairs, stale decisions), or None
        when the stage must rebuild.
    """
    state = _load(engine)
    if state is None or state.get("fingerprint") != print_:
        return None
    if not engine.table_exists("identity_links") or not engine.table_exists(CUSTOMERS):
        return None
    watermark = int(state["watermark"])
    links = engine.fetch_all("select count(*) from identity_links")[0][0]
    if links != state["links"]:
        return None
    fresh: list[Kind] = []
    for kind in Kind:
        table = f"clean_{kind.value}"
        if not engine.table_exists(table):
            if state["counts"].get(kind.value, 0):
                return None
            continue
        old, new = engine.fetch_all(
            f"select count(*) filter (where _batch_id <= {watermark}), "
            f"count(*) filter (where _batch_id > {watermark}) from {table}"
        )[0]
        if old != state["counts"].get(kind.value, 0):
            return None  # records were removed (or the table rebuilt)
        if new:
            if kind not in _PER_PERSON:
                return None
            fresh.append(kind)
    if fresh and new_records_link(engine, config.identity, f"_batch_id > {watermark}"):
        return None
    for kind in fresh:
        _mark_coverage(engine, kind, watermark)
    save_state(engine, print_, state["report"])
    return dict(state["report"])


def save_state(engine: Engine, print_: str, report: dict[str, Any]) -> None:
    """Remember this run: fingerprint, last clean batch, row counts and report fields."""
    counts: dict[str, int] = {}
    watermark = 0
    for kind in Kind:
        table = f"clean_{kind.value}"
        if engine.table_exists(table):
            n, top = engine.fetch_all(f"select count(*), coalesce(max(_batch_id), 0) from {table}")[
                0
            ]
            counts[kind.value] = int(n)
            watermark = max(watermark, int(top))
    links = int(engine.fetch_all("select count(*) from identity_links")[0][0])
    state = {
        "fingerprint": print_,
        "watermark": watermark,
        "counts": counts,
        "links": links,
        "report": report,
    }
    engine.execute(
        "insert or replace into _persona_meta values (?, ?)", [STATE_KEY, json.dumps(state)]
    )


def _load(engine: Engine) -> dict[str, Any] | None:
    rows = engine.fetch_all("select value from _persona_meta where key = ?", [STATE_KEY])
    if not rows:
        return None
    value = json.loads(str(rows[0][0]))
    return value if isinstance(value, dict) else None


def _mark_coverage(engine: Engine, kind: Kind, watermark: int) -> None:
    """Set `has_<kind>` for the customers the new records of `kind` point at."""
    nodes = " union ".join(
        f"select {quote_literal(field + ':')} || {field} as node from clean_{kind.value} "
        f"where {field} is not null and _batch_id > {watermark}"
        for field in identifier_fields(kind)
    )
    engine.execute(
        f"update {CUSTOMERS} set has_{kind.value} = true "
        f"where not coalesce(has_{kind.value}, false) and customer_id in "
        f"(select customer_id from identity_links where node in ({nodes}))"
    )
