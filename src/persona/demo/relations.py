"""The social graph: referrals, friends, follows, households and parents' communities.

High-value customers refer newcomers, price-sensitive ones have many friends (group deals),
young parents share a household and join parents' groups in their city, night owls stay alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from persona.demo import textops as tx
from persona.demo.archetypes import ARCHETYPES
from persona.demo.crm import CrmKeys
from persona.demo.ledger import QuarantineLedger, planted
from persona.demo.people import Population, archetype_index
from persona.demo.timeline import DAY, REFERENCE_DATE

RELATION_COLUMNS = (
    "from_customer",
    "from_mobile",
    "to_customer",
    "to_mobile",
    "relation",
    "weight",
    "since",
    "origin",
)
RELATION_MAPPING: dict[str, str] = {
    "src_customer_key": "from_customer",
    "src_phone": "from_mobile",
    "dst_customer_key": "to_customer",
    "dst_phone": "to_mobile",
    "relation": "relation",
    "weight": "weight",
    "since": "since",
}
RELATIONS = ("referral", "friend", "follow", "household", "community")
_ORIGINS = {
    "zh": ("邀请码", "微信好友", "关注动态", "家庭账户", "妈妈群"),
    "en": ("invite_code", "wechat_friend", "follow_feed", "family_account", "parents_group"),
}


@dataclass(frozen=True)
class Graph:
    """Edges as parallel arrays: source person, target person, relation, weight, since."""

    source: np.ndarray
    target: np.ndarray
    relation: np.ndarray
    weight: np.ndarray
    since: np.ndarray


Edges = tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]
"""(source people, target people, relation index, weights, since as local seconds)."""
_END = (int(REFERENCE_DATE.astype(np.int64)) + 1) * DAY


def build_graph(population: Population, rng: np.random.Generator) -> Graph:
    """Draw every relation between the people.

    Args:
        population: The true people.
        rng: Random generator.

    Returns:
        The edges, without self-loops or repeated pairs of one relation.
    """
    parts = [
        _referrals(population, rng),
        _friends(population, rng),
        _follows(population, rng),
        _households(population, rng),
        _communities(population, rng),
    ]
    return _dedupe(parts)


def _ago(rng: np.random.Generator, size: int, low_days: int, high_days: int) -> np.ndarray:
    return _END - rng.integers(low_days, high_days, size) * DAY


def _referrals(population: Population, rng: np.random.Generator) -> Edges:
    """High-value customers refer others, newcomers most of all; since = the referee's sign-up."""
    kind, size = population.archetype, population.size
    referrals = rng.poisson(np.array([a.referrals for a in ARCHETYPES])[kind])
    src = np.repeat(np.arange(size), referrals)
    prefer = np.where(kind == archetype_index("newcomer"), 8.0, 1.0)
    gumbel = np.log(prefer) - np.log(-np.log(rng.random(size)))
    dst = np.argsort(-gumbel)[: min(len(src), size // 2)]
    src = rng.permutation(src)[: len(dst)]
    ok = population.registered[src] < population.registered[dst]
    return src[ok], dst[ok], 0, np.ones(int(ok.sum())), population.registered[dst[ok]]


def _friends(population: Population, rng: np.random.Generator) -> Edges:
    """Friends, half of them of the same archetype; price-sensitive people have the most."""
    kind, size = population.archetype, population.size
    degree = rng.poisson(np.array([a.friends for a in ARCHETYPES])[kind])
    src = np.repeat(np.arange(size), degree)
    by_kind = np.argsort(kind, kind="stable")
    first = np.searchsorted(kind[by_kind], kind[src])
    last = np.searchsorted(kind[by_kind], kind[src], side="right")
    peer = by_kind[first + (rng.random(len(src)) * (last - first)).astype(np.int64)]
    dst = np.where(rng.random(len(src)) < 0.5, peer, rng.integers(0, size, len(src)))
    weight = np.round(rng.uniform(0.1, 1.0, len(src)), 2)
    return src, dst, 1, weight, _ago(rng, len(src), 1, 3 * 365)


def _follows(population: Population, rng: np.random.Generator) -> Edges:
    """Socially influenced people follow high-value customers."""
    kind = population.archetype
    high = np.flatnonzero(kind == archetype_index("high_value_active"))
    social = np.isin(
        kind, [archetype_index(k) for k in ("price_sensitive", "newcomer", "young_parent")]
    )
    src = np.flatnonzero(social & (rng.random(population.size) < 0.3)) if len(high) else high
    dst = high[rng.integers(0, len(high), len(src))] if len(high) else high
    return src, dst, 2, np.ones(len(src)), _ago(rng, len(src), 1, 365)


def _households(population: Population, rng: np.random.Generator) -> Edges:
    """Most young parents share a household with a partner of the other sex aged 24-42."""
    parents = population.archetype == archetype_index("young_parent")
    wants = np.flatnonzero(parents & (rng.random(population.size) < 0.6))
    free = ~parents & (population.age >= 24) & (population.age <= 42)
    sources, targets = [], []
    for female in (True, False):
        seekers = wants[population.female[wants] == female]
        partners = rng.permutation(np.flatnonzero(free & (population.female != female)))
        pairs = min(len(seekers), len(partners))
        sources.append(seekers[:pairs])
        targets.append(partners[:pairs])
    src, dst = np.concatenate(sources), np.concatenate(targets)
    return src, dst, 3, np.ones(len(src)), _ago(rng, len(src), 2 * 365, 8 * 365)


def _communities(population: Population, rng: np.random.Generator) -> Edges:
    """Half the young parents join a parents' group with another parent of their city."""
    group = np.flatnonzero(population.archetype == archetype_index("young_parent"))
    order = group[np.argsort(population.city[group], kind="stable")]
    city = population.city[order]
    first = np.searchsorted(city, city)
    last = np.searchsorted(city, city, side="right")
    joins = rng.random(len(order)) < 0.5
    other = order[first + (rng.random(len(order)) * (last - first)).astype(np.int64)]
    count = int(joins.sum())
    return order[joins], other[joins], 4, np.full(count, 0.5), _ago(rng, count, 1, 2 * 365)


def _dedupe(parts: list[Edges]) -> Graph:
    source = np.concatenate([p[0] for p in parts]).astype(np.int64)
    target = np.concatenate([p[1] for p in parts]).astype(np.int64)
    relation = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    weight = np.concatenate([p[3] for p in parts]).astype(np.float64)
    since = np.concatenate([p[4] for p in parts]).astype(np.int64)
    low, high = np.minimum(source, target), np.maximum(source, target)
    pair = (relation * (high.max(initial=0) + 1) + low) * (high.max(initial=0) + 1) + high
    _, first = np.unique(pair, return_index=True)
    keep = np.zeros(len(source), dtype=bool)
    keep[first] = True
    keep &= source != target
    order = np.flatnonzero(keep)
    order = order[np.argsort(since[order], kind="stable")]
    return Graph(source[order], target[order], relation[order], weight[order], since[order])


def write_relations(
    out: Path,
    population: Population,
    graph: Graph,
    keys: CrmKeys,
    rng: np.random.Generator,
    lang: str,
    ledger: QuarantineLedger,
) -> int:
    """Write data/relations.csv and plant rows without a target identifier.

    Returns:
        The number of rows written.
    """
    size = len(graph.source)
    from_key, from_phone = _ends(population, graph.source, keys, rng)
    to_key, to_phone = _ends(population, graph.target, keys, rng)
    empty = np.sort(rng.choice(size, min(size, planted(size)), replace=False))
    mask = np.zeros(size, dtype=bool)
    mask[empty] = True
    to_key, to_phone = tx.where(mask, "", to_key), tx.where(mask, "", to_phone)
    columns = [
        from_key,
        from_phone,
        to_key,
        to_phone,
        tx.pick(RELATIONS, graph.relation),
        tx.join(
            tx.num(np.floor(graph.weight).astype(np.int64)),
            ".",
            tx.num(np.round(graph.weight * 100).astype(np.int64) % 100, 2),
        ),
        tx.date_text(graph.since // DAY),
        tx.pick(_ORIGINS[lang], graph.relation),
    ]
    with (out / "data" / "relations.csv").open("wb") as handle:
        handle.write((",".join(RELATION_COLUMNS) + "\n").encode())
        tx.write_lines(handle, tx.csv_lines(columns))
    ledger.receive("relations", size)
    ledger.plant("relations", "no_identifier", "data/relations.csv", empty + 2, [""] * len(empty))
    return size


def _ends(
    population: Population, person: np.ndarray, keys: CrmKeys, rng: np.random.Generator
) -> tuple[Any, Any]:
    """Return each end's CRM key (empty if none) and phone (given when no key, or sometimes)."""
    key = keys.primary.take(pa.array(person))
    no_key = key.is_null().to_numpy(zero_copy_only=False)
    style = np.where(rng.random(len(person)) < 0.2, 2, 0)
    phone = tx.phone_text(population.phone[person], style)
    phone = tx.where(no_key | (rng.random(len(person)) < 0.3), phone, "")
    return tx.where(no_key, "", key), phone
