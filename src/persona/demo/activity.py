"""Day-by-day simulation of behaviour: each day's orders and events are drawn and written at once.

Working one day at a time keeps memory flat (a day of a million customers is about 110,000
events) and makes every day's random draws independent of the others, so the output depends only
on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from persona.demo.archetypes import ARCHETYPES
from persona.demo.crm import CrmKeys
from persona.demo.events import ANONYMOUS_EVENTS_PER_PERSON, CLEAN_DAYS, EventWriter
from persona.demo.ledger import DayPlanner, QuarantineLedger, planted
from persona.demo.orders import STATUSES, OrderWriter
from persona.demo.people import Population
from persona.demo.timeline import WINDOW_DAYS, archetype_day_weights, window_sums

BROWSE_SCALE = 0.72
"""Scales the archetypes' browsing so that, with purchases and visitors, a person has ~20 events."""
EVENT_DEFECT_SHARE = 0.00025


@dataclass(frozen=True)
class ActivityTotals:
    """What the simulation wrote, and per-person truth about it."""

    events: int
    event_files: int
    orders: int
    events_per_person: np.ndarray
    orders_per_person: np.ndarray
    revenue_cents: np.ndarray
    last_event: np.ndarray
    last_order: np.ndarray


def simulate(
    out: Path, population: Population, keys: CrmKeys, lang: str, seed: int, ledger: QuarantineLedger
) -> ActivityTotals:
    """Draw and write every day's orders and events.

    Args:
        out: The project folder.
        population: The true people.
        keys: Their CRM keys.
        lang: ``zh`` or ``en``.
        seed: The demo seed; day `d` draws from ``default_rng([seed, 11, d])``.
        ledger: Receives the expected quarantine counts.

    Returns:
        The totals and per-person truth.
    """
    kind = population.archetype
    weights = archetype_day_weights()
    span = window_sums(weights, population.first_day, population.last_day, kind)
    browse = np.array([a.events for a in ARCHETYPES])[kind] * BROWSE_SCALE
    event_rate = browse * population.activity / span
    order_rate = np.array([a.orders for a in ARCHETYPES])[kind] * population.activity / span

    expected_orders = float((order_rate * span).sum())
    expected_events = float((event_rate * span).sum()) + expected_orders
    expected_events += population.size * ANONYMOUS_EVENTS_PER_PERSON
    plan_rng = np.random.default_rng([seed, 5])
    order_planner = DayPlanner(
        plan_rng,
        {
            "bad_number": planted(int(expected_orders)),
            "missing_order_id": planted(int(expected_orders)),
        },
        WINDOW_DAYS,
    )
    event_count = planted(int(expected_events), 3, EVENT_DEFECT_SHARE)
    event_planner = DayPlanner(
        plan_rng,
        dict.fromkeys(
            ("malformed_json", "missing_timestamp", "bad_timestamp", "no_identifier"), event_count
        ),
        WINDOW_DAYS - CLEAN_DAYS,
    )
    orders = OrderWriter(out, population, keys, lang, ledger, order_planner)
    events = EventWriter(out, population, keys, lang, ledger, event_planner)
    orders_per_person = np.zeros(population.size, dtype=np.int64)
    revenue = np.zeros(population.size, dtype=np.int64)
    last_order = np.full(population.size, -1, dtype=np.int64)
    try:
        for day in range(WINDOW_DAYS):
            rng = np.random.default_rng([seed, 11, day])
            active = (population.first_day <= day) & (day <= population.last_day)
            lift = weights[:, day][kind] * active
            day_orders = orders.day(day, rng.poisson(order_rate * lift), rng)
            events.day(day, rng.poisson(event_rate * lift), day_orders, rng)
            np.add.at(orders_per_person, day_orders.person, 1)
            paid = day_orders.status == STATUSES.index("paid")
            np.add.at(revenue, day_orders.person[paid], day_orders.amount_cents[paid])
            np.maximum.at(last_order, day_orders.person, day_orders.seconds)
    finally:
        orders.close()
    return ActivityTotals(
        events=events.lines,
        event_files=events.files,
        orders=orders.rows,
        events_per_person=events.per_person,
        orders_per_person=orders_per_person,
        revenue_cents=revenue,
        last_event=events.last_seen,
        last_order=last_order,
    )
