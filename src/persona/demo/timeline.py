"""The demo's calendar: a 180-day window ending on a fixed reference date, with promotion days.

Times are handled as integer "local seconds": seconds since 1970-01-01 00:00 in Asia/Shanghai
wall-clock time. Subtracting `UTC_OFFSET` gives real epoch seconds.
"""

from __future__ import annotations

import numpy as np

from persona.demo.archetypes import ARCHETYPES

REFERENCE_DATE = np.datetime64("2026-10-31", "D")
"""The last day of the demo data (inclusive)."""
WINDOW_DAYS = 180
WINDOW_START = REFERENCE_DATE - np.timedelta64(WINDOW_DAYS - 1, "D")
DAY = 86400
UTC_OFFSET = 8 * 3600
"""Asia/Shanghai is UTC+8 all year."""

_PROMOTIONS: tuple[tuple[str, str, float], ...] = (
    ("2026-06-14", "2026-06-17", 2.5),  # 618 warm-up
    ("2026-06-18", "2026-06-18", 6.0),  # 618 shopping festival
    ("2026-08-08", "2026-08-08", 2.5),  # 88 member day
    ("2026-09-09", "2026-09-09", 4.0),  # 99 sale
    ("2026-10-20", "2026-10-31", 2.2),  # Double 11 pre-sale
)


def day_start(day: int) -> int:
    """Return the local seconds of midnight starting window day `day` (0 = first day)."""
    return int((WINDOW_START + np.timedelta64(day, "D")).astype(np.int64)) * DAY


def day_label(day: int) -> str:
    """Return the ISO date of window day `day`, e.g. ``2026-10-31``."""
    return str(WINDOW_START + np.timedelta64(day, "D"))


def promotion_weights() -> np.ndarray:
    """Return the activity lift of every window day (1.0 on an ordinary weekday)."""
    dates = WINDOW_START + np.arange(WINDOW_DAYS).astype("timedelta64[D]")
    weights = np.ones(WINDOW_DAYS)
    weekday = (dates.astype(np.int64) + 3) % 7  # 0 = Monday
    weights[weekday >= 5] = 1.15
    for first, last, lift in _PROMOTIONS:
        inside = (dates >= np.datetime64(first)) & (dates <= np.datetime64(last))
        weights[inside] = lift
    return weights


def archetype_day_weights() -> np.ndarray:
    """Return (archetype x day) activity weights: promotions lift each archetype differently."""
    lift = promotion_weights()
    exponents = np.array([a.promo_exponent for a in ARCHETYPES])
    return np.asarray(np.power(lift[None, :], exponents[:, None]), dtype=np.float64)


def window_sums(
    weights: np.ndarray, first: np.ndarray, last: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    """Sum each person's archetype day weights over their active days ``first..last``."""
    cumulative = np.concatenate([np.zeros((weights.shape[0], 1)), weights.cumsum(axis=1)], axis=1)
    total = cumulative[kind, last + 1] - cumulative[kind, first]
    return np.asarray(np.maximum(total, 1e-9), dtype=np.float64)
