"""Stable segment ids: a refit's segments take the ids of the previous fit's nearest ones.

The previous segments' centres (in original units, from the `segments` table) and the new
ones are put through the new fit's transforms, and the Hungarian assignment pairs them at the
least total squared distance; a new segment left over (k grew) takes the smallest unused id.
Without a previous fit, ids follow size: 1 is the largest segment. So growth and migration
between snapshots compare like with like.
"""

from __future__ import annotations

import json

import numpy as np

from persona.engine.base import Engine
from persona.pipeline.segments.profiles import Description
from persona.pipeline.segments.transforms import Transform


def stable_ids(
    engine: Engine, transform: Transform, description: Description, table: str
) -> dict[int, int]:
    """Segment key (fit order) -> segment id.

    Args:
        engine: The engine.
        transform: The new fit's transforms.
        description: The new segments (their centres and sizes).
        table: The segments table of the previous fit (read before it is replaced).
    """
    keys = sorted(description.profiles, key=lambda k: (-description.profiles[k].size, k))
    previous = _previous(engine, table, transform)
    if not previous:
        return {key: rank for rank, key in enumerate(keys, start=1)}
    from scipy.optimize import linear_sum_assignment

    old_ids = list(previous)
    new = np.array([transform.vector(description.centres[k]) for k in keys])
    old = np.array([previous[i] for i in old_ids])
    cost = ((new[:, None, :] - old[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    ids = {keys[r]: old_ids[c] for r, c in zip(rows, cols, strict=True)}
    free = (i for i in range(1, len(keys) + len(old_ids) + 1) if i not in old_ids)
    for key in keys:
        if key not in ids:
            ids[key] = next(free)
    return ids


def _previous(engine: Engine, table: str, transform: Transform) -> dict[int, np.ndarray]:
    """The previous segments' centres in the new transformed space (none when incomparable)."""
    if not engine.table_exists(table):
        return {}
    rows = engine.fetch_all(f"select segment_id, centre from {table} order by segment_id")
    centres = {int(i): json.loads(c) if c else {} for i, c in rows}
    wanted = set(transform.features)
    if not centres or not any(wanted & set(c) for c in centres.values()):
        return {}
    return {i: transform.vector(c) for i, c in centres.items()}
