"""The feature catalog: every column of the `features` table, its type and its meaning.

One entry per feature, in table order, with an English and a Chinese description and the data
kind it is computed from. Survey scores are one column per psychographic dimension of the
question bank (``survey_<dimension>``); the catalog lists them when given the dimensions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from persona.model.kinds import Kind


class FeatureSpec(NamedTuple):
    """One feature: a column of the `features` table.

    Attributes:
        name: The column name (snake_case).
        type: ``integer``, ``number``, ``text``, ``timestamp``, ``boolean`` or ``list``.
        description_en: What it is, in English.
        description_zh: What it is, in Chinese.
        kind: The data kind it is computed from (``transactions``, ``events`` ...).
    """

    name: str
    type: str
    description_en: str
    description_zh: str
    kind: str


WINDOWS = (7, 30, 90, 365)
"""Days of the order and spend windows; events use the first three, active days 30 and 90."""
EVENT_WINDOWS = (7, 30, 90)
ACTIVE_WINDOWS = (30, 90)

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "views": ("view", "views", "page_view", "pageview", "product_view"),
    "searches": ("search", "searches"),
    "add_to_cart": ("add_to_cart", "add_cart", "addtocart", "cart_add"),
    "favorites": ("favorite", "favorites", "favourite", "favourites"),
    "purchases": ("purchase", "purchases"),
    "shares": ("share", "shares"),
    "logins": ("login", "logins", "log_in", "sign_in", "signin"),
}
"""Event-count columns and the lower-cased event names each one counts."""

T, E, S, R, P = (
    Kind.TRANSACTIONS.value,
    Kind.EVENTS.value,
    Kind.SURVEYS.value,
    Kind.RELATIONS.value,
    Kind.PROFILES.value,
)

_TRANSACTIONS = [
    FeatureSpec(
        "recency_days",
        "integer",
        "Calendar days from the last paid order to the as-of date",
        "最近一次有效订单距今天数",
        T,
    ),
    FeatureSpec(
        "frequency", "integer", "Distinct paid orders (not refunded or cancelled)", "有效订单数", T
    ),
    FeatureSpec(
        "monetary",
        "number",
        "Amount paid for paid orders minus refunds (negative amounts)",
        "消费金额(有效订单金额减退款)",
        T,
    ),
    FeatureSpec(
        "avg_order_value",
        "number",
        "Amount paid for paid orders / frequency",
        "客单价",
        T,
    ),
    FeatureSpec("first_order_at", "timestamp", "Time of the first paid order", "首单时间", T),
    FeatureSpec("last_order_at", "timestamp", "Time of the last paid order", "末单时间", T),
    FeatureSpec(
        "previous_order_at",
        "timestamp",
        "Time of the paid order before the last one (none with fewer than two)",
        "倒数第二次有效订单时间",
        T,
    ),
    FeatureSpec(
        "first_order_channel",
        "text",
        "Channel of the first paid order",
        "首单渠道",
        T,
    ),
    *(
        FeatureSpec(
            f"orders_{n}d",
            "integer",
            f"Distinct paid orders in the last {n} days",
            f"近{n}天有效订单数",
            T,
        )
        for n in WINDOWS
    ),
    *(
        FeatureSpec(
            f"spend_{n}d",
            "number",
            f"Amount paid minus refunds in the last {n} days",
            f"近{n}天消费金额(减退款)",
            T,
        )
        for n in WINDOWS
    ),
    FeatureSpec(
        "discount_share",
        "number",
        "Share of paid orders with a discount or a coupon",
        "使用优惠或优惠券的订单占比",
        T,
    ),
    FeatureSpec(
        "avg_discount",
        "number",
        "Mean discount rate of paid orders: discount / (amount paid + discount), 0 without one",
        "平均折扣率(优惠 / 原价)",
        T,
    ),
    FeatureSpec(
        "refund_rate",
        "number",
        "Refunded orders / (paid orders + refunded orders)",
        "退款率",
        T,
    ),
    FeatureSpec(
        "top_category",
        "text",
        "Category of most paid order lines",
        "最常购买品类",
        T,
    ),
    FeatureSpec(
        "top_category_share",
        "number",
        "Share of paid order lines (with a category) in the top category",
        "最常购买品类占比",
        T,
    ),
    FeatureSpec(
        "category_count",
        "integer",
        "Distinct categories of paid order lines",
        "购买品类数",
        T,
    ),
    FeatureSpec("top_channel", "text", "Channel of most paid orders", "最常下单渠道", T),
    FeatureSpec(
        "top_payment_method", "text", "Payment method of most paid orders", "最常用支付方式", T
    ),
]

_EVENTS = [
    FeatureSpec("event_count", "integer", "Events up to the as-of time", "行为事件总数", E),
    *(
        FeatureSpec(f"events_{n}d", "integer", f"Events in the last {n} days", f"近{n}天事件数", E)
        for n in EVENT_WINDOWS
    ),
    *(
        FeatureSpec(
            f"active_days_{n}d",
            "integer",
            f"Days with at least one event in the last {n} days (local dates)",
            f"近{n}天活跃天数",
            E,
        )
        for n in ACTIVE_WINDOWS
    ),
    FeatureSpec("sessions", "integer", "Distinct session ids", "会话数", E),
    FeatureSpec(
        "avg_session_events",
        "number",
        "Events with a session id / distinct session ids",
        "平均每会话事件数",
        E,
    ),
    *(
        FeatureSpec(
            name,
            "integer",
            f"Events named {' or '.join(names[:2])}",
            f"{names[0]} 事件数",
            E,
        )
        for name, names in EVENT_TYPES.items()
    ),
    FeatureSpec(
        "night_share",
        "number",
        "Share of events between 22:00 and 02:00 local time",
        "夜间(22:00-02:00)事件占比",
        E,
    ),
    FeatureSpec(
        "weekend_share",
        "number",
        "Share of events on Saturday or Sunday (local time)",
        "周末事件占比",
        E,
    ),
    FeatureSpec("top_hour", "integer", "Local hour (0-23) with most events", "最活跃时段(小时)", E),
    FeatureSpec(
        "top_weekday",
        "integer",
        "Local weekday with most events (1 = Monday ... 7 = Sunday)",
        "最活跃星期几(1=周一)",
        E,
    ),
    FeatureSpec("top_event_channel", "text", "Channel with most events", "最常用行为渠道", E),
    FeatureSpec("last_event_at", "timestamp", "Time of the last event", "最近行为时间", E),
    FeatureSpec("last_event", "text", "Name of the last event (lower-cased)", "最近一次行为", E),
    FeatureSpec(
        "days_since_last_event",
        "integer",
        "Calendar days from the last event to the as-of date",
        "最近行为距今天数",
        E,
    ),
]

_SURVEYS = [
    FeatureSpec(
        "answered_questions",
        "integer",
        "Distinct survey questions answered",
        "已作答题目数",
        S,
    ),
    FeatureSpec(
        "survey_keywords",
        "list",
        "Up to 5 most frequent keywords of the free-text survey answers, most frequent first "
        "(Chinese segmented by jieba, stop words left out)",
        "开放题回答中出现次数最多的关键词(最多 5 个,按次数排序;中文用 jieba 分词,去停用词)",
        S,
    ),
]

_SOCIAL = [
    FeatureSpec(
        "degree",
        "integer",
        "Distinct counterparties in relations, either side",
        "关系人数(度)",
        R,
    ),
    FeatureSpec(
        "referrals_made", "integer", "Distinct people referred (relation referral)", "推荐人数", R
    ),
    FeatureSpec(
        "referrals_received",
        "integer",
        "Distinct people who referred this customer",
        "被推荐次数",
        R,
    ),
    FeatureSpec(
        "household_size",
        "integer",
        "1 + distinct household counterparties",
        "家庭人数",
        R,
    ),
    FeatureSpec(
        "influence",
        "number",
        "PageRank in the customer relation graph, scaled so its mean is 1",
        "社交影响力(PageRank)",
        R,
    ),
    FeatureSpec(
        "community",
        "text",
        "Connected component of the relation graph, named by its smallest customer_id",
        "社群(关系图连通分量)",
        R,
    ),
    FeatureSpec("community_size", "integer", "Customers in the same community", "所在社群人数", R),
]

_PROFILE = [
    FeatureSpec("age", "integer", "Age at the as-of date", "年龄", P),
    FeatureSpec("gender", "text", "Gender (male, female)", "性别", P),
    FeatureSpec("city", "text", "City", "城市", P),
    FeatureSpec("province", "text", "Province", "省份", P),
    FeatureSpec("city_tier", "integer", "City tier (1-5)", "城市等级", P),
    FeatureSpec(
        "tenure_days",
        "integer",
        "Calendar days since registration or the first paid order, whichever is earlier",
        "客户时长(天)",
        P,
    ),
    *(
        FeatureSpec(
            f"has_{kind.value}",
            "boolean",
            f"Whether the customer has {kind.value} records",
            f"是否有{kind.value}数据",
            P,
        )
        for kind in Kind
    ),
]

FAMILIES: dict[str, list[FeatureSpec]] = {
    "profile": _PROFILE,
    "transactions": _TRANSACTIONS,
    "events": _EVENTS,
    "surveys": _SURVEYS,
    "social": _SOCIAL,
}
"""The feature families in table order; each is computed by its own module."""

_COUNTS = (
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
    "answered_questions",
    "degree",
    "referrals_made",
    "referrals_received",
)
FILLS: dict[str, str] = {**dict.fromkeys(_COUNTS, "0"), "household_size": "1"}
"""SQL values for customers without any record of a feature's kind: counts and sums are 0 (not
NULL), a household is the customer alone; every other feature stays NULL."""

SURVEY_TEMPLATE = FeatureSpec(
    "survey_<dimension>",
    "number",
    "Mean Likert answer to the questions of one psychographic dimension of the question bank",
    "心理维度得分(该维度题目的李克特量表均值)",
    S,
)


def survey_column(dimension: str) -> str:
    """The column name of a dimension's score, e.g. ``survey_price_consciousness``.

    A name taken by another survey feature gets ``_score`` (dimension keywords:
    ``survey_keywords_score``).

    Example:
        >>> survey_column("Brand loyalty")
        'survey_brand_loyalty'
    """
    name = "survey_" + (re.sub(r"[^0-9a-z]+", "_", dimension.strip().lower()).strip("_") or "x")
    return f"{name}_score" if name in {spec.name for spec in _SURVEYS} else name


def feature_catalog(dimensions: Sequence[str] | None = None) -> list[FeatureSpec]:
    """Every feature of the `features` table, in table order.

    Args:
        dimensions: The psychographic dimensions of the question bank; each becomes a
            ``survey_<dimension>`` entry. None lists the template entry ``survey_<dimension>``.

    Returns:
        The features as (name, type, description_en, description_zh, kind).

    Example:
        >>> [f.name for f in feature_catalog(["innovation"])][-8:-7]
        ['survey_innovation']
    """
    if dimensions is None:
        surveys = [SURVEY_TEMPLATE]
    else:
        names = dict.fromkeys(survey_column(d) for d in dimensions)
        surveys = [
            SURVEY_TEMPLATE._replace(
                name=name,
                description_en=f"{SURVEY_TEMPLATE.description_en}: {name.removeprefix('survey_')}",
                description_zh=f"{SURVEY_TEMPLATE.description_zh}: {name.removeprefix('survey_')}",
            )
            for name in names
        ]
    result: list[FeatureSpec] = []
    for family, specs in FAMILIES.items():
        result += specs
        if family == "surveys":
            result += surveys
    return result
