"""Each segment against the population, computed in the engine: what names are made of.

For every describing feature (the features segmented on, and the ones the name vocabulary and
the evidence texts know) the segment's mean is compared with the mean of every segmented
customer: z = (segment mean - population mean) / population standard deviation, on log1p
values for a skewed non-negative feature (non-negative, above 1 somewhere, skewness above 1:
money and counts), so that a few very large spenders do not decide. Missing values are left
out of the means. Categorical features give each value's share of the segment and of the
population. ``active_30d`` (an event or an order in the last 30 days) is derived.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.model.segments import NAMES, TRAIT_WORDS, SegmentProfile, Stat
from persona.pipeline.segments.evidence import FEATURE_TEXT
from persona.pipeline.segments.inputs import Source

ACTIVE_30D = "active_30d"
MIN_LEVEL_SHARE = 0.01
"""Values of a categorical feature rarer than this in the population are not described."""
MAX_LEVELS = 50
DESCRIBED = "_seg_described"
"""Temp table: each member's segment key and the columns described."""


@dataclass(frozen=True)
class Description:
    """Every segment described.

    Attributes:
        profiles: Segment key -> its profile (sizes, stats, category shares).
        centres: Segment key -> feature -> the segment's mean (numbers) or most common value.
        population: The segmented customers.
    """

    profiles: dict[int, SegmentProfile]
    centres: dict[int, dict[str, Any]]
    population: int


def _describing_features(source: Source, features: Sequence[str]) -> tuple[list[str], list[str]]:
    """The numeric and categorical features segments are described by."""
    known = [f for name in NAMES for t in name.traits if t.pattern is None for f in t.features]
    known += [feature for feature, _ in TRAIT_WORDS] + list(FEATURE_TEXT)
    numeric = [
        f
        for f in dict.fromkeys([*features, *known])
        if source.types.get(f) in ("number", "boolean")
    ]
    patterned = [f for name in NAMES for t in name.traits if t.pattern for f in t.features]
    categorical = [
        f for f in dict.fromkeys([*features, *patterned]) if source.types.get(f) == "text"
    ]
    return numeric, categorical


def describe(
    engine: Engine,
    source: Source,
    members: str,
    features: Sequence[str],
) -> Description:
    """Profiles and centres of the segments in `members` (customer_id, segment key).

    Args:
        engine: The engine.
        source: The source relation.
        members: A table of ``customer_id`` and ``segment`` (the segment key).
        features: The features segmented on (their means, or most common values, are the
            centres).
    """
    numeric, categorical = _describing_features(source, features)
    values = {f: f"cast(s.{quote_identifier(f)} as double)" for f in numeric}
    types = source.types
    if "active_days_30d" in types or "orders_30d" in types:
        parts = [
            f"coalesce(s.{quote_identifier(f)}, 0) > 0"
            for f in ("active_days_30d", "orders_30d")
            if types.get(f) == "number"
        ]
        if parts:
            values[ACTIVE_30D] = f"cast(({' or '.join(parts)}) as double)"
    # The members with the columns described, once: three queries read them.
    used = dict.fromkeys([*numeric, *categorical, "active_days_30d", "orders_30d"])
    columns = "".join(f", s.{quote_identifier(c)}" for c in used if c in types)
    engine.drop(DESCRIBED)
    engine.execute(
        f"create temp table {DESCRIBED} as select m.segment as _seg{columns} "
        f"from {members} m join {source.sql} s on s.customer_id = m.customer_id"
    )
    try:
        return _describe(engine, DESCRIBED, features, numeric, categorical, values)
    finally:
        engine.drop(DESCRIBED)


def _describe(
    engine: Engine,
    relation: str,
    features: Sequence[str],
    numeric: list[str],
    categorical: list[str],
    values: dict[str, str],
) -> Description:
    """`describe` over `relation` (the members' segment keys and described columns)."""
    logged = _skewed(engine, relation, values)
    shaped = {f: (f"ln(1 + greatest({v}, 0))" if f in logged else v) for f, v in values.items()}
    selects = ["count(*)"]
    for f, v in values.items():
        selects += [f"avg({v})", f"avg({shaped[f]})", f"stddev_pop({shaped[f]})"]
    rows = engine.fetch_all(
        f"select case when grouping(_seg) = 0 then _seg end, {', '.join(selects)} "
        f"from {relation} s group by grouping sets ((_seg), ())"
    )
    population = next(r for r in rows if r[0] is None)
    total = int(population[1])
    shares = _shares(
        engine,
        relation,
        categorical,
        {int(r[0]): int(r[1]) for r in rows if r[0] is not None},
        total,
    )
    profiles: dict[int, SegmentProfile] = {}
    centres: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row[0] is None:
            continue
        key = int(row[0])
        stats: dict[str, Stat] = {}
        for i, feature in enumerate(values):
            mean, shaped_mean = row[2 + 3 * i], row[3 + 3 * i]
            base, base_shaped, spread = population[2 + 3 * i : 5 + 3 * i]
            if mean is None or base is None:
                continue
            z = (shaped_mean - base_shaped) / spread if spread else 0.0
            stats[feature] = Stat(feature, float(mean), float(base), round(float(z), 4))
        categories = {f: levels.get(key, {}) for f, levels in shares.items()}
        profiles[key] = SegmentProfile(int(row[1]), stats, categories)
        centres[key] = _centre(features, stats, categories)
    return Description(profiles, centres, total)


def _skewed(engine: Engine, relation: str, values: dict[str, str]) -> set[str]:
    """The features described on log1p values: non-negative, above 1, skewness above 1."""
    if not values:
        return set()
    selects = [f"min({v}), max({v}), skewness({v})" for v in values.values()]
    row = engine.fetch_all(f"select {', '.join(selects)} from {relation} s")[0]
    logged = set()
    for i, feature in enumerate(values):
        low, high, skew = row[3 * i : 3 * i + 3]
        if low is not None and low >= 0 and high > 1 and skew is not None and skew > 1:
            logged.add(feature)
    return logged


def _shares(
    engine: Engine,
    relation: str,
    categorical: Sequence[str],
    sizes: dict[int, int],
    total: int,
) -> dict[str, dict[int, dict[str, tuple[float, float]]]]:
    """Feature -> segment key -> value -> (segment share, population share)."""
    if not categorical or not total:
        return {}
    parts = " union all ".join(
        f"select {quote_literal(f)} as _f, _seg, cast(s.{quote_identifier(f)} as varchar) as _v "
        f"from {relation} s where s.{quote_identifier(f)} is not null"
        for f in categorical
    )
    rows = engine.fetch_all(
        f"select _f, case when grouping(_seg) = 0 then _seg end, _v, count(*) from ({parts}) "
        "group by grouping sets ((_f, _seg, _v), (_f, _v))"
    )
    base: dict[str, dict[str, float]] = {f: {} for f in categorical}
    for feature, segment, value, count in rows:
        if segment is None:
            base[str(feature)][str(value)] = int(count) / total
    kept = {
        f: dict(sorted(levels.items(), key=lambda i: (-i[1], i[0]))[:MAX_LEVELS])
        for f, levels in base.items()
    }
    kept = {
        f: {v: s for v, s in levels.items() if s >= MIN_LEVEL_SHARE} for f, levels in kept.items()
    }
    out: dict[str, dict[int, dict[str, tuple[float, float]]]] = {
        f: {key: {v: (0.0, s) for v, s in levels.items()} for key in sizes}
        for f, levels in kept.items()
    }
    for feature, segment, value, count in rows:
        f, v = str(feature), str(value)
        if segment is not None and v in kept[f] and sizes.get(int(segment)):
            out[f][int(segment)][v] = (int(count) / sizes[int(segment)], kept[f][v])
    return out


def _centre(
    features: Sequence[str],
    stats: dict[str, Stat],
    categories: dict[str, dict[str, tuple[float, float]]],
) -> dict[str, Any]:
    """Feature -> the segment's mean (rounded) or its most common value."""
    centre: dict[str, Any] = {}
    for feature in features:
        if feature in stats:
            centre[feature] = round(stats[feature].value, 4)
        elif feature in categories:
            levels = categories[feature]
            top = max(levels.items(), key=lambda i: (i[1][0], i[0]), default=None)
            centre[feature] = top[0] if top and top[1][0] > 0 else None
    return centre
