"""Render one day's events as JSON lines, and spoil a few of them on purpose.

Lines are built column-wise from JSON fragments; a fragment that is null is left out, which is
how optional keys (identifiers, item, the timestamp of a broken line) come and go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from persona.demo import textops as tx
from persona.demo.archetypes import EVENT_TYPES
from persona.demo.ledger import QuarantineLedger
from persona.demo.people import draw
from persona.demo.timeline import UTC_OFFSET, day_label, day_start
from persona.demo.vocab import BAD_TIMESTAMP, CHANNELS, category_names, search_keywords

ALL_EVENTS = (*EVENT_TYPES, "purchase", "store_visit")
PURCHASE, STORE_VISIT = len(EVENT_TYPES), len(EVENT_TYPES) + 1
_NO_ITEM = np.isin(np.array(ALL_EVENTS), ["login", "coupon_claim", "store_visit"])
DEFECTS = ("malformed_json", "missing_timestamp", "bad_timestamp", "no_identifier")


@dataclass(frozen=True)
class DayEvents:
    """One day's events in time order (arrays share one index).

    Attributes:
        person: Person index, or ``-1 - visitor`` for anonymous visitors.
        ids: Identifier fragments (``"device_id":"...",``), null where absent.
        channel: Index into `vocab.CHANNELS`.
        seconds: Local seconds.
        event: Index into `ALL_EVENTS`.
        category: Index into `vocab.CATEGORIES`.
        item: SKU text.
        purchase: The properties object of each purchase event, null on other events.
    """

    person: np.ndarray
    ids: list[Any]
    channel: np.ndarray
    seconds: np.ndarray
    event: np.ndarray
    category: np.ndarray
    item: Any
    purchase: Any


def render(
    day: int,
    events: DayEvents,
    lang: str,
    rng: np.random.Generator,
    spoil: dict[str, np.ndarray],
    ledger: QuarantineLedger,
    file: str,
) -> Any:
    """Return the day's JSON lines, with the rows at `spoil` positions broken per defect class.

    Args:
        day: The window day.
        events: The day's events in time order.
        lang: ``zh`` or ``en`` (category names, keywords, the unreadable timestamp word).
        rng: Random generator.
        spoil: Row positions to break, per class in `DEFECTS` (empty: break nothing).
        ledger: Receives each broken row.
        file: The file name relative to the project, for the ledger.

    Returns:
        An Arrow string array of lines.
    """
    size = len(events.person)
    ts = _timestamps(day, events.seconds, rng)
    person = events.person
    session_key = np.where(person >= 0, person, -1 - person) * 1000 + day
    session = tx.base32(tx.mix64(session_key, np.where(person >= 0, 303, 304)), 10)
    category = tx.pick(category_names(lang), events.category)
    item = tx.nulls_where(
        _NO_ITEM[events.event],
        tx.join(',"item":"', events.item, '","category":"', category, '"'),
    )
    props = _properties(events, lang, rng)
    ids = events.ids
    if spoil:
        ids = [tx.nulls_where(_mask(size, spoil["no_identifier"]), f) for f in ids]
        ts = tx.nulls_where(_mask(size, spoil["missing_timestamp"]), ts)
        ts = tx.where(_mask(size, spoil["bad_timestamp"]), f',"ts":"{BAD_TIMESTAMP[lang]}"', ts)
    lines = tx.join(
        "{",
        *ids,
        '"event":"',
        tx.pick(ALL_EVENTS, events.event),
        '"',
        ts,
        ',"channel":"',
        tx.pick(CHANNELS, events.channel),
        '","session_id":"s',
        session,
        '"',
        item,
        ',"properties":',
        props,
        "}",
        skip_nulls=True,
    )
    if not spoil:
        return lines
    cut = spoil["malformed_json"]
    broken = [text[: max(10, len(text) // 2)] for text in lines.take(pa.array(cut)).to_pylist()]
    if len(cut):
        lines = pc.replace_with_mask(
            lines, pa.array(_mask(size, cut)), pa.array(broken, pa.string())
        )
    ledger.plant("events", "malformed_json", file, cut + 1, broken)
    for defect, value in (
        ("missing_timestamp", ""),
        ("bad_timestamp", BAD_TIMESTAMP[lang]),
        ("no_identifier", ""),
    ):
        ledger.plant("events", defect, file, spoil[defect] + 1, [value] * len(spoil[defect]))
    return lines


def _mask(size: int, positions: np.ndarray) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask


def _timestamps(day: int, seconds: np.ndarray, rng: np.random.Generator) -> Any:
    """Return ``,"ts":...`` fragments: ISO +08:00, epoch ms, ISO without zone or epoch seconds."""
    size = len(seconds)
    clock = tx.clock(seconds - day_start(day))
    label = day_label(day)
    epoch = seconds - UTC_OFFSET
    millis = epoch * 1000 + rng.integers(0, 1000, size)
    style = draw(rng, np.array([0.55, 0.3, 0.1, 0.05]), size)
    return tx.by_case(
        style,
        [
            lambda r: tx.join(f',"ts":"{label}T', clock.take(pa.array(r)), '+08:00"'),
            lambda r: tx.join(',"ts":', tx.num(millis[r])),
            lambda r: tx.join(f',"ts":"{label} ', clock.take(pa.array(r)), '"'),
            lambda r: tx.join(',"ts":', tx.num(epoch[r])),
        ],
    )


def _properties(events: DayEvents, lang: str, rng: np.random.Generator) -> Any:
    """Return the nested `properties` object of each event, by event type."""
    size = len(events.event)
    keywords = search_keywords(lang)
    keyword = events.category * 3 + rng.integers(0, 3, size)
    number = rng.integers(0, 1_000_000, size)
    share_to = ("wechat", "moments", "weibo", "qq")
    methods = ("sms", "wechat", "password")
    coupon_values = np.array([5, 10, 20, 50])
    builders = [
        lambda r: tx.join('{"page":"detail","duration_ms":', tx.num(800 + number[r] % 90000), "}"),
        lambda r: tx.join(
            '{"keyword":"',
            tx.pick(keywords, keyword[r]),
            '","results":',
            tx.num(number[r] % 500),
            "}",
        ),
        lambda r: tx.join(
            '{"quantity":',
            tx.num(1 + number[r] % 3),
            ',"price":',
            tx.money(900 + number[r] % 300000),
            "}",
        ),
        lambda r: pa.scalar('{"list":"default"}'),
        lambda r: tx.join(
            '{"coupon_id":"CPN',
            tx.num(1 + number[r] % 500, 4),
            '","value":',
            tx.num(coupon_values[number[r] % 4]),
            "}",
        ),
        lambda r: tx.join('{"to":"', tx.pick(share_to, number[r] % 4), '"}'),
        lambda r: tx.join('{"method":"', tx.pick(methods, number[r] % 3), '"}'),
        lambda r: pc.fill_null(events.purchase.take(pa.array(r)), "{}"),
        lambda r: tx.join('{"store_id":"S', tx.num(1 + number[r] % 80, 3), '"}'),
    ]
    return tx.by_case(events.event, builders)
