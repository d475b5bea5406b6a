"""The resolve stage: link clean records into customers with stable ids, and explain every link.

1. `graph.build_graph` makes the nodes and the deterministic edges, with the guardrails;
2. probable matches between profiles (Splink, `persona.pipeline.matching`) add edges;
3. human decisions (`persona identity link/split`) add or cut edges, on every rebuild;
4. connected components are the customers; `ids.assign_ids` keeps each person's id stable;
5. `identity_links` says for every node which customer it belongs to and why;
6. `survivorship.build_customers` writes the unified `customers` table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from persona.config import IdentityConfig, ProjectConfig
from persona.engine.base import Engine
from persona.model.errors import PersonaError
from persona.pipeline.resolve import incremental
from persona.pipeline.resolve.control import decision_nodes
from persona.pipeline.resolve.decisions import Decision
from persona.pipeline.resolve.graph import EDGES, NODES, build_graph
from persona.pipeline.resolve.ids import assign_ids
from persona.pipeline.resolve.survivorship import build_customers

Matcher = Callable[[pd.DataFrame, float], pd.DataFrame]
"""(profile records, threshold) -> pairs (record_id_l, record_id_r, match_probability)."""


@dataclass(frozen=True)
class ResolveReport:
    """What one resolve run made."""

    records: int
    identifiers: int
    customers: int
    singletons: int
    largest: int
    matched_pairs: int
    excluded: int
    merged_ids: int
    minted_ids: int
    stale_decisions: list[str]
    reused: bool = False
    """True when the new records could not change any customer, so the graph was not rebuilt."""


def run_resolve(
    engine: Engine,
    config: ProjectConfig,
    matcher: Matcher | None = None,
    decisions: list[Decision] | None = None,
    *,
    full: bool = False,
) -> ResolveReport:
    """Resolve every clean record into customers (see the module docstring).

    Unless `full`, the graph is not rebuilt when the records cleaned since the last run cannot
    change any customer: the result is the same (see `persona.pipeline.resolve.incremental`).
    """
    identity = config.identity
    print_ = incremental.fingerprint(engine, config, decisions or [], matcher is not None)
    with engine.transaction():
        kept = None if full else incremental.try_skip(engine, config, print_)
        if kept is not None:
            unchanged = pd.Series(dtype=object)
            unchanged.attrs.update(merged=0, minted=0)
            report = _report(engine, int(kept["matched"]), unchanged, list(kept["stale"]))
            return replace(report, reused=True)
        build_graph(engine, identity)
        matched = _add_matches(engine, identity, matcher)
        stale = _apply_decisions(engine, decisions or [])
        nodes, labels = _components(engine)
        frame = pd.DataFrame({"node": nodes, "cluster": labels})
        ids = assign_ids(engine, frame)
        _write_links(engine, frame, ids)
        build_customers(engine, config)
        incremental.save_state(engine, print_, {"matched": matched, "stale": stale})
    return _report(engine, matched, ids, stale)


def _add_matches(engine: Engine, config: IdentityConfig, matcher: Matcher | None) -> int:
    if not config.probabilistic or matcher is None:
        return 0
    records = engine.fetch_df(
        "select 'rec:' || _source || ':' || _batch_id || ':' || _line as record_id, "
        "_source as source, coalesce(name, concat_ws(' ', given_name, family_name)) as name, "
        "birth_date, phone, email, city, address, postcode, id_number from clean_profiles"
    )
    if len(records) < 2:
        return 0
    pairs = matcher(records, config.match_threshold)
    if pairs.empty:
        return 0
    rows = [
        (str(a), str(b), "match", float(p))
        for a, b, p in zip(
            pairs["record_id_l"], pairs["record_id_r"], pairs["match_probability"], strict=True
        )
    ]
    engine.insert_rows(EDGES, rows)
    return len(rows)


def _apply_decisions(engine: Engine, decisions: list[Decision]) -> list[str]:
    """Human decisions win over every rule: links add an edge, splits cut a node loose.

    Returns the decisions that no longer name anything (their data is gone).
    """
    stale = []
    for decision in decisions:
        refs = [decision.ref1] if decision.ref2 is None else [decision.ref1, decision.ref2]
        try:
            nodes = decision_nodes(engine, decision.action, refs, NODES)
        except PersonaError:
            nodes = [
                n
                for n in decision.nodes
                if engine.fetch_all(f"select 1 from {NODES} where node = ?", [n])
            ]
            if len(nodes) != len(refs):
                stale.append(f"{decision.action} {' '.join(refs)}")
                continue
        if decision.action == "link":
            engine.insert_rows(EDGES, [(nodes[0], nodes[1], "decision: link", None)])
        elif nodes[0].startswith("rec:"):
            _split_record(engine, nodes[0])
        else:
            node = nodes[0]
            engine.execute(f"delete from {EDGES} where a = ? or b = ?", [node, node])
            engine.execute(f"delete from {NODES} where node = ?", [node])
            engine.execute(
                "insert into identity_excluded values (?, 'split by a person: does not link')",
                [node],
            )
    return stale


def _split_record(engine: Engine, node: str) -> None:
    """The record keeps only identifiers no other record has; it loses every other link."""
    engine.execute(
        f"delete from {EDGES} where (a = ? or b = ?) and not (reason = 'record' and a = ? "
        f"and b in (select b from {EDGES} where reason = 'record' group by b "
        "having count(*) = 1))",
        [node, node, node],
    )


def _components(engine: Engine) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of the graph: (node names, component label of each)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nodes = engine.fetch_df(f"select distinct node from {NODES} order by node")["node"]
    index = pd.Index(nodes)
    edges = engine.fetch_df(f"select a, b from {EDGES}")
    a = index.get_indexer(edges["a"])
    b = index.get_indexer(edges["b"])
    keep = (a >= 0) & (b >= 0)
    size = len(index)
    graph = coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    return index.to_numpy(), labels


def _write_links(engine: Engine, frame: pd.DataFrame, ids: pd.Series) -> None:
    """Rewrite `identity_links`: each node's customer, and the edge that explains it best."""
    engine.execute("delete from identity_links")
    engine.drop("_identity_assignment")
    engine.execute("create temp table _identity_assignment (node varchar, customer_id varchar)")
    engine.insert_rows(
        "_identity_assignment",
        list(zip(frame["node"], ids.loc[frame["cluster"]].to_numpy(), strict=True)),
    )
    # A record is best explained by a decision or a match with another record; an identifier
    # by the record it is on.
    rank = (
        "case when e.reason = 'decision: link' then 0 "
        "when n.node_type = 'record' and e.reason = 'match' then 1 "
        "when n.node_type <> 'record' and e.reason = 'record' then 1 "
        "when e.reason like 'together%' then 2 else 3 end"
    )
    # Ties (two edges of the same rank and score) go to the first text, so a rebuild gives
    # the same reason.
    reason = "e.reason || ' (' || e.other || ')'"
    engine.execute(
        "insert into identity_links select n.node, n.node_type, a.customer_id, n.source, "
        f"coalesce(first({reason} order by {rank} * 10 - coalesce(e.score, 0), {reason}), "
        "'alone'), max(e.score) "
        f"from {NODES} n join _identity_assignment a on a.node = n.node "
        f"left join (select a as node, b as other, reason, score from {EDGES} "
        f"union all select b, a, reason, score from {EDGES}) e on e.node = n.node "
        "group by n.node, n.node_type, a.customer_id, n.source"
    )


def _report(engine: Engine, matched: int, ids: pd.Series, stale: list[str]) -> ResolveReport:
    fetch = engine.fetch_all
    sizes = fetch(
        "select count(*), count(*) filter (where n = 1), coalesce(max(n), 0) from "
        "(select customer_id, count(*) as n from identity_links where node_type = 'record' "
        "group by 1)"
    )[0]
    counts = fetch(
        "select count(*) filter (where node_type = 'record'), "
        "count(*) filter (where node_type = 'identifier'), count(distinct customer_id) "
        "from identity_links"
    )[0]
    excluded = int(fetch("select count(*) from identity_excluded")[0][0])
    merged = int(ids.attrs.get("merged", 0))
    minted = int(ids.attrs.get("minted", 0))
    return ResolveReport(
        records=int(counts[0]),
        identifiers=int(counts[1]),
        customers=int(counts[2]),
        singletons=int(sizes[1]),
        largest=int(sizes[2]),
        matched_pairs=matched,
        excluded=excluded,
        merged_ids=merged,
        minted_ids=minted,
        stale_decisions=stale,
    )
