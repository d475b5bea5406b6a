"""Event features: activity windows, sessions, event-type counts and time-of-day patterns.

Hours, weekdays and dates are local wall-clock time in the project time zone, and event names
and channels are integer codes in name order (both computed once in `records`). Three passes
over the events:

1. per customer: counts (all, windows, event types, night, weekend) and the last event;
2. per customer, session, day and hour: events and the last time (`VISITS`, about a third as
   many rows as events), from which sessions, active days and the top hour and weekday come
   (two-level aggregations, much cheaper than distinct counts or 31 filtered counts);
3. per customer and channel: the top channel.

A top value is the largest of ``count * k + (k - 1 - code)`` over the customer's values, so a
tie goes to the smallest code, which is the smallest hour, weekday or name (`top.key_sql`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from persona.engine.base import Engine
from persona.pipeline.features.catalog import ACTIVE_WINDOWS, EVENT_TYPES, EVENT_WINDOWS
from persona.pipeline.features.records import (
    CHANNEL_NAMES,
    EVENT_NAMES,
    EVENTS,
    FeatureContext,
)
from persona.pipeline.features.top import code_of, key_sql

TABLE = "_ff_family_events"
VISITS = "_ff_event_visits"
"""Temp table: events per customer, session, local day and hour, with the last time."""
NIGHT_HOURS = (22, 23, 0, 1)
"""Night is 22:00 up to (not including) 02:00."""
WEEKEND = (6, 7)
"""ISO weekdays: Saturday and Sunday."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST = -62_135_596_800_000_000
"""Epoch microseconds of 0001-01-01: times counted from it are never negative."""


def build_events(ctx: FeatureContext) -> str:
    """Create the family's temp table (one row per customer with an event); return its name."""
    engine = ctx.engine
    names = _codes(engine, EVENT_NAMES)
    channels = max(_codes(engine, CHANNEL_NAMES).values(), default=-1) + 1
    windows = [f"count(*) filter (where ts > {ctx.since(n)}) as events_{n}d" for n in EVENT_WINDOWS]
    types = []
    for column, aliases in EVENT_TYPES.items():
        codes = [str(names[a]) for a in aliases if a in names]
        kept = f"event in ({', '.join(codes)})" if codes else "false"
        types.append(f"count(*) filter (where {kept}) as {column}")
    # The last event: the latest time, then the smallest name (code), as one number.
    size = max(names.values(), default=-1) + 1
    # Times counted from a second before the data's first: a BIGINT key for centuries of data.
    first, latest = (_micros(t) for t in ctx.span) if ctx.span else (_EARLIEST, 2**62)
    first -= 1_000_000
    last = key_sql(f"(epoch_us(ts) - {first})", "event", size, limit=latest - first + 1)
    main = (
        f"select cid, count(*) as event_count, {', '.join(windows)}, {', '.join(types)}, "
        f"count(*) filter (where hour in {NIGHT_HOURS}) as night, "
        f"count(*) filter (where weekday in {WEEKEND}) as weekend, "
        f"max(ts) as last_event_at, max({last}) as last_key from {EVENTS} group by cid"
    )
    engine.drop(VISITS)
    engine.execute(
        f"create temp table {VISITS} as select cid, session, day, hour, count(*) as n, "
        f"max(ts) as last_ts from {EVENTS} group by cid, session, day, hour"
    )
    # A day counts in a window when one of its events does: its last event decides.
    active = ", ".join(
        f"count(*) filter (where last_ts > {ctx.since(n)}) as active_days_{n}d"
        for n in ACTIVE_WINDOWS
    )
    days = (
        f"select cid, {active} from (select cid, max(last_ts) as last_ts from {VISITS} "
        "group by cid, day) group by cid"
    )
    weekdays = (
        f"select cid, max(key) as weekday_key from (select cid, "
        f"{key_sql('sum(n)', 'isodow(day) - 1', 7)} as key from {VISITS} "
        "group by cid, isodow(day)) group by cid"
    )
    sessions = (
        "select cid, count(*) as sessions, sum(n) / count(*) as avg_session_events from ("
        f"select cid, session, sum(n) as n from {VISITS} where session is not null "
        "group by cid, session) group by cid"
    )
    hours = (
        f"select cid, max(key) as hour_key from (select cid, {key_sql('sum(n)', 'hour', 24)} "
        f"as key from {VISITS} group by cid, hour) group by cid"
    )
    top_channel = (
        f"select cid, max(key) as channel_key from (select cid, "
        f"{key_sql('count(*)', 'channel', channels)} as key from {EVENTS} "
        "where channel is not null group by cid, channel) group by cid"
    )
    active_days = ", ".join(
        f"coalesce(d.active_days_{n}d, 0) as active_days_{n}d" for n in ACTIVE_WINDOWS
    )
    events = ", ".join(f"a.{c}" for c in (*(f"events_{n}d" for n in EVENT_WINDOWS), *EVENT_TYPES))
    engine.drop(TABLE)
    engine.execute(
        f"create temp table {TABLE} as select a.cid, a.event_count, {events}, {active_days}, "
        "coalesce(s.sessions, 0) as sessions, s.avg_session_events, "
        "a.night / a.event_count as night_share, a.weekend / a.event_count as weekend_share, "
        f"cast({code_of('h.hour_key', 24)} as integer) as top_hour, "
        f"cast({code_of('w.weekday_key', 7)} + 1 as integer) as top_weekday, "
        "c.name as top_event_channel, a.last_event_at, e.name as last_event, "
        f"{ctx.days_before(ctx.local('a.last_event_at'))} as days_since_last_event "
        f"from ({main}) a left join ({days}) d on d.cid = a.cid "
        f"left join ({sessions}) s on s.cid = a.cid left join ({hours}) h on h.cid = a.cid "
        f"left join ({weekdays}) w on w.cid = a.cid "
        f"left join ({top_channel}) t on t.cid = a.cid "
        f"left join {CHANNEL_NAMES} c on c.code = {code_of('t.channel_key', channels)} "
        f"left join {EVENT_NAMES} e on e.code = {code_of('a.last_key', size)}"
    )
    engine.drop(VISITS)
    return TABLE


def _micros(moment: datetime) -> int:
    """Exact epoch microseconds of an aware time."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _codes(engine: Engine, table: str) -> dict[str, int]:
    return {
        str(name): int(code) for code, name in engine.fetch_all(f"select code, name from {table}")
    }
