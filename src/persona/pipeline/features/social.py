"""Social features: degree, referrals, household size, influence (PageRank) and community.

Counts come from SQL over relations with their customers on both sides; a side that is no
known customer still counts as a counterparty (named by its identifier). Influence and
community come from the customer-level graph (both sides known customers, no self-loops): the
edges are fetched as arrays, PageRank is a sparse power iteration (scipy), communities are
connected components, and the results go back with `insert_rows`.

Edge direction for PageRank follows attention: a follower points at whom they follow
(``follow``: src -> dst), a referred customer points at their referrer (``referral``:
dst -> src), and every other relation (friend, household ...) points both ways.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from persona.engine.base import Engine
from persona.pipeline.features.records import CUSTOMERS, RELATIONS, FeatureContext

TABLE = "_ff_family_social"
GRAPH = "_ff_social_graph"
DAMPING = 0.85
TOLERANCE = 1e-10
MAX_ITERATIONS = 200


def build_social(ctx: FeatureContext) -> str:
    """Create the family's temp table (one row per customer in a relation); return its name."""
    engine = ctx.engine
    _graph_features(engine)
    sides = (
        "select src_cid as cid, coalesce(cast(dst_cid as varchar), dst_node) as other, "
        f"relation, true as outgoing from {RELATIONS} where src_cid is not null "
        "union all select dst_cid, coalesce(cast(src_cid as varchar), src_node), relation, "
        f"false from {RELATIONS} where dst_cid is not null"
    )
    engine.drop(TABLE)
    engine.execute(
        f"create temp table {TABLE} as select a.*, g.influence, k.customer_id as community, "
        "g.community_size from (select cid, count(distinct other) as degree, "
        "count(distinct other) filter (where relation = 'referral' and outgoing) "
        "as referrals_made, "
        "count(distinct other) filter (where relation = 'referral' and not outgoing) "
        "as referrals_received, "
        "1 + count(distinct other) filter (where relation = 'household') as household_size "
        f"from ({sides}) where other is not null and other <> cast(cid as varchar) "
        f"group by cid) a left join {GRAPH} g on g.cid = a.cid "
        f"left join {CUSTOMERS} k on k.cid = g.community"
    )
    engine.drop(GRAPH)
    return TABLE


def _graph_features(engine: Engine) -> None:
    """Create temp `GRAPH` (cid, influence, community, community_size).

    A community is named by its smallest customer number, which is its smallest customer_id.
    """
    known = "src_cid is not null and dst_cid is not null and src_cid <> dst_cid"
    edges = engine.fetch_df(
        "select a, b, sum(w) as w from ("
        "select case when relation = 'referral' then dst_cid else src_cid end as a, "
        "case when relation = 'referral' then src_cid else dst_cid end as b, "
        f"greatest(coalesce(weight, 1), 0) as w from {RELATIONS} where {known} "
        "union all select dst_cid, src_cid, greatest(coalesce(weight, 1), 0) "
        f"from {RELATIONS} where {known} and relation not in ('referral', 'follow')) "
        "where w > 0 group by a, b order by a, b"
    )
    engine.drop(GRAPH)
    engine.execute(
        f"create temp table {GRAPH} (cid integer, influence double, community integer, "
        "community_size bigint)"
    )
    if edges.empty:
        return
    codes, nodes = pd.factorize(pd.concat([edges["a"], edges["b"]], ignore_index=True))
    count, size = len(edges), len(nodes)
    source, target = codes[:count], codes[count:]
    rank = pagerank(source, target, edges["w"].to_numpy(dtype=np.float64), size)
    labels = components(source, target, size)
    frame = pd.DataFrame({"cid": np.asarray(nodes, dtype=np.int64), "label": labels})
    grouped = frame.groupby("label")["cid"]
    rows: list[tuple[Any, ...]] = list(
        zip(
            frame["cid"].tolist(),
            (rank * size).tolist(),
            grouped.transform("min").tolist(),
            grouped.transform("size").tolist(),
            strict=True,
        )
    )
    engine.insert_rows(GRAPH, rows)


def pagerank(
    source: np.ndarray,
    target: np.ndarray,
    weights: np.ndarray,
    size: int,
    damping: float = DAMPING,
) -> np.ndarray:
    """PageRank of a weighted directed graph by sparse power iteration.

    A node without outgoing edges spreads its rank evenly over every node.

    Args:
        source: Edge sources (node indices).
        target: Edge targets.
        weights: Positive edge weights.
        size: The number of nodes.
        damping: The probability of following an edge rather than jumping.

    Returns:
        The rank of every node; the ranks sum to 1.

    Example:
        >>> import numpy as np
        >>> r = pagerank(np.array([1, 2]), np.array([0, 0]), np.ones(2), 3)
        >>> int(r.argmax())
        0
    """
    from scipy.sparse import csr_matrix

    out = np.bincount(source, weights=weights, minlength=size)
    scale = np.divide(weights, out[source], out=np.zeros_like(weights), where=out[source] > 0)
    # transition[j, i]: the share of i's rank that flows to j
    transition = csr_matrix((scale, (target, source)), shape=(size, size))
    dangling = out == 0
    rank = np.full(size, 1.0 / size)
    for _ in range(MAX_ITERATIONS):
        spread = damping * rank[dangling].sum() / size + (1 - damping) / size
        updated = damping * (transition @ rank) + spread
        done = np.abs(updated - rank).sum() < TOLERANCE
        rank = updated
        if done:
            break
    return np.asarray(rank / rank.sum(), dtype=np.float64)


def components(source: np.ndarray, target: np.ndarray, size: int) -> np.ndarray:
    """Connected component label of every node, edges taken as undirected."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(source)), (source, target)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels)
