"""Event features: activity windows, sessions, event-type counts and time-of-day patterns.

Hours, weekdays and dates are local wall-clock time in the project time zone (computed once in
`records`). Hour and weekday counts are taken in the one pass over the events, as 24 + 7
filtered counts, and give the night and weekend shares and the top hour and weekday; sessions
and active days are two-level aggregations (per customer and session, per customer and day),
which are much cheaper than distinct counts.
"""

from __future__ import annotations

from persona.engine.base import quote_literal
from persona.pipeline.features.catalog import ACTIVE_WINDOWS, EVENT_TYPES, EVENT_WINDOWS
from persona.pipeline.features.records import EVENTS, FeatureContext
from persona.pipeline.features.top import argmax_sql, top_sql

TABLE = "_ff_family_events"
NIGHT_HOURS = (22, 23, 0, 1)
"""Night is 22:00 up to (not including) 02:00."""
WEEKEND = (6, 7)
"""ISO weekdays: Saturday and Sunday."""


def build_events(ctx: FeatureContext) -> str:
    """Create the family's temp table (one row per customer with an event); return its name."""
    windows = [f"count(*) filter (where ts > {ctx.since(n)}) as events_{n}d" for n in EVENT_WINDOWS]
    types = [
        f"count(*) filter (where event in ({', '.join(quote_literal(n) for n in names)})) "
        f"as {column}"
        for column, names in EVENT_TYPES.items()
    ]
    hours = [f"count(*) filter (where hour = {h}) as h{h}" for h in range(24)]
    weekdays = [f"count(*) filter (where weekday = {d}) as w{d}" for d in range(1, 8)]
    night = " + ".join(f"a.h{h}" for h in NIGHT_HOURS)
    weekend = " + ".join(f"a.w{d}" for d in WEEKEND)
    # A day counts in a window when one of its events does: its last event decides.
    days = ", ".join(
        f"count(*) filter (where last_ts > {ctx.since(n)}) as active_days_{n}d"
        for n in ACTIVE_WINDOWS
    )
    day_counts = (
        f"select cid, {days} from (select cid, day, max(ts) as last_ts from {EVENTS} "
        f"where ts > {ctx.since(max(ACTIVE_WINDOWS))} group by cid, day) group by cid"
    )
    sessions = (
        "select cid, count(*) as sessions, sum(n) / count(*) as avg_session_events from ("
        f"select cid, session, count(*) as n from {EVENTS} where session is not null "
        "group by cid, session) group by cid"
    )
    channels = top_sql(EVENTS, "channel")
    events = ", ".join(f"a.{c}" for c in (*(f"events_{n}d" for n in EVENT_WINDOWS), *EVENT_TYPES))
    active = ", ".join(
        f"coalesce(d.active_days_{n}d, 0) as active_days_{n}d" for n in ACTIVE_WINDOWS
    )
    ctx.engine.drop(TABLE)
    ctx.engine.execute(
        f"create temp table {TABLE} as select a.cid, a.event_count, {events}, "
        f"{active}, "
        "coalesce(s.sessions, 0) as sessions, s.avg_session_events, "
        f"({night}) / a.event_count as night_share, "
        f"({weekend}) / a.event_count as weekend_share, "
        f"cast({argmax_sql([f'a.h{h}' for h in range(24)], 0)} as integer) as top_hour, "
        f"cast({argmax_sql([f'a.w{d}' for d in range(1, 8)], 1)} as integer) as top_weekday, "
        f"c.top as top_event_channel, a.last_event_at, a.last_event, "
        f"{ctx.days_before(ctx.local('a.last_event_at'))} as days_since_last_event from ("
        f"select cid, count(*) as event_count, {', '.join(windows)}, {', '.join(types)}, "
        f"{', '.join(hours)}, {', '.join(weekdays)}, max(ts) as last_event_at, "
        "arg_min(event, (-epoch_us(ts), event)) as last_event "
        f"from {EVENTS} group by cid) a "
        f"left join ({day_counts}) d on d.cid = a.cid "
        f"left join ({sessions}) s on s.cid = a.cid "
        f"left join ({channels}) c on c.cid = a.cid"
    )
    return TABLE
