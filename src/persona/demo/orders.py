"""Orders of one day, and the ERP export they are written to (data/orders.parquet).

The export stores `amount` as text, a real ERP quirk, which lets a few unreadable values exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from persona.demo import textops as tx
from persona.demo.archetypes import ARCHETYPES, archetype_table, weight_table
from persona.demo.crm import CrmKeys
from persona.demo.ledger import DayPlanner, QuarantineLedger
from persona.demo.people import Population, draw, sample_rows
from persona.demo.timeline import UTC_OFFSET, day_label, day_start
from persona.demo.vocab import (
    BAD_AMOUNTS,
    CATEGORIES,
    CATEGORY_KEYS,
    CHANNELS,
    PAYMENT_METHODS,
    category_names,
)

ORDER_MAPPING: dict[str, str] = {
    "order_id": "order_no",
    "customer_key": "user_id",
    "phone": "mobile",
    "timestamp": "paid_at",
    "item": "sku",
    "category": "category",
    "quantity": "qty",
    "unit_price": "unit_price",
    "amount": "amount",
    "discount": "discount",
    "payment_method": "pay_method",
    "channel": "channel",
    "status": "status",
}
"""persona.yaml `columns:` of the orders source; `coupon_used` stays an extra attribute."""

SCHEMA = pa.schema(
    [
        ("order_no", pa.string()),
        ("user_id", pa.string()),
        ("mobile", pa.string()),
        ("paid_at", pa.timestamp("ms", tz="Asia/Shanghai")),
        ("sku", pa.string()),
        ("category", pa.string()),
        ("qty", pa.int32()),
        ("unit_price", pa.float64()),
        ("amount", pa.string()),
        ("discount", pa.float64()),
        ("coupon_used", pa.bool_()),
        ("pay_method", pa.string()),
        ("channel", pa.string()),
        ("status", pa.string()),
    ]
)
STATUSES = ("paid", "refunded", "cancelled")
ITEMS_PER_CATEGORY = 400

# wechat, alipay, card, huabei (cash only in stores)
_PAYMENTS = np.array(
    [
        [0.30, 0.35, 0.25, 0.10],
        [0.55, 0.30, 0.05, 0.10],
        [0.40, 0.40, 0.10, 0.10],
        [0.30, 0.40, 0.10, 0.20],
        [0.50, 0.30, 0.05, 0.15],
        [0.55, 0.30, 0.10, 0.05],
    ]
)


@dataclass(frozen=True)
class DayOrders:
    """The orders of one day, sorted by time (arrays share one index)."""

    person: np.ndarray
    seconds: np.ndarray
    channel: np.ndarray
    category: np.ndarray
    item: Any
    order_no: Any
    amount_cents: np.ndarray
    status: np.ndarray


def item_codes(category: np.ndarray, rng: np.random.Generator) -> Any:
    """Draw SKUs within categories, a few best sellers and a long tail (``BB0012``)."""
    rank = np.floor(ITEMS_PER_CATEGORY * rng.random(len(category)) ** 2.5).astype(np.int64)
    return tx.join(tx.pick([c[3] for c in CATEGORIES], category), tx.num(rank, 4))


def session_hours(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Draw a start second within the day from each archetype's hourly profile."""
    hour = sample_rows(rng, archetype_table("hours"), kind)
    return hour * 3600 + rng.integers(0, 3600, len(kind))


class OrderWriter:
    """Draws each day's orders and appends them to orders.parquet."""

    def __init__(
        self,
        out: Path,
        population: Population,
        keys: CrmKeys,
        lang: str,
        ledger: QuarantineLedger,
        planner: DayPlanner,
    ) -> None:
        self._path = out / "data" / "orders.parquet"
        self._writer = pq.ParquetWriter(self._path, SCHEMA, compression="zstd")
        self._population = population
        self._keys = keys
        self._lang = lang
        self._ledger = ledger
        self._planner = planner
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self.rows = 0

    def day(self, day: int, counts: np.ndarray, rng: np.random.Generator) -> DayOrders:
        """Draw, write and return the orders of window day `day` (`counts` per person)."""
        pop = self._population
        active = np.flatnonzero(counts)
        person = np.repeat(active, counts[active])
        kind = pop.archetype[person]
        seconds = day_start(day) + session_hours(rng, kind)
        order = np.argsort(seconds, kind="stable")
        person, kind, seconds = person[order], kind[order], seconds[order]
        size = len(person)
        channel = sample_rows(rng, archetype_table("order_channels"), kind)
        category = sample_rows(rng, weight_table("categories"), kind)
        unit, quantity, coupon, discount = _prices(rng, kind, category)
        amount = unit * quantity - discount
        refund = np.array([a.refund_rate for a in ARCHETYPES])[kind]
        u = rng.random(size)
        status = np.where(u < refund, 1, np.where(u < refund * 1.5, 2, 0))
        payment = sample_rows(rng, _PAYMENTS, kind)
        payment = np.where((channel == 3) & (rng.random(size) < 0.3), 4, payment)

        key = pc.coalesce(
            tx.nulls_where(rng.random(size) > 0.3, self._keys.duplicate.take(pa.array(person))),
            self._keys.primary.take(pa.array(person)),
        )
        guest = rng.random(size) < 0.1
        key = tx.nulls_where(guest, key)
        phone = tx.num(pop.phone[person])
        show_phone = pc.is_null(key).to_numpy(zero_copy_only=False) | (
            (channel == 3) & (rng.random(size) < 0.5)
        )
        mobile = tx.nulls_where(~show_phone, phone)
        stamp = day_label(day).replace("-", "")
        order_no = tx.join("SO", stamp, tx.num(np.arange(1, size + 1), 6))
        item = item_codes(category, rng)
        style = draw(rng, np.array([0.8, 0.1, 0.05, 0.05]), size)
        amount_text = tx.where(
            style == 1,
            tx.thousands(amount),
            tx.where(style == 2, tx.join("¥", tx.money(amount)), tx.money(amount)),
        )
        amount_text = tx.where(
            (style == 3) & (amount % 100 == 0), tx.num(amount // 100), amount_text
        )

        spoil = self._planner.take(day, size)
        bad = spoil["bad_number"]
        bad_values = tx.pick(BAD_AMOUNTS, rng.integers(0, len(BAD_AMOUNTS), len(bad)))
        amount_text = _replace(amount_text, bad, bad_values)
        missing = spoil["missing_order_id"]
        order_no_text = _replace(order_no, missing, pa.array([""] * len(missing), pa.string()))
        first_row = self.rows + 1
        self._ledger.plant(
            "orders", "bad_number", "data/orders.parquet", bad + first_row, bad_values.to_pylist()
        )
        self._ledger.plant(
            "orders",
            "missing_order_id",
            "data/orders.parquet",
            missing + first_row,
            order_no.take(pa.array(missing)).to_pylist(),
        )

        table = pa.table(
            {
                "order_no": order_no_text,
                "user_id": key,
                "mobile": mobile,
                "paid_at": pa.array(
                    (seconds - UTC_OFFSET) * 1000 + rng.integers(0, 1000, size), pa.int64()
                ).cast(SCHEMA.field("paid_at").type),
                "sku": item,
                "category": tx.pick(category_names(self._lang), category),
                "qty": pa.array(quantity, pa.int32()),
                "unit_price": pa.array(unit / 100),
                "amount": amount_text,
                "discount": pa.array(discount / 100),
                "coupon_used": pa.array(coupon),
                "pay_method": tx.pick(PAYMENT_METHODS[self._lang], payment),
                "channel": tx.pick(CHANNELS, channel),
                "status": tx.pick(STATUSES, status),
            },
            schema=SCHEMA,
        )
        self._append(table)
        return DayOrders(person, seconds, channel, category, item, order_no, amount, status)

    def _append(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        self._ledger.receive("orders", table.num_rows)
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= 500_000:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending), row_group_size=1_000_000)
        self._pending, self._pending_rows = [], 0

    def close(self) -> None:
        """Write the remaining rows and close the file."""
        self._flush()
        self._writer.close()


def _prices(
    rng: np.random.Generator, kind: np.ndarray, category: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw unit price (cents), quantity, coupon use and discount (cents) of each order."""
    size = len(kind)
    median = np.array([c[4] for c in CATEGORIES])[category]
    factor = np.array([a.price_factor for a in ARCHETYPES])[kind]
    yuan = np.maximum(1, np.round(median * factor * rng.lognormal(0, 0.45, size)))
    cents_off = np.array([0, 10, 1])[draw(rng, np.array([0.5, 0.3, 0.2]), size)]
    unit = (yuan * 100).astype(np.int64) - cents_off
    quantity = 1 + rng.poisson(np.where(category == CATEGORY_KEYS.index("grocery"), 1.0, 0.3))
    gross = unit * quantity
    coupon = rng.random(size) < np.array([a.coupon_rate for a in ARCHETYPES])[kind]
    low_high = np.array([a.discount for a in ARCHETYPES])[kind]
    share = rng.uniform(low_high[:, 0], low_high[:, 1])
    discount = np.where(coupon, np.maximum(100, np.round(gross * share / 100) * 100), 0)
    discount = np.clip(np.minimum(discount, gross - 100), 0, None).astype(np.int64)
    return unit, quantity, coupon & (discount > 0), discount


def _replace(values: Any, positions: np.ndarray, replacements: Any) -> Any:
    """Return `values` with the rows at `positions` replaced (in order) by `replacements`."""
    if len(positions) == 0:
        return values
    mask = np.zeros(len(values), dtype=bool)
    mask[positions] = True
    return pc.replace_with_mask(values, pa.array(mask), replacements)
