"""Evidence: why a segment has its name, as numbers and as sentences in zh and en.

Each evidence item compares the segment with the population on one feature (or one group of
values of a categorical feature): "spend 3.2x the average" / "消费金额是平均的3.2倍", "night-time
activity 90% (average 17%)", "92% active in the last 30 days (average 60%)", "85% mostly buy
母婴/童装 (average 21%)".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from persona.model.segments import Naming, SegmentProfile, Stat

Kind = Literal["ratio", "share", "rate", "days", "years", "number"]

# fmt: off
FEATURE_TEXT: dict[str, tuple[str, str, Kind]] = {
    "monetary": ("消费金额", "spend", "ratio"),
    "spend_365d": ("近365天消费", "spend in the last 365 days", "ratio"),
    "spend_90d": ("近90天消费", "spend in the last 90 days", "ratio"),
    "spend_30d": ("近30天消费", "spend in the last 30 days", "ratio"),
    "avg_order_value": ("客单价", "average order value", "ratio"),
    "frequency": ("订单数", "orders", "ratio"),
    "orders_365d": ("近365天订单数", "orders in the last 365 days", "ratio"),
    "orders_90d": ("近90天订单数", "orders in the last 90 days", "ratio"),
    "orders_30d": ("近30天订单数", "orders in the last 30 days", "ratio"),
    "event_count": ("行为次数", "events", "ratio"),
    "events_90d": ("近90天行为次数", "events in the last 90 days", "ratio"),
    "events_30d": ("近30天行为次数", "events in the last 30 days", "ratio"),
    "active_days_30d": ("近30天活跃天数", "active days in the last 30 days", "ratio"),
    "active_days_90d": ("近90天活跃天数", "active days in the last 90 days", "ratio"),
    "views": ("浏览次数", "views", "ratio"),
    "category_count": ("购买品类数", "categories bought", "ratio"),
    "degree": ("关系人数", "connections", "ratio"),
    "influence": ("社交影响力", "influence", "ratio"),
    "referrals_made": ("推荐人数", "referrals made", "ratio"),
    "recency_days": ("距上次下单", "days since the last order", "days"),
    "days_since_last_event": ("距上次访问", "days since the last visit", "days"),
    "tenure_days": ("成为客户", "days as a customer", "days"),
    "discount_share": ("用券/优惠订单占比", "orders with a discount", "share"),
    "avg_discount": ("平均折扣率", "average discount", "share"),
    "night_share": ("夜间(22点-2点)行为占比", "night-time activity (22:00-02:00)", "share"),
    "weekend_share": ("周末行为占比", "weekend activity", "share"),
    "refund_rate": ("退款率", "refund rate", "share"),
    "top_category_share": ("最常购买品类占比", "share of the favourite category", "share"),
    "active_30d": ("近30天活跃", "active in the last 30 days", "rate"),
    "age": ("平均年龄", "average age", "years"),
    "household_size": ("家庭人数", "household size", "number"),
}
"""Feature -> (Chinese label, English label, how its evidence reads)."""

CATEGORY_TEXT: dict[str, tuple[str, str]] = {
    "top_category": ("最常购买{value}", "mostly buy {value}"),
    "top_channel": ("最常通过{value}下单", "mostly order via {value}"),
    "top_event_channel": ("最常通过{value}访问", "mostly visit via {value}"),
    "top_payment_method": ("最常用{value}支付", "mostly pay with {value}"),
    "gender": ("为{value}", "are {value}"),
}
"""Categorical feature -> (zh, en) phrase about its value."""

CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "top_category": ("最常购买品类", "favourite category"),
    "top_channel": ("最常下单渠道", "favourite order channel"),
    "top_event_channel": ("最常访问渠道", "favourite visit channel"),
    "top_payment_method": ("最常用支付方式", "favourite payment method"),
    "gender": ("性别", "gender"),
}
"""Categorical feature -> (zh, en) label."""

VALUE_ZH = {"female": "女性", "male": "男性"}
# fmt: on

MIN_Z = 0.3
"""Evidence beyond the name's own shows features at least this far from the population."""


def word_labels(features: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Feature -> (zh, en) label for combined names.

    The known labels, and the features segmented on by their own names (``annual_income_k``
    -> "annual income k").
    """
    labels = {f: (zh, en) for f, (zh, en, _) in FEATURE_TEXT.items()}
    for feature in features:
        labels.setdefault(feature, (feature, feature.replace("_", " ")))
    return labels


def evidence(profile: SegmentProfile, naming: Naming, limit: int = 5) -> list[dict[str, Any]]:
    """The evidence list of a segment: the name's stats first, then the most distinguishing.

    Each item: ``{"feature", "direction", "value", "population", "ratio", "z", "text_zh",
    "text_en"}``; a categorical item's feature is ``feature=value`` (values joined by ``|``)
    and its value and population are shares.
    """
    chosen: list[Stat] = list(naming.stats)
    for stat in profile.strongest():
        if len(chosen) >= limit:
            break
        if abs(stat.z) >= MIN_Z and not any(_same(stat, c) for c in chosen):
            if "=" in stat.feature and stat.z < 0:
                continue  # "fewer favour X" rarely describes a group
            chosen.append(stat)
    return [_item(stat) for stat in chosen[:limit]]


def _same(stat: Stat, other: Stat) -> bool:
    """Whether two stats say the same thing.

    One feature, one categorical feature, or two features with equal numbers (monetary and
    spend_365d over a year of data).
    """
    if stat.feature.split("=")[0] == other.feature.split("=")[0]:
        return True
    return (round(stat.value, 6), round(stat.population, 6)) == (
        round(other.value, 6),
        round(other.population, 6),
    )


def _item(stat: Stat) -> dict[str, Any]:
    """One evidence item with its sentences."""
    zh, en = sentences(stat)
    ratio = stat.ratio
    return {
        "feature": stat.feature,
        "direction": stat.direction,
        "value": round(stat.value, 4),
        "population": round(stat.population, 4),
        "ratio": None if ratio is None else round(ratio, 3),
        "z": round(stat.z, 3),
        "text_zh": zh,
        "text_en": en,
    }


def sentences(stat: Stat) -> tuple[str, str]:
    """The zh and en sentence of one comparison."""
    v, p = stat.value, stat.population
    if "=" in stat.feature:
        feature, values = stat.feature.split("=", 1)
        zh_phrase, en_phrase = CATEGORY_TEXT.get(
            feature, (f"{feature}为{{value}}", f"have {feature} {{value}}")
        )
        shown = values.replace("|", "/")
        zh_value = "/".join(VALUE_ZH.get(x, x) for x in values.split("|"))
        return (
            f"{v:.0%}{zh_phrase.format(value=zh_value)}(平均{p:.0%})",
            f"{v:.0%} {en_phrase.format(value=shown)} (average {p:.0%})",
        )
    zh_label, en_label, kind = FEATURE_TEXT.get(
        stat.feature, (stat.feature, stat.feature, "number")
    )
    ratio = stat.ratio
    if kind == "ratio" and ratio is not None:
        if ratio >= 1.15:
            return f"{zh_label}是平均的{ratio:.1f}倍", f"{en_label} {ratio:.1f}x the average"
        if ratio <= 0.85:
            return (
                f"{zh_label}比平均低{1 - ratio:.0%}",
                f"{en_label} {1 - ratio:.0%} below the average",
            )
        return f"{zh_label}与平均相当", f"{en_label} about average"
    if kind == "share":
        return f"{zh_label}{v:.0%}(平均{p:.0%})", f"{en_label} {v:.0%} (average {p:.0%})"
    if kind == "rate":
        return f"{zh_label}{v:.0%}(平均{p:.0%})", f"{v:.0%} {en_label} (average {p:.0%})"
    if kind == "days":
        return (
            f"{zh_label}平均{v:.0f}天(整体{p:.0f}天)",
            f"{en_label}: {v:.0f} on average (overall {p:.0f})",
        )
    if kind == "years":
        return f"{zh_label}{v:.0f}岁(整体{p:.0f}岁)", f"{en_label} {v:.0f} (overall {p:.0f})"
    return (
        f"{zh_label}平均{number_text(v)}(整体{number_text(p)})",
        f"{en_label} {number_text(v)} on average (overall {number_text(p)})",
    )


def label(feature: str) -> tuple[str, str]:
    """The (zh, en) label of a feature; its own name when it has none."""
    if feature in FEATURE_TEXT:
        return FEATURE_TEXT[feature][:2]
    return CATEGORY_LABELS.get(feature, (feature, feature))


def number_text(value: float) -> str:
    """A number for a sentence: 1,234 / 56.7 / 0.123."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".removesuffix(".0")
    return f"{value:.3g}"
