"""Incremental refresh: which customers a build must recompute, or why it must recompute all.

A build recomputes only the affected customers when everything else is as at the last run:
the same as-of time (time-relative features such as `recency_days` move for everybody when it
moves), the same feature columns and time zone, no new relations (influence and communities
are global) and no customer merged or split away. Affected are the customers

- with an identifier on a record of a batch loaded since the last run (events, orders,
  answers, profiles),
- whose identity links changed (a new device, a new phone ...),
- who are new.

The state of the last run (as-of time, last batch, fingerprint, and a copy of the identity
links with their digest) is kept in `_persona_meta` and `features_links`. When the digest of
`identity_links` is the one kept, the links have not changed: the refresh skips comparing
them and a run skips copying them.
"""

from __future__ import annotations

import hashlib

from persona.engine.base import Engine, quote_literal
from persona.model.kinds import IDENTIFIERS, Kind
from persona.pipeline.features.records import (
    CUSTOMERS,
    LINKS,
    ONLY,
    ONLY_LINKS,
    FeatureContext,
    build_links,
)

AFFECTED = "_ff_affected"
"""Temp table (customer_id) of the customers an incremental refresh recomputed."""
STATE_LINKS = "features_links"
LINK_CHANGES = "_ff_link_changes"
"""Temp table: identity links added or removed since the last run (node, customer_id)."""
_PER_CUSTOMER = (Kind.EVENTS, Kind.TRANSACTIONS, Kind.SURVEYS, Kind.PROFILES)


def fingerprint(timezone: str, columns: list[str]) -> str:
    """What must not change for a refresh to be incremental: time zone and feature columns."""
    return hashlib.sha256(f"{timezone}|{','.join(columns)}".encode()).hexdigest()[:16]


def plan_refresh(ctx: FeatureContext, print_: str, features: str) -> str | None:
    """Prepare an incremental refresh, or say why a full one is needed.

    On success, creates the temp tables of links (`LINKS`), the affected customer numbers
    (`ONLY`), their identifiers (`ONLY_LINKS`) and ids (`AFFECTED`), and returns None.

    Returns:
        None to go incremental, else the reason for a full run.
    """
    engine = ctx.engine
    state = _state(engine)
    if not engine.table_exists(features) or not engine.table_exists(STATE_LINKS) or not state:
        return "no earlier features"
    if state.get("features_as_of") != ctx.as_of.isoformat():
        return "the as-of time moved"
    if state.get("features_fingerprint") != print_:
        return "the feature columns or the time zone changed"
    watermark = int(state.get("features_watermark", "0"))
    kinds = {
        str(r[0])
        for r in engine.fetch_all(
            "select distinct kind from batches where batch_id > ?", [watermark]
        )
    }
    if Kind.RELATIONS.value in kinds:
        return "new relations arrived"
    gone = engine.fetch_all(
        f"select count(*) from {features} where customer_id not in "
        "(select customer_id from customers)"
    )[0][0]
    if gone:
        return "customers were merged or split"
    build_links(engine)
    sources = [
        f"select l.cid from clean_{kind.value} r join {LINKS} l on l.type = "
        f"{quote_literal(column)} and l.value = r.{column} where r._batch_id > {watermark}"
        for kind in _PER_CUSTOMER
        if kind.value in kinds and engine.table_exists(f"clean_{kind.value}")
        for column in IDENTIFIERS
    ]
    engine.drop(LINK_CHANGES)
    if state.get("features_links_digest") == links_digest(engine):
        engine.execute(f"create temp table {LINK_CHANGES} (node varchar, customer_id varchar)")
    else:
        engine.execute(
            f"create temp table {LINK_CHANGES} as "
            f"(select node, customer_id from identity_links except "
            f"select node, customer_id from {STATE_LINKS}) union all "
            f"(select node, customer_id from {STATE_LINKS} except "
            "select node, customer_id from identity_links)"
        )
    changed = (
        f"select k.cid from {CUSTOMERS} k where k.customer_id in "
        f"(select customer_id from {LINK_CHANGES})"
    )
    new = (
        f"select cid from {CUSTOMERS} where customer_id not in (select customer_id from {features})"
    )
    engine.drop(ONLY)
    engine.execute(
        f"create temp table {ONLY} as select distinct cid from "
        f"({' union all '.join([*sources, changed, new])})"
    )
    engine.drop(ONLY_LINKS)
    engine.execute(
        f"create temp table {ONLY_LINKS} as select * from {LINKS} "
        f"where cid in (select cid from {ONLY})"
    )
    engine.drop(AFFECTED)
    engine.execute(
        f"create temp table {AFFECTED} as select customer_id from {CUSTOMERS} "
        f"where cid in (select cid from {ONLY})"
    )
    return None


def links_digest(engine: Engine) -> str:
    """A digest of `identity_links` (node -> customer), independent of row order."""
    count, total = engine.fetch_all(
        "select count(*), coalesce(sum(hash(node, customer_id)), 0) from identity_links"
    )[0]
    return f"{count}:{total}"


def save_state(engine: Engine, ctx: FeatureContext, print_: str) -> None:
    """Remember this run's as-of time, last batch, fingerprint and identity links."""
    watermark = engine.fetch_all("select coalesce(max(batch_id), 0) from batches")[0][0]
    digest = links_digest(engine)
    kept = _state(engine).get("features_links_digest") == digest
    for key, value in (
        ("features_as_of", ctx.as_of.isoformat()),
        ("features_watermark", str(watermark)),
        ("features_fingerprint", print_),
        ("features_links_digest", digest),
    ):
        engine.execute("insert or replace into _persona_meta values (?, ?)", [key, value])
    engine.drop(LINK_CHANGES)
    if kept and engine.table_exists(STATE_LINKS):
        return  # the links kept are the current ones
    engine.drop(STATE_LINKS)
    engine.execute(f"create table {STATE_LINKS} as select node, customer_id from identity_links")


def _state(engine: Engine) -> dict[str, str]:
    rows = engine.fetch_all(
        "select key, value from _persona_meta where key in ('features_as_of', "
        "'features_watermark', 'features_fingerprint', 'features_links_digest')"
    )
    return {str(k): str(v) for k, v in rows}
