"""Stable customer ids: a person keeps their id while their cluster persists.

Each new cluster looks at the ids its nodes had in the previous run. An old id stays with the
cluster that holds most of its nodes (its home). A cluster that is home to several old ids keeps
the oldest and retires the others (a merge, recorded with the survivor); a cluster that is home
to none mints a new id, recording as parent the old id most of its nodes came from (a split).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from persona.engine.base import Engine

PREFIX = "cust_"


def assign_ids(engine: Engine, frame: pd.DataFrame) -> pd.Series:
    """Return the customer id of every cluster label in `frame` (columns node, cluster).

    The returned Series is indexed by cluster label; ``attrs`` holds the counts ``merged``
    and ``minted``. `customer_ids` is updated (new ids, retired ids with their successor).
    """
    previous = engine.fetch_df("select node, customer_id from identity_links")
    known = frame.merge(previous, on="node", how="inner")
    overlap = known.groupby(["customer_id", "cluster"]).size().rename("n").reset_index()
    seq = engine.fetch_df("select customer_id, seq from customer_ids")
    overlap = overlap.merge(seq, on="customer_id", how="left")
    # An old id's home: the cluster holding most of its nodes (ties: the lowest label).
    homes = overlap.sort_values(["customer_id", "n", "cluster"], ascending=[True, False, True])
    homes = homes.drop_duplicates("customer_id")
    survivors = homes.sort_values(["cluster", "seq"]).drop_duplicates("cluster")
    retired = homes[~homes["customer_id"].isin(survivors["customer_id"])].merge(
        survivors[["cluster", "customer_id"]].rename(columns={"customer_id": "successor"}),
        on="cluster",
    )
    ids = survivors.set_index("cluster")["customer_id"]
    clusters = pd.Index(sorted(frame["cluster"].unique()))
    needing = clusters.difference(ids.index)
    parents = (
        overlap[overlap["cluster"].isin(needing)]
        .sort_values(["cluster", "n"], ascending=[True, False])
        .drop_duplicates("cluster")
        .set_index("cluster")["customer_id"]
    )
    start = int(engine.fetch_all("select coalesce(max(seq), 0) from customer_ids")[0][0]) + 1
    now = datetime.now(UTC)
    new_rows = []
    minted: dict[int, str] = {}
    for offset, cluster in enumerate(needing):
        customer_id = f"{PREFIX}{start + offset:08d}"
        minted[int(cluster)] = customer_id
        parent = parents.get(cluster)
        new_rows.append((customer_id, start + offset, now, "active", None, parent))
    engine.insert_rows("customer_ids", new_rows)
    for old, successor in zip(retired["customer_id"], retired["successor"], strict=True):
        engine.execute(
            "update customer_ids set status = 'retired', successor = ? where customer_id = ?",
            [successor, old],
        )
    vanished = set(previous["customer_id"]) - set(homes["customer_id"])
    for old in vanished:  # every node of it is gone (data removed, or excluded)
        engine.execute(
            "update customer_ids set status = 'retired' where customer_id = ? "
            "and status = 'active'",
            [old],
        )
    result: pd.Series = pd.concat([ids, pd.Series(minted, dtype=object)]).reindex(clusters)
    result.attrs["merged"] = len(retired)
    result.attrs["minted"] = len(minted)
    return result
