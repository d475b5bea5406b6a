"""Clean records with their customer: the inputs every feature family reads.

Each event, order line, answer and relation belongs to the customer of its identifiers
(`identity_links`, see docs/identity.md). A record whose identifiers point at several customers
(a shared device that stopped linking ...) is given to the customer of its highest-priority
identifier: customer_key, member_no, unionid, id_number, phone, email, device_id. Records of no
customer (an anonymous device) and records after the as-of time are left out.

The helpers are temp tables (``_ff_<kind>``) holding only the columns the families use, with
local hours, weekdays and dates (project time zone) computed once. Customers are numbered
(`CUSTOMERS`: customer_id -> cid, in customer_id order) so that every aggregation groups on a
small integer rather than a string; event names and channels are numbered the same way, in
name order (`EVENT_NAMES`, `CHANNEL_NAMES`, and the order lines' categories, channels and
payment methods).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from persona.engine.base import Engine, quote_literal

PRIORITY = ("customer_key", "member_no", "unionid", "id_number", "phone", "email", "device_id")
"""Identifier types, most trusted first: a record goes to the customer of the first that links."""

CANCELLED = (
    "cancelled",
    "canceled",
    "cancel",
    "void",
    "voided",
    "closed",
    "取消",
    "已取消",
    "交易关闭",
    "已关闭",
)
"""Order statuses (lower-cased) of orders that never happened: ignored by every feature."""
REFUNDED = ("refunded", "refund", "returned", "return", "退款", "已退款", "退货", "已退货")
"""Order statuses of orders paid and then refunded: not purchases, but counted as refunds."""

COUPON_KEYS = ("coupon_used", "coupon", "coupon_code", "coupon_id")
"""Extra attributes of an order line that mark coupon use (a yes, or any code)."""

CUSTOMERS, LINKS = "_ff_customers", "_ff_links"
EVENT_NAMES, CHANNEL_NAMES = "_ff_event_names", "_ff_channel_names"
"""Temp tables (code, name) of the event names and channels: `EVENTS` holds their codes."""
CATEGORY_NAMES, ORDER_CHANNEL_NAMES = "_ff_category_names", "_ff_order_channel_names"
PAYMENT_NAMES = "_ff_payment_names"
"""Temp tables (code, name) of the order lines' text values: `TRANSACTIONS` holds codes."""
ONLY, ONLY_LINKS = "_ff_only", "_ff_only_links"
"""The customer numbers (cid) an incremental refresh recomputes, and their identifiers."""
EVENTS, TRANSACTIONS, ORDERS = "_ff_events", "_ff_transactions", "_ff_orders"
SURVEYS, RELATIONS = "_ff_surveys", "_ff_relations"


@dataclass(frozen=True)
class FeatureContext:
    """What every feature family needs: the engine, the as-of time and the time zone.

    Attributes:
        engine: The engine holding the store.
        as_of: The as-of time (aware); nothing later is used.
        timezone: The project's IANA time zone, for local hours, weekdays and dates.
        only: Read only the records of the customers in `ONLY` (an incremental refresh);
            relations are always read whole (influence and communities are global).
        span: The earliest and latest time in the data: within it, local time is computed by
            arithmetic on the zone's UTC offsets (much faster than a time zone conversion).
    """

    engine: Engine
    as_of: datetime
    timezone: str
    only: bool = False
    span: tuple[datetime, datetime] | None = None

    @property
    def as_of_sql(self) -> str:
        """The as-of time as a SQL literal."""
        return timestamp_literal(self.as_of)

    @property
    def as_of_date(self) -> date:
        """The local calendar date of the as-of time."""
        return self.as_of.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def as_of_date_sql(self) -> str:
        """The local as-of date as a SQL literal."""
        return f"date '{self.as_of_date.isoformat()}'"

    def since(self, days: int) -> str:
        """SQL literal of the start (exclusive) of the window of the last `days` days."""
        return timestamp_literal(self.as_of - timedelta(days=days))

    def local(self, column: str) -> str:
        """SQL: a TIMESTAMPTZ column as local wall-clock time in the project time zone."""
        offsets = utc_offsets(self.timezone, *self.span) if self.span else None
        if offsets is None:
            return f"({column} at time zone {quote_literal(self.timezone)})"
        micros = f"epoch_us({column})"
        return f"make_timestamp({micros} + {_offset_tree(micros, offsets)})"

    def days_before(self, local_column: str) -> str:
        """SQL: calendar days from a local timestamp's date to the as-of date."""
        return f"date_diff('day', cast({local_column} as date), {self.as_of_date_sql})"


MAX_SPAN_DAYS = 366 * 30
"""Longer spans of data fall back to the engine's time zone conversion."""


@lru_cache(maxsize=32)
def utc_offsets(zone: str, start: datetime, end: datetime) -> tuple[tuple[int, int], ...] | None:
    """The zone's UTC offsets between two times: ((from epoch microsecond, offset us), ...).

    Found by stepping hour by hour and bisecting each change to the second. None when the span
    is longer than `MAX_SPAN_DAYS` (the caller then converts with the engine).
    """
    if (end - start).days > MAX_SPAN_DAYS:
        return None
    tz = ZoneInfo(zone)

    def offset(moment: datetime) -> int:
        delta = moment.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) * 1_000_000 if delta else 0

    begin = start.astimezone(UTC) - timedelta(days=1)
    stop = end.astimezone(UTC) + timedelta(days=1)
    segments = [(-(2**62), offset(begin))]
    moment = begin
    while moment < stop:
        following = moment + timedelta(hours=1)
        if offset(following) != segments[-1][1]:
            low, high = moment, following
            while (high - low) > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == segments[-1][1] else (low, middle)
            change = int(high.timestamp()) * 1_000_000
            segments.append((change, offset(high)))
        moment = following
    return tuple(segments)


def _offset_tree(micros: str, segments: tuple[tuple[int, int], ...]) -> str:
    """SQL: the offset of the segment holding `micros`, as a balanced tree of comparisons."""
    if len(segments) == 1:
        return str(segments[0][1])
    middle = len(segments) // 2
    return (
        f"(case when {micros} < {segments[middle][0]} "
        f"then {_offset_tree(micros, segments[:middle])} "
        f"else {_offset_tree(micros, segments[middle:])} end)"
    )


def data_span(engine: Engine, as_of: datetime) -> tuple[datetime, datetime]:
    """The earliest time in the clean records and the later of the latest time and `as_of`."""
    parts = [
        f"select min({column}) as lo, max({column}) as hi from {table}"
        for table, column in (
            ("clean_events", "timestamp"),
            ("clean_transactions", "timestamp"),
            ("clean_surveys", "answered_at"),
            ("clean_relations", "since"),
            ("clean_profiles", "registered_at"),
        )
        if engine.table_exists(table)
    ]
    low, high = engine.fetch_all(f"select min(lo), max(hi) from ({' union all '.join(parts)})")[0]
    earliest = low if isinstance(low, datetime) else as_of
    latest = max(high, as_of) if isinstance(high, datetime) else as_of
    return min(earliest, as_of), latest


def timestamp_literal(moment: datetime) -> str:
    """A SQL TIMESTAMPTZ literal of an aware datetime."""
    return f"timestamptz '{moment.isoformat(sep=' ')}'"


_FILLED: dict[str, frozenset[str]] = {}
"""Per clean table, its identifier columns that hold a value (one scan per table and run)."""


def filled_columns(engine: Engine, table: str) -> frozenset[str]:
    """The identifier columns (``src_``/``dst_`` ones for relations) of `table` with a value.

    Cached until `drop_records` (the end of a features or tags run).
    """
    if table not in _FILLED:
        columns = [
            c
            for c in engine.table_columns(table)
            if c.removeprefix("src_").removeprefix("dst_") in PRIORITY
        ]
        # "Any value": the engine skips row groups its statistics say hold none.
        found = engine.fetch_all(
            "select "
            + ", ".join(f"exists (select 1 from {table} where {c} is not null)" for c in columns)
        )[0]
        _FILLED[table] = frozenset(c for c, hit in zip(columns, found, strict=True) if hit)
    return _FILLED[table]


def owner_sql(engine: Engine, table: str, alias: str, prefix: str = "") -> tuple[str, str]:
    """SQL joins giving each record of `table` its customer number, and the cid expression.

    One left join of `LINKS` per identifier column that has values; the customer is the one of
    the first identifier in `PRIORITY` order that links.

    Args:
        engine: The engine.
        table: A clean table, e.g. ``clean_events``.
        alias: The table's alias in the query.
        prefix: ``src_`` or ``dst_`` for one side of a relation.

    Returns:
        (joins, cid expression).
    """
    columns = [prefix + t for t in PRIORITY]
    filled = filled_columns(engine, table)
    joins, owners = [], []
    for type_, column in zip(PRIORITY, columns, strict=True):
        if column not in filled:
            continue
        link = f"{alias}_{column}"
        joins.append(
            f"left join (select value, cid from {LINKS} where type = {quote_literal(type_)}) "
            f"{link} on {link}.value = {alias}.{column}"
        )
        owners.append(f"{link}.cid")
    if not owners:
        return "", "cast(null as integer)"
    return " ".join(joins), f"coalesce({', '.join(owners)})" if len(owners) > 1 else owners[0]


def identifier_key(alias: str, prefix: str) -> str:
    """SQL: the node of a record side's highest-priority identifier (``phone:+86...``)."""
    parts = ", ".join(f"{quote_literal(t + ':')} || {alias}.{prefix}{t}" for t in PRIORITY)
    return f"coalesce({parts})"


def build_links(engine: Engine) -> None:
    """Create the temp tables of customer numbers (`CUSTOMERS`) and identifier links (`LINKS`)."""
    _FILLED.clear()
    engine.drop(CUSTOMERS)
    engine.execute(
        f"create temp table {CUSTOMERS} as select customer_id, "
        "cast(row_number() over (order by customer_id) as integer) as cid from customers"
    )
    engine.drop(LINKS)
    engine.execute(
        f"create temp table {LINKS} as select split_part(l.node, ':', 1) as type, "
        "substr(l.node, strpos(l.node, ':') + 1) as value, c.cid from identity_links l "
        f"join {CUSTOMERS} c on c.customer_id = l.customer_id where l.node_type = 'identifier'"
    )


def scope_sql(ctx: FeatureContext, table: str, alias: str) -> str:
    """SQL condition of the records an incremental refresh reads (otherwise true).

    A record with an identifier of a customer in `ONLY`: a cheap filter before the owner joins.
    """
    if not ctx.only:
        return "true"
    filled = filled_columns(ctx.engine, table)
    parts = [
        f"{alias}.{column} in (select value from {ONLY_LINKS} where type = {quote_literal(column)})"
        for column in PRIORITY
        if column in filled
    ]
    return f"({' or '.join(parts)})" if parts else "false"


def build_records(ctx: FeatureContext) -> None:
    """Create the temp tables of customers, links and records of every kind (see module)."""
    engine, as_of = ctx.engine, ctx.as_of_sql
    if not ctx.only:
        build_links(engine)
    joins, owner = owner_sql(engine, "clean_events", "e")
    _codes(engine, EVENT_NAMES, "lower(event)", f"clean_events where timestamp <= {as_of}")
    _codes(engine, CHANNEL_NAMES, "channel", f"clean_events where timestamp <= {as_of}")
    _create(
        engine,
        EVENTS,
        "select cid, event, ts, cast(hour(local_ts) as utinyint) as hour, "
        "cast(isodow(local_ts) as utinyint) as weekday, cast(local_ts as date) as day, "
        f"channel, session from (select {owner} as cid, en.code as event, "
        f"e.timestamp as ts, {ctx.local('e.timestamp')} as local_ts, cn.code as channel, "
        "case when e.session_id is not null then hash(e.session_id) end as session "
        f"from clean_events e {joins} left join {EVENT_NAMES} en on en.name = lower(e.event) "
        f"left join {CHANNEL_NAMES} cn on cn.name = e.channel where e.timestamp <= {as_of} "
        f"and {scope_sql(ctx, 'clean_events', 'e')})",
        ctx.only,
    )
    _build_transactions(ctx)
    joins, owner = owner_sql(engine, "clean_surveys", "s")
    _create(
        engine,
        SURVEYS,
        f"select {owner} as cid, s._source as source, s._batch_id, s._line, "
        f"s.question_id, s.answer, s.answered_at from clean_surveys s {joins} "
        f"where (s.answered_at is null or s.answered_at <= {as_of}) "
        f"and {scope_sql(ctx, 'clean_surveys', 's')}",
        ctx.only,
    )
    src_joins, src = owner_sql(engine, "clean_relations", "r", "src_")
    dst_joins, dst = owner_sql(engine, "clean_relations", "r", "dst_")
    engine.drop(RELATIONS)
    engine.execute(
        f"create temp table {RELATIONS} as select * from (select {src} as src_cid, "
        f"{dst} as dst_cid, {identifier_key('r', 'src_')} as src_node, "
        f"{identifier_key('r', 'dst_')} as dst_node, lower(r.relation) as relation, "
        f"r.weight, r.since from clean_relations r {src_joins} {dst_joins} "
        f"where r.since is null or r.since <= {as_of}) "
        "where src_cid is not null or dst_cid is not null"
    )


def _build_transactions(ctx: FeatureContext) -> None:
    """Order lines with their customer and class, then one row per order.

    A line's value is its amount, else unit_price x quantity (1 if missing) - discount. Its
    class: ``cancelled`` (status in `CANCELLED`), ``refund`` (a negative value, whatever the
    status), ``refunded`` (status in `REFUNDED`) or ``paid`` (anything else). Category, channel
    and payment method are codes (`CATEGORY_NAMES`, `ORDER_CHANNEL_NAMES`, `PAYMENT_NAMES`).
    """
    engine = ctx.engine
    joins, owner = owner_sql(engine, "clean_transactions", "t")
    cancelled = ", ".join(quote_literal(s) for s in CANCELLED)
    refunded = ", ".join(quote_literal(s) for s in REFUNDED)
    value = "coalesce(t.amount, t.unit_price * coalesce(t.quantity, 1) - coalesce(t.discount, 0))"
    coupon = " or ".join(
        f"coalesce(lower(json_extract_string(t.extra, '$.{key}')), '') "
        "not in ('', 'false', 'no', '0', 'n', 'f', '否', 'null')"
        for key in COUPON_KEYS
    )
    source = f"clean_transactions where timestamp <= {ctx.as_of_sql}"
    coded = []
    for table, column in (
        (CATEGORY_NAMES, "category"),
        (ORDER_CHANNEL_NAMES, "channel"),
        (PAYMENT_NAMES, "payment_method"),
    ):
        _codes(engine, table, column, source)
        coded.append(f"left join {table} c_{column} on c_{column}.name = t.{column}")
    _create(
        engine,
        TRANSACTIONS,
        f"select {owner} as cid, t.order_id, t.timestamp as ts, {value} as value, "
        "coalesce(t.discount, 0) as discount, "
        # Only lines with extra attributes are parsed for a coupon.
        f"coalesce(t.discount, 0) > 0 or (case when t.extra is null then false else ({coupon}) "
        "end) as discounted, c_category.code as category, c_channel.code as channel, "
        "c_payment_method.code as payment_method, "
        f"case when lower(t.status) in ({cancelled}) then 'cancelled' "
        f"when {value} < 0 then 'refund' "
        f"when lower(t.status) in ({refunded}) then 'refunded' else 'paid' end as line_class "
        f"from clean_transactions t {joins} {' '.join(coded)} "
        f"where t.timestamp <= {ctx.as_of_sql} "
        f"and {scope_sql(ctx, 'clean_transactions', 't')}",
        ctx.only,
    )
    engine.drop(ORDERS)
    engine.execute(
        f"create temp table {ORDERS} as select cid, order_id, "
        "min(ts) filter (where line_class = 'paid') as paid_at, "
        "bool_or(line_class = 'paid') as paid, "
        "bool_or(line_class in ('refund', 'refunded')) as refunded, "
        "coalesce(sum(value) filter (where line_class = 'paid'), 0) as paid_amount, "
        "coalesce(sum(discount) filter (where line_class = 'paid'), 0) as discount, "
        "coalesce(bool_or(discounted) filter (where line_class = 'paid'), false) as discounted, "
        "min(channel) filter (where line_class = 'paid') as channel, "
        "min(payment_method) filter (where line_class = 'paid') as payment_method "
        f"from {TRANSACTIONS} where line_class <> 'cancelled' group by cid, order_id"
    )


def _codes(engine: Engine, table: str, value: str, source: str) -> None:
    """Create temp table `table` (code, name): the distinct values, numbered 0, 1 ... in order.

    Records then carry the small integer instead of the text: cheaper to store, compare and
    group, and a smaller code is a smaller name, so ties can still go to the smallest name.
    """
    engine.drop(table)
    engine.execute(
        f"create temp table {table} as select cast(row_number() over (order by name) - 1 "
        f"as integer) as code, name from (select distinct {value} as name from {source}) "
        "where name is not null"
    )


def _create(engine: Engine, name: str, select: str, only: bool = False) -> None:
    """Create temp table `name` of the rows of `select` that have a customer (one in `ONLY`)."""
    keep = f"cid in (select cid from {ONLY})" if only else "cid is not null"
    engine.drop(name)
    engine.execute(f"create temp table {name} as select * from ({select}) where {keep}")


def drop_records(engine: Engine) -> None:
    """Drop the temp tables of `build_records` and forget the cached filled columns."""
    _FILLED.clear()
    for name in (
        CUSTOMERS,
        LINKS,
        ONLY,
        ONLY_LINKS,
        EVENT_NAMES,
        CHANNEL_NAMES,
        CATEGORY_NAMES,
        ORDER_CHANNEL_NAMES,
        PAYMENT_NAMES,
        EVENTS,
        TRANSACTIONS,
        ORDERS,
        SURVEYS,
        RELATIONS,
    ):
        engine.drop(name)
