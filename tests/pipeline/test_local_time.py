"""Local wall-clock time by UTC-offset arithmetic equals the engine's time zone conversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from persona.engine.duckdb import DuckDBEngine
from persona.pipeline.features.records import FeatureContext, utc_offsets

ZONES = [
    "Asia/Shanghai",  # no DST now; DST 1986-1991
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",  # +05:30
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "UTC",
]


@pytest.mark.parametrize("zone", ZONES)
def test_offset_arithmetic_matches_the_time_zone_conversion(zone: str) -> None:
    start, end = datetime(1987, 1, 1, tzinfo=UTC), datetime(1992, 6, 1, tzinfo=UTC)
    moments = [start + timedelta(minutes=37 * i) for i in range(0, 80_000)]
    moments += [t + timedelta(seconds=d) for t in _changes(zone, start, end) for d in (-1, 0, 1)]
    engine = DuckDBEngine(None, timezone=zone)
    engine.execute("create table t (ts timestamptz)")
    engine.insert_rows("t", [(m,) for m in moments])
    context = FeatureContext(engine, end, zone, span=(start, end))
    icu = f"(ts at time zone '{zone}')"
    differ = engine.fetch_all(f"select count(*) from t where {context.local('ts')} <> {icu}")
    assert differ[0][0] == 0


def _changes(zone: str, start: datetime, end: datetime) -> list[datetime]:
    segments = utc_offsets(zone, start, end) or ()
    return [datetime.fromtimestamp(us / 1e6, UTC) for us, _ in segments[1:]]


def test_long_spans_fall_back_to_the_engine() -> None:
    start, end = datetime(1900, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    assert utc_offsets("Europe/London", start, end) is None
    context = FeatureContext(DuckDBEngine(None), end, "Europe/London", span=(start, end))
    assert "at time zone" in context.local("ts")
    assert len(utc_offsets("Asia/Shanghai", datetime(2024, 1, 1, tzinfo=UTC), end) or ()) == 1
