"""Which segment to build for first: a priority score from size, value, growth and activity.

Each factor is scaled to 0-1 across the segments: size, value (spend per customer) and
activity (the share active in the last 30 days) are divided by the largest segment's; growth
(the size change since the previous snapshot) runs from the slowest segment (0) to the fastest
(1; 0.5 each when all grew alike). The score is the weighted mean of the factors x 100, with
`personas.priority_weights` (default 1 each). Without a previous snapshot growth is unknown
and left out; segments too small to show (fewer than `privacy.k` customers) are not ranked.

Example:
    >>> factors = scale({1: 400.0, 2: 100.0})
    >>> factors
    {1: 1.0, 2: 0.25}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from persona.report.persona import PersonaCard

FACTORS = ("size", "value", "growth", "activity")


@dataclass
class Priority:
    """A segment's place in the ranking.

    Attributes:
        rank: 1 is the first to build for.
        score: 0-100.
        factors: Each factor scaled 0-1 (None: unknown, left out).
        raw: Each factor's own value: customers, spend per customer, growth, active share.
    """

    rank: int
    score: float
    factors: dict[str, float | None]
    raw: dict[str, float | None]


def scale(values: dict[int, float], *, spread: bool = False) -> dict[int, float]:
    """Scale values to 0-1.

    Divided by the largest (negatives count as 0), or, with `spread`, from the smallest (0)
    to the largest (1); equal values then all get 0.5 (no segment stands out).
    """
    if not values:
        return {}
    if spread:
        low, high = min(values.values()), max(values.values())
        return {k: (v - low) / (high - low) if high > low else 0.5 for k, v in values.items()}
    top = max(max(values.values()), 0.0)
    return {k: max(v, 0.0) / top if top > 0 else 0.0 for k, v in values.items()}


def rank(cards: Sequence[PersonaCard], weights: dict[str, float], *, growth_known: bool) -> None:
    """Score and rank the shown cards in place (`card.priority`)."""
    shown = [c for c in cards if not c.suppressed and c.size is not None]
    raw: dict[int, dict[str, float | None]] = {}
    for card in shown:
        metrics = {m.key: m.value for ms in card.metrics.values() for m in ms}
        growth = card.growth.change if card.growth is not None else None
        raw[card.id] = {
            "size": float(card.size or 0),
            "value": metrics.get("monetary"),
            "growth": growth if growth_known else None,
            "activity": metrics.get("active_30d"),
        }
    scaled: dict[str, dict[int, float]] = {}
    for factor in FACTORS:
        known = {i: v for i, r in raw.items() if (v := r[factor]) is not None}
        scaled[factor] = scale(known, spread=factor == "growth")
    used = [f for f in FACTORS if weights.get(f, 0) > 0 and scaled[f]]
    total = sum(weights[f] for f in used)
    scores: dict[int, float] = {}
    for card in shown:
        parts = sum(weights[f] * scaled[f].get(card.id, 0.0) for f in used)
        scores[card.id] = round(100 * parts / total, 1) if total else 0.0
    order = sorted(shown, key=lambda c: (-scores[c.id], -(c.size or 0), c.id))
    for place, card in enumerate(order, start=1):
        factors = {f: scaled[f].get(card.id) if f in used else None for f in FACTORS}
        card.priority = Priority(place, scores[card.id], factors, raw[card.id])
