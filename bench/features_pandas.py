"""A straightforward pandas implementation of the transaction and event features.

The baseline of bench/features.py: the same definitions as docs/features.md (local hours and
dates in Asia/Shanghai, cancelled/refund/refunded/paid line classes, windows (as-of - N days,
as-of], ties to the smallest value), written the way an analyst would in idiomatic, vectorised
pandas: boolean columns, `groupby().agg()`, one `groupby().size()` per top value. No per-row
Python, nothing deliberately slow. It is independent of Persona's code (its own constants).

It reads the clean inputs exported from the store (customers, customer_key -> customer_id,
clean events, clean order lines) and writes one row per customer. A record's customer is that
of its `customer_key` (the benchmark data has no other identifiers), and coupons are not read
(the data has none; only `discount` > 0 marks a discounted order).

Usage: python bench/features_pandas.py INPUTS_DIR OUT.parquet
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

TIMEZONE = "Asia/Shanghai"
CANCELLED = ("cancelled", "canceled", "cancel", "void", "voided", "closed")
CANCELLED += ("取消", "已取消", "交易关闭", "已关闭")
REFUNDED = ("refunded", "refund", "returned", "return", "退款", "已退款", "退货", "已退货")
WINDOWS = (7, 30, 90, 365)
EVENT_WINDOWS = (7, 30, 90)
ACTIVE_WINDOWS = (30, 90)
EVENT_TYPES = {
    "views": ("view", "views", "page_view", "pageview", "product_view"),
    "searches": ("search", "searches"),
    "add_to_cart": ("add_to_cart", "add_cart", "addtocart", "cart_add"),
    "favorites": ("favorite", "favorites", "favourite", "favourites"),
    "purchases": ("purchase", "purchases"),
    "shares": ("share", "shares"),
    "logins": ("login", "logins", "log_in", "sign_in", "signin"),
}
NIGHT_HOURS = (22, 23, 0, 1)
WEEKEND = (6, 7)
COUNTS = (
    "frequency",
    "monetary",
    *(f"orders_{n}d" for n in WINDOWS),
    *(f"spend_{n}d" for n in WINDOWS),
    "category_count",
    "event_count",
    *(f"events_{n}d" for n in EVENT_WINDOWS),
    *(f"active_days_{n}d" for n in ACTIVE_WINDOWS),
    "sessions",
    *EVENT_TYPES,
)
"""Counts and sums: 0 (not missing) for a customer without records of their kind."""


def top(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per customer: the value of `column` with most rows (ties: smallest), share, distinct."""
    counts = frame.groupby(["customer_id", column]).size().rename("n").reset_index()
    counts = counts.sort_values(["customer_id", "n", column], ascending=[True, False, True])
    best = counts.drop_duplicates("customer_id").set_index("customer_id")
    per_customer = counts.groupby("customer_id")["n"]
    return pd.DataFrame(
        {
            "top": best[column],
            "share": best["n"] / per_customer.sum(),
            "distinct": per_customer.size(),
        }
    )


def days_before(times: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Calendar days from each time's local date to the as-of's local date."""
    local_day = times.dt.tz_convert(TIMEZONE).dt.normalize()
    return (as_of.tz_convert(TIMEZONE).normalize() - local_day).dt.days


def transaction_features(lines: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """RFM, windows, discounts, refunds and preferences per customer with an order."""
    lines = lines[lines["timestamp"] <= as_of]
    status = lines["status"].str.lower()
    value = lines["amount"].fillna(
        lines["unit_price"] * lines["quantity"].fillna(1) - lines["discount"].fillna(0)
    )
    line_class = np.select(
        [status.isin(CANCELLED), value < 0, status.isin(REFUNDED)],
        ["cancelled", "refund", "refunded"],
        "paid",
    )
    lines = lines.assign(value=value, discount=lines["discount"].fillna(0), line_class=line_class)
    lines = lines[lines["line_class"] != "cancelled"]
    paid = lines["line_class"] == "paid"

    # One row per order: paid when one line is paid, at its first paid line's time.
    orders = (
        lines.assign(
            paid=paid,
            refunded=lines["line_class"].isin(["refund", "refunded"]),
            paid_at=lines["timestamp"].where(paid),
            paid_value=lines["value"].where(paid),
            paid_discount=lines["discount"].where(paid),
            discounted=paid & (lines["discount"] > 0),
            paid_channel=lines["channel"].where(paid),
            paid_payment=lines["payment_method"].where(paid),
        )
        .groupby(["customer_id", "order_id"])
        .agg(
            paid=("paid", "any"),
            refunded=("refunded", "any"),
            paid_at=("paid_at", "min"),
            paid_amount=("paid_value", "sum"),
            discount=("paid_discount", "sum"),
            discounted=("discounted", "any"),
            channel=("paid_channel", "min"),
            payment_method=("paid_payment", "min"),
        )
        .reset_index()
    )
    gross = orders["paid_amount"] + orders["discount"]
    share = (orders["discount"] / gross).where(gross > 0, 0.0)
    orders = orders.assign(
        discount_rate=share.where(orders["paid"]),
        paid_discounted=orders["paid"] & orders["discounted"],
        refunded_only=orders["refunded"] & ~orders["paid"],
        **{
            f"orders_{n}d": orders["paid"] & (orders["paid_at"] > as_of - pd.Timedelta(days=n))
            for n in WINDOWS
        },
    )
    features = orders.groupby("customer_id").agg(
        frequency=("paid", "sum"),
        paid_amount=("paid_amount", "sum"),
        first_order_at=("paid_at", "min"),
        last_order_at=("paid_at", "max"),
        **{f"orders_{n}d": (f"orders_{n}d", "sum") for n in WINDOWS},
        discounted=("paid_discounted", "sum"),
        avg_discount=("discount_rate", "mean"),
        refunded=("refunded", "sum"),
        refunded_only=("refunded_only", "sum"),
    )

    # Money by line: paid lines plus refund lines (negative), in each window by the line's time.
    money = lines["line_class"].isin(["paid", "refund"])
    sums = (
        lines.assign(
            refunds=lines["value"].where(lines["line_class"] == "refund"),
            **{
                f"spend_{n}d": lines["value"].where(
                    money & (lines["timestamp"] > as_of - pd.Timedelta(days=n))
                )
                for n in WINDOWS
            },
        )
        .groupby("customer_id")[["refunds", *(f"spend_{n}d" for n in WINDOWS)]]
        .sum()
    )
    features = features.join(sums)
    frequency = features["frequency"].where(features["frequency"] > 0)
    features["recency_days"] = days_before(features["last_order_at"], as_of)
    features["monetary"] = features["paid_amount"] + features["refunds"]
    features["avg_order_value"] = features["paid_amount"] / frequency
    features["discount_share"] = features["discounted"] / frequency
    asked = features["frequency"] + features["refunded_only"]
    features["refund_rate"] = features["refunded"] / asked.where(asked > 0)

    categories = top(lines[paid], "category")
    features["top_category"] = categories["top"]
    features["top_category_share"] = categories["share"]
    features["category_count"] = categories["distinct"]
    paid_orders = orders[orders["paid"]]
    by_time = paid_orders.sort_values(["customer_id", "paid_at", "channel"])
    features["first_order_channel"] = by_time.drop_duplicates("customer_id").set_index(
        "customer_id"
    )["channel"]
    features["previous_order_at"] = (
        by_time.groupby("customer_id").nth(-2).set_index("customer_id")["paid_at"]
    )
    features["top_channel"] = top(paid_orders, "channel")["top"]
    features["top_payment_method"] = top(paid_orders, "payment_method")["top"]
    return features.drop(
        columns=["paid_amount", "refunds", "discounted", "refunded", "refunded_only"]
    )


def event_features(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Activity, sessions, event types and time-of-day patterns per customer with an event."""
    events = events[events["timestamp"] <= as_of]
    local = events["timestamp"].dt.tz_convert(TIMEZONE)
    name = events["event"].str.lower()
    hour = local.dt.hour
    weekday = local.dt.day_of_week + 1
    events = events.assign(
        hour=hour,
        weekday=weekday,
        day=local.dt.normalize(),
        night=hour.isin(NIGHT_HOURS),
        weekend=weekday.isin(WEEKEND),
        in_session=events["session_id"].notna(),
        **{
            f"events_{n}d": events["timestamp"] > as_of - pd.Timedelta(days=n)
            for n in EVENT_WINDOWS
        },
        **{column: name.isin(names) for column, names in EVENT_TYPES.items()},
    )
    features = events.groupby("customer_id").agg(
        event_count=("timestamp", "size"),
        **{f"events_{n}d": (f"events_{n}d", "sum") for n in EVENT_WINDOWS},
        sessions=("session_id", "nunique"),
        session_events=("in_session", "sum"),
        **{column: (column, "sum") for column in EVENT_TYPES},
        night_share=("night", "mean"),
        weekend_share=("weekend", "mean"),
        last_event_at=("timestamp", "max"),
    )
    for n in ACTIVE_WINDOWS:
        recent = events[events["timestamp"] > as_of - pd.Timedelta(days=n)]
        features[f"active_days_{n}d"] = recent.groupby("customer_id")["day"].nunique()
    sessions = features["sessions"].where(features["sessions"] > 0)
    features["avg_session_events"] = features.pop("session_events") / sessions
    features["top_hour"] = top(events, "hour")["top"]
    features["top_weekday"] = top(events, "weekday")["top"]
    features["top_event_channel"] = top(events, "channel")["top"]
    features["days_since_last_event"] = days_before(features["last_event_at"], as_of)
    # The last event's name; events at the same last time: the smallest name.
    last = events["timestamp"] == events.groupby("customer_id")["timestamp"].transform("max")
    features["last_event"] = (
        events.loc[last, "event"].str.lower().groupby(events.loc[last, "customer_id"]).min()
    )
    return features


def latest(*times: pd.Series) -> pd.Timestamp:
    """The default as-of time: the latest time in the data, ignoring times after now + 1 day."""
    limit = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    return max(t[t <= limit].max() for t in times)


def main() -> None:
    inputs, out = Path(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    customers = pd.read_parquet(inputs / "customers.parquet")
    keys = pd.read_parquet(inputs / "customer_keys.parquet")
    events = pd.read_parquet(inputs / "clean_events.parquet").merge(keys, on="customer_key")
    lines = pd.read_parquet(inputs / "clean_transactions.parquet").merge(keys, on="customer_key")
    as_of = latest(events["timestamp"], lines["timestamp"])
    features = (
        customers.set_index("customer_id")
        .join(transaction_features(lines, as_of))
        .join(event_features(events, as_of))
    )
    features[list(COUNTS)] = features[list(COUNTS)].fillna(0)
    features.reset_index().to_parquet(out)
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "customers": len(features),
                "as_of": as_of.tz_convert(TIMEZONE).isoformat(),
            }
        )
    )


if __name__ == "__main__":
    main()
