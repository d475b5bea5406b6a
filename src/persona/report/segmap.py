"""The segment map: the segmentation features of a sample projected onto two axes.

A fixed sample of segmented customers is put in the space the last fit worked in (its
`segment_runs.transforms`: medians for missing values, log1p, scaling, weighted one-hot
categories; rule segments, which have no transforms, get their features standardised) and
projected on the first two principal components (numpy's SVD). The map shows squares of a
grid, not people: each square is coloured by the segment most of its customers belong to, and
a square with fewer than `privacy.k` sampled customers is not drawn. Segment centres are the
means of their members' positions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from persona.engine.base import Engine, quote_identifier
from persona.pipeline.segments.transforms import Transform

SAMPLE = 20_000
"""Customers sampled for the map (a fixed sample: the same store gives the same map)."""
MAX_GRID = 40
"""Squares across at most (fewer for small samples, so that squares hold k customers)."""


@dataclass
class SegmentMap:
    """What the map chart draws.

    Attributes:
        cells: One row per drawn square: x, y (its centre), segment (most common), customers
            (sampled), purity (share of the most common segment).
        centres: One row per segment: segment, x, y.
        explained: Share of the variance each axis explains.
        width: A square's width and height in axis units.
        features: The features used.
    """

    cells: pd.DataFrame
    centres: pd.DataFrame
    explained: tuple[float, float]
    width: tuple[float, float]
    features: list[str] = field(default_factory=list)


def segment_map(engine: Engine, k: int, sample: int = SAMPLE) -> SegmentMap | None:
    """Project a sample of segmented customers onto two axes (None without usable features)."""
    run = engine.fetch_all(
        "select features, transforms from segment_runs order by run_id desc limit 1"
    )
    if not run:
        return None
    spec = json.loads(run[0][1]) if run[0][1] else None
    fitted = Transform.from_json(spec) if isinstance(spec, dict) and "features" in spec else None
    wanted = fitted.features if fitted else [str(f) for f in json.loads(run[0][0] or "[]")]
    frame = _sample(engine, wanted, sample)
    if frame is None or len(frame) < 3:
        return None
    values = frame.drop(columns=["segment_id"])
    matrix = fitted.matrix(values) if fitted else _standardised(values)
    matrix = matrix[:, matrix.std(axis=0) > 0]
    if matrix.shape[1] < 2:
        return None
    centred = matrix - matrix.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    points = centred @ axes[:2].T
    variance = singular**2
    explained = (float(variance[0] / variance.sum()), float(variance[1] / variance.sum()))
    segments = frame["segment_id"].to_numpy()
    centres = (
        pd.DataFrame({"segment": segments, "x": points[:, 0], "y": points[:, 1]})
        .groupby("segment", as_index=False)[["x", "y"]]
        .mean()
    )
    cells, width = _grid(points, segments, k)
    return SegmentMap(cells, centres, explained, width, list(values.columns))


def _sample(engine: Engine, wanted: list[str], size: int) -> pd.DataFrame | None:
    """A fixed sample of members with the features they were segmented on."""
    sources = {"f": "features", "t": "tags", "c": "customers", "e": "profile_extras"}
    where: dict[str, str] = {}
    for alias, table in sources.items():
        if engine.table_exists(table):
            for column in engine.table_columns(table):
                where.setdefault(column, alias)
    columns = [c for c in wanted if c in where and c != "customer_id"]
    if not columns:
        return None
    joins = " ".join(
        f"left join {table} {alias} on {alias}.customer_id = m.customer_id"
        for alias, table in sources.items()
        if alias in {where[c] for c in columns}
    )
    selected = ", ".join(f"{where[c]}.{quote_identifier(c)}" for c in columns)
    return engine.fetch_df(
        f"select m.segment_id, {selected} from segment_members m {joins} "
        f"order by hash(m.customer_id), m.customer_id limit {int(size)}"
    )


def _standardised(frame: pd.DataFrame) -> np.ndarray:
    """Numbers standardised (missing: the median), categories one-hot, for rule segments."""
    blocks: list[np.ndarray] = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            text = column.astype("string")
            top = text.value_counts().index[:10]
            blocks += [(text == v).fillna(False).to_numpy(float) for v in top]
            continue
        values = column.astype(float).to_numpy()
        median = np.nanmedian(values) if np.isfinite(values).any() else 0.0
        blocks.append(np.where(np.isnan(values), median, values))
    scaled = [(b - b.mean()) / b.std() for b in blocks if b.std() > 0]
    return np.column_stack(scaled) if scaled else np.empty((len(frame), 0))


def _grid(
    points: np.ndarray, segments: np.ndarray, k: int
) -> tuple[pd.DataFrame, tuple[float, float]]:
    """Squares of the map with at least k sampled customers, by most common segment."""
    across = int(np.clip(round(np.sqrt(len(points) / (2 * k)) * 1.2), 6, MAX_GRID))
    grid = np.array([across, max(4, round(across * 2 / 3))])
    low = np.percentile(points, 1, axis=0)
    high = np.percentile(points, 99, axis=0)
    span = np.where(high > low, high - low, 1.0)
    width = span / grid
    cell = np.floor((points - low) / width).clip(0, grid - 1).astype(int)
    frame = pd.DataFrame({"i": cell[:, 0], "j": cell[:, 1], "segment": segments})
    counts = frame.groupby(["i", "j", "segment"]).size().rename("n").reset_index()
    totals = counts.groupby(["i", "j"])["n"].transform("sum")
    counts["customers"], counts["purity"] = totals, counts["n"] / totals
    top = counts.sort_values(["n", "segment"], ascending=[False, True]).drop_duplicates(["i", "j"])
    top = top[top["customers"] >= k]
    cells = pd.DataFrame(
        {
            "x": low[0] + (top["i"] + 0.5) * width[0],
            "y": low[1] + (top["j"] + 0.5) * width[1],
            "segment": top["segment"].astype(int),
            "customers": top["customers"].astype(int),
            "purity": top["purity"],
        }
    ).reset_index(drop=True)
    return cells, (float(width[0]), float(width[1]))
