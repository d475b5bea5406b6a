"""App and web tracking events, one JSON-lines file per day (data/events/events_YYYY-MM-DD.jsonl).

A line names the person by device id and, when logged in, by member number, WeChat unionid or
CRM customer key; store visits carry the phone number given at the till; anonymous visitors
only ever show a device id. Timestamps mix ISO 8601 with +08:00, ISO without a zone and epoch
(milli)seconds, as tracking SDKs do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from persona.demo import textops as tx
from persona.demo.archetypes import ARCHETYPES, archetype_table, weight_table
from persona.demo.crm import CrmKeys
from persona.demo.eventlines import PURCHASE, STORE_VISIT, DayEvents, render
from persona.demo.ledger import DayPlanner, QuarantineLedger
from persona.demo.orders import DayOrders, item_codes, session_hours
from persona.demo.people import Population, draw, sample_rows
from persona.demo.timeline import DAY, WINDOW_DAYS, day_label, day_start
from persona.demo.vocab import CATEGORIES, CHANNELS

EVENT_MAPPING: dict[str, str] = {
    "device_id": "device_id",
    "member_no": "member_no",
    "unionid": "unionid",
    "customer_key": "uid",
    "phone": "phone",
    "event": "event",
    "timestamp": "ts",
    "channel": "channel",
    "session_id": "session_id",
    "item": "item",
    "category": "category",
    "properties": "properties",
}
STORE = CHANNELS.index("store")
MINIPROGRAM = CHANNELS.index("miniprogram")
ANONYMOUS_EVENTS_PER_PERSON = 1.0
"""Events of visitors who never log in, per person over the whole window."""
OVERLAP_SECONDS = 1800
"""The last file repeats the previous day's lines of its last half hour (a log-rotation quirk)."""
CLEAN_DAYS = 2
"""The last two days get no broken lines, so the repeated lines are all loadable."""


class EventWriter:
    """Draws each day's browsing, adds purchases and anonymous visits, writes one JSONL file."""

    def __init__(
        self,
        out: Path,
        population: Population,
        keys: CrmKeys,
        lang: str,
        ledger: QuarantineLedger,
        planner: DayPlanner,
    ) -> None:
        self._folder = out / "data" / "events"
        self._folder.mkdir(parents=True, exist_ok=True)
        self._population = population
        self._keys = keys
        self._lang = lang
        self._ledger = ledger
        self._planner = planner
        everyone = np.arange(population.size)
        self._devices = [
            population.device_id(everyone, np.full(population.size, k)) for k in (0, 1)
        ]
        self._previous: tuple[Any, np.ndarray] | None = None
        self.lines = 0
        self.files = 0
        self.per_person = np.zeros(population.size, dtype=np.int64)
        self.last_seen = np.full(population.size, -1, dtype=np.int64)

    def day(
        self, day: int, counts: np.ndarray, orders: DayOrders, rng: np.random.Generator
    ) -> None:
        """Write the events file of window day `day` (`counts` browsing events per person)."""
        pop = self._population
        active = np.flatnonzero(counts)
        sizes = counts[active]
        kind = pop.archetype[active]
        starts = np.cumsum(sizes) - sizes
        person = np.repeat(active, sizes)
        rank = np.arange(len(person)) - np.repeat(starts, sizes)
        channel = np.repeat(sample_rows(rng, archetype_table("channels"), kind), sizes)
        gaps = np.cumsum(rng.exponential(45.0, len(person)))
        offset = (gaps - np.repeat(gaps[starts] if len(starts) else gaps[:0], sizes)).astype(
            np.int64
        )
        start = np.repeat(session_hours(rng, kind), sizes)
        seconds = day_start(day) + np.minimum(start + offset, DAY - 1)
        event = sample_rows(rng, archetype_table("event_mix"), pop.archetype[person])
        event = np.where(channel == STORE, STORE_VISIT, event)
        login_rate = np.array([a.login_rate for a in ARCHETYPES])[kind]
        logged = np.repeat(rng.random(len(active)) < login_rate, sizes)
        keep = (channel != STORE) | (rank == 0)
        person, channel, seconds, event, logged = (
            column[keep] for column in (person, channel, seconds, event, logged)
        )
        category = sample_rows(rng, weight_table("categories"), pop.archetype[person])
        item = item_codes(category, rng)

        bought = orders.channel != STORE
        buys = int(bought.sum())
        purchase = tx.join(
            '{"order_no":"',
            orders.order_no.filter(pa.array(bought)),
            '","amount":',
            tx.money(orders.amount_cents[bought]),
            "}",
        )
        person = np.concatenate([person, orders.person[bought]])
        channel = np.concatenate([channel, orders.channel[bought]])
        seconds = np.concatenate([seconds, orders.seconds[bought]])
        event = np.concatenate([event, np.full(buys, PURCHASE)])
        logged = np.concatenate([logged, np.ones(buys, dtype=bool)])
        category = np.concatenate([category, orders.category[bought]])
        item = pa.concat_arrays([item, orders.item.filter(pa.array(bought))])
        np.add.at(self.per_person, person, 1)
        np.maximum.at(self.last_seen, person, seconds)

        visits = rng.poisson(pop.size * ANONYMOUS_EVENTS_PER_PERSON / WINDOW_DAYS)
        visitor = rng.integers(0, max(1, pop.size // 2), visits)
        visitor_category = rng.integers(0, len(CATEGORIES), visits)
        ids = self._identifiers(person, channel, logged, visitor, rng)
        browsing = len(person) - buys
        purchase_props = pa.concat_arrays(
            [pa.nulls(browsing, pa.string()), purchase, pa.nulls(visits, pa.string())]
        )
        columns = {
            "person": np.concatenate([person, -1 - visitor]),
            "channel": np.concatenate([channel, draw(rng, np.array([0.2, 0.6, 0.2]), visits)]),
            "seconds": np.concatenate([seconds, day_start(day) + rng.integers(28800, DAY, visits)]),
            "event": np.concatenate([event, draw(rng, np.array([0.7, 0.3]), visits)]),
            "category": np.concatenate([category, visitor_category]),
        }
        order = np.argsort(columns["seconds"], kind="stable")
        take = pa.array(order)
        events = DayEvents(
            person=columns["person"][order],
            ids=[f.take(take) for f in ids],
            channel=columns["channel"][order],
            seconds=columns["seconds"][order],
            event=columns["event"][order],
            category=columns["category"][order],
            item=pa.concat_arrays([item, item_codes(visitor_category, rng)]).take(take),
            purchase=purchase_props.take(take),
        )
        size = len(order)
        spoil = self._planner.take(day, size) if day < WINDOW_DAYS - CLEAN_DAYS else {}
        name = self._file_name(day)
        lines = render(day, events, self._lang, rng, spoil, self._ledger, f"data/events/{name}")
        self._write(day, lines, events.seconds)

    def _identifiers(
        self,
        person: np.ndarray,
        channel: np.ndarray,
        logged: np.ndarray,
        visitor: np.ndarray,
        rng: np.random.Generator,
    ) -> list[Any]:
        """Return device_id, member_no, unionid, uid and phone fragments (null = absent)."""
        pop = self._population
        take = pa.array(person)
        store = channel == STORE
        second = (pop.devices[person] == 2) & (rng.random(len(person)) < 0.4)
        device = tx.where(second, self._devices[1].take(take), self._devices[0].take(take))
        device = tx.nulls_where(store, device)
        union = pop.unionid.take(take)
        use_union = (
            logged & (channel == MINIPROGRAM) & pc.is_valid(union).to_numpy(zero_copy_only=False)
        )
        member = tx.nulls_where(~logged | use_union | store, pop.member_no.take(take))
        union = tx.nulls_where(~use_union, union)
        has_member = pc.is_valid(member).to_numpy(zero_copy_only=False)
        duplicate = tx.nulls_where(rng.random(len(person)) > 0.3, self._keys.duplicate.take(take))
        key = pc.coalesce(duplicate, self._keys.primary.take(take))
        key = tx.nulls_where(~logged | has_member | use_union | store, key)
        phone = tx.nulls_where(~store, tx.num(pop.phone[person]))
        anonymous = tx.join("d", tx.base32(tx.mix64(visitor, 707), 13))
        nothing = pa.nulls(len(visitor), pa.string())
        fields = (
            ("device_id", device, anonymous),
            ("member_no", member, nothing),
            ("unionid", union, nothing),
            ("uid", key, nothing),
            ("phone", phone, nothing),
        )
        return [
            tx.join(f'"{name}":"', pa.concat_arrays([own, other]), '",')
            for name, own, other in fields
        ]

    def _file_name(self, day: int) -> str:
        return f"events_{day_label(day)}.jsonl"

    def _write(self, day: int, lines: Any, seconds: np.ndarray) -> None:
        """Write the day's file; the last file starts with a copy of the previous day's tail."""
        path = self._folder / self._file_name(day)
        overlap = 0
        with path.open("wb") as handle:
            if day == WINDOW_DAYS - 1 and self._previous is not None:
                previous, previous_seconds = self._previous
                late = int((previous_seconds >= day_start(day) - OVERLAP_SECONDS).sum())
                overlap = min(len(previous), max(3, late))
                tx.write_lines(handle, previous.slice(len(previous) - overlap, overlap))
            tx.write_lines(handle, lines)
        self._previous = (lines, seconds)
        self._ledger.receive("events", overlap + len(lines))
        self._ledger.skip("events", overlap)
        self.lines += overlap + len(lines)
        self.files += 1
