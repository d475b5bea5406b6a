"""Transaction features: RFM, order and spend windows, discounts, refunds, preferences.

Reads the order lines and orders of `records` (cancelled lines already classed). Conventions
(docs/features.md): a paid order has at least one paid line; refunded and cancelled orders are
not purchases; a negative line value is a refund and is subtracted from the money it falls in.
"""

from __future__ import annotations

from persona.engine.base import Engine
from persona.pipeline.features.catalog import WINDOWS
from persona.pipeline.features.records import (
    CATEGORY_NAMES,
    ORDER_CHANNEL_NAMES,
    ORDERS,
    PAYMENT_NAMES,
    TRANSACTIONS,
    FeatureContext,
)
from persona.pipeline.features.top import top_sql

TABLE = "_ff_family_transactions"


def build_transactions(ctx: FeatureContext) -> str:
    """Create the family's temp table (one row per customer with an order); return its name."""
    money = "line_class in ('paid', 'refund')"
    spend = ", ".join(
        f"sum(value) filter (where {money} and ts > {ctx.since(n)}) as spend_{n}d" for n in WINDOWS
    )
    engine = ctx.engine
    categories = top_sql(
        TRANSACTIONS, "category", _size(engine, CATEGORY_NAMES), where="line_class = 'paid'"
    )
    channels = top_sql(ORDERS, "channel", _size(engine, ORDER_CHANNEL_NAMES), where="paid")
    payments = top_sql(ORDERS, "payment_method", _size(engine, PAYMENT_NAMES), where="paid")
    orders = ", ".join(
        f"count(*) filter (where paid and paid_at > {ctx.since(n)}) as orders_{n}d" for n in WINDOWS
    )
    engine.drop(TABLE)
    engine.execute(
        f"create temp table {TABLE} as select o.cid, "
        f"{ctx.days_before(ctx.local('o.last_order_at'))} as recency_days, o.frequency, "
        "o.paid_amount + coalesce(s.refunds, 0) as monetary, "
        "o.paid_amount / nullif(o.frequency, 0) as avg_order_value, "
        "o.first_order_at, o.last_order_at, o.previous_order_at, "
        "first_ch.name as first_order_channel, "
        + ", ".join(f"o.orders_{n}d" for n in WINDOWS)
        + ", "
        + ", ".join(f"coalesce(s.spend_{n}d, 0) as spend_{n}d" for n in WINDOWS)
        + ", o.discounted / nullif(o.frequency, 0) as discount_share, o.avg_discount, "
        "o.refunded / nullif(o.frequency + o.refunded_only, 0) as refund_rate, "
        "cat_name.name as top_category, cat.share as top_category_share, "
        "cat.distinct_values as category_count, "
        "ch_name.name as top_channel, pm_name.name as top_payment_method from ("
        "select cid, count(*) filter (where paid) as frequency, "
        "coalesce(sum(paid_amount), 0) as paid_amount, min(paid_at) as first_order_at, "
        f"max(paid_at) as last_order_at, {orders}, "
        "list_extract(max(paid_at, 2) filter (where paid), 2) as previous_order_at, "
        "arg_min(channel, (paid_at, channel)) filter (where paid) as first_order_channel, "
        "count(*) filter (where paid and discounted) as discounted, "
        "avg(case when paid_amount + discount > 0 then discount / (paid_amount + discount) "
        "else 0 end) filter (where paid) as avg_discount, "
        "count(*) filter (where refunded) as refunded, "
        "count(*) filter (where refunded and not paid) as refunded_only "
        f"from {ORDERS} group by cid) o "
        f"left join (select cid, sum(value) filter (where line_class = 'refund') "
        f"as refunds, {spend} from {TRANSACTIONS} group by cid) s "
        "on s.cid = o.cid "
        f"left join ({categories}) cat on cat.cid = o.cid "
        f"left join ({channels}) ch on ch.cid = o.cid "
        f"left join ({payments}) pm on pm.cid = o.cid "
        f"left join {CATEGORY_NAMES} cat_name on cat_name.code = cat.top "
        f"left join {ORDER_CHANNEL_NAMES} ch_name on ch_name.code = ch.top "
        f"left join {ORDER_CHANNEL_NAMES} first_ch on first_ch.code = o.first_order_channel "
        f"left join {PAYMENT_NAMES} pm_name on pm_name.code = pm.top"
    )
    return TABLE


def _size(engine: Engine, names: str) -> int:
    """The number of codes in a (code, name) table."""
    return int(engine.fetch_all(f"select count(*) from {names}")[0][0])
