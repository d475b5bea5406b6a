"""The built-in tags: what every project gets without writing a definition.

They cover each category of the taxonomy with the tags marketing teams use daily (RFM and its
classes, lifecycle, favourites, night owls, price sensitivity, psychographic levels, social
role). A project turns them off with ``tagging: {builtin: false}``, or replaces one by defining
a tag of the same name. Thresholds are documented in docs/tags.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from persona.model.tags import TagDefinition
from persona.pipeline.features.catalog import survey_column

DIMENSION_NAMES: dict[str, tuple[str, str]] = {
    "price_consciousness": ("价格敏感度", "price consciousness"),
    "quality_orientation": ("品质导向", "quality orientation"),
    "innovation": ("尝新意愿", "openness to new products"),
    "social_influence": ("社交影响", "social influence"),
    "convenience": ("便利偏好", "convenience"),
    "brand_loyalty": ("品牌忠诚", "brand loyalty"),
}
"""Display names of common psychographic dimensions (others show their key)."""

_AGE_LABELS = ["under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus"]
_AGE_NAMES = {
    "under_18": ("18岁以下", "under 18"),
    "18_24": ("18-24岁", "18-24"),
    "25_34": ("25-34岁", "25-34"),
    "35_44": ("35-44岁", "35-44"),
    "45_54": ("45-54岁", "45-54"),
    "55_64": ("55-64岁", "55-64"),
    "65_plus": ("65岁及以上", "65 and over"),
    "none": ("无", "none"),
    "influencer": ("意见领袖", "influencer"),
    "connector": ("连接者", "connector"),
    "member": ("普通成员", "member"),
    "isolated": ("独立个体", "on their own"),
}


def _tag(**fields: Any) -> TagDefinition:
    names = fields.pop("names", {})
    fields["value_names"] = {v: {"zh": zh, "en": en} for v, (zh, en) in names.items()}
    return TagDefinition.model_validate({"owner": "persona", **fields})


def builtin_tags(dimensions: Sequence[str] = ()) -> list[TagDefinition]:
    """The built-in tag definitions, one psychographic tag per survey dimension.

    Args:
        dimensions: The psychographic dimensions of the question bank.
    """
    tags = [
        _tag(
            name="age_band",
            kind="binned",
            category="demographics",
            name_zh="年龄段",
            name_en="Age band",
            description="Age in bands: under 18, 18-24, 25-34 ... 65 and over",
            description_zh="年龄分段",
            feature="age",
            edges=[18, 25, 35, 45, 55, 65],
            labels=_AGE_LABELS,
            names={k: _AGE_NAMES[k] for k in _AGE_LABELS},
        ),
        *(
            _tag(
                name=f"rfm_{part}",
                kind="rfm",
                category="transactions",
                name_zh=f"RFM {label_zh}得分",
                name_en=f"RFM {label_en} score",
                description=f"{label_en} score among buyers, 1 (worst) to 5 (best), by quintile",
                description_zh=f"购买客户中的{label_zh}得分(1最差,5最好,按五分位)",
                part=part,
            )
            for part, label_zh, label_en in (
                ("r", "最近消费", "recency"),
                ("f", "消费频次", "frequency"),
                ("m", "消费金额", "monetary"),
            )
        ),
        _tag(
            name="rfm_class",
            kind="rfm",
            category="transactions",
            name_zh="RFM客户分类",
            name_en="RFM class",
            description="The classic eight RFM classes: recency, frequency and monetary each "
            "better or worse than the buyers' mean",
            description_zh="经典RFM八类客户:R、F、M分别与购买客户均值比较",
            part="class",
        ),
        _tag(
            name="lifecycle",
            kind="lifecycle",
            category="transactions",
            name_zh="生命周期",
            name_en="Lifecycle stage",
            description="prospect, new, active, silent, churned or returning, from order dates",
            description_zh="生命周期阶段:潜在、新客、活跃、沉默、流失、回流(按订单时间)",
        ),
        _tag(
            name="high_value",
            category="transactions",
            name_zh="高价值客户",
            name_en="High value",
            description="In the top two RFM quintiles of both frequency and monetary",
            description_zh="消费频次与金额均处于前两个五分位",
            rule="tag('rfm_f') >= 4 and tag('rfm_m') >= 4",
        ),
        _tag(
            name="price_sensitive",
            category="transactions",
            name_zh="价格敏感",
            name_en="Price-sensitive",
            description="At least 60% of at least two paid orders used a discount or a coupon",
            description_zh="至少两单,且六成以上订单使用优惠或优惠券",
            rule="frequency >= 2 and discount_share >= 0.6",
        ),
        _tag(
            name="favourite_category",
            kind="top",
            category="transactions",
            name_zh="偏好品类",
            name_en="Favourite category",
            description="The category of most paid order lines, when it has at least 30% of them",
            description_zh="购买最多的品类(占比不低于30%)",
            feature="category",
            min_share=0.3,
        ),
        _tag(
            name="favourite_channel",
            kind="top",
            category="transactions",
            name_zh="偏好购买渠道",
            name_en="Favourite purchase channel",
            description="The channel of most paid orders",
            description_zh="下单最多的渠道",
            feature="channel",
        ),
        _tag(
            name="first_purchase_channel",
            kind="first_last",
            category="transactions",
            name_zh="首单渠道",
            name_en="First order channel",
            description="The channel of the first paid order",
            description_zh="第一笔有效订单的渠道",
            feature="first_order_channel",
        ),
        _tag(
            name="night_owl",
            category="behaviour",
            name_zh="夜猫子",
            name_en="Night owl",
            description="At least 40% of at least 10 events between 22:00 and 02:00 local time",
            description_zh="至少10次行为,且四成以上发生在22点至凌晨2点",
            rule="event_count >= 10 and night_share >= 0.4",
        ),
        _tag(
            name="weekend_active",
            category="behaviour",
            name_zh="周末活跃",
            name_en="Weekend active",
            description="At least half of at least 10 events on Saturdays and Sundays",
            description_zh="至少10次行为,且一半以上发生在周末",
            rule="event_count >= 10 and weekend_share >= 0.5",
        ),
        _tag(
            name="active_time",
            kind="top",
            category="behaviour",
            name_zh="活跃时段",
            name_en="Active time of day",
            description="The time of day of the hour with most events",
            description_zh="行为最多的时段",
            feature="time_of_day",
        ),
        _tag(
            name="engagement",
            kind="binned",
            category="behaviour",
            name_zh="近30天活跃度",
            name_en="Engagement (30 days)",
            description="Active days in the last 30: none (0), low (1-3), medium (4-9), high (10+)",
            description_zh="近30天活跃天数:无(0)、低(1-3)、中(4-9)、高(10+)",
            feature="active_days_30d",
            edges=[1, 4, 10],
            labels=["none", "low", "medium", "high"],
            names={"none": _AGE_NAMES["none"]},
        ),
        _tag(
            name="latest_event",
            kind="first_last",
            category="behaviour",
            name_zh="最近一次行为",
            name_en="Last event",
            description="The name of the customer's last event",
            description_zh="最近一次行为的名称",
            feature="last_event",
        ),
        _tag(
            name="social_role",
            category="social",
            name_zh="社交角色",
            name_en="Social role",
            description="influencer (3+ referrals), connector (5+ links), member (any link), "
            "else isolated",
            description_zh="意见领袖(推荐3人以上)、连接者(5个以上关系)、普通成员、独立个体",
            values=[
                {"value": "influencer", "when": "referrals_made >= 3"},
                {"value": "connector", "when": "degree >= 5"},
                {"value": "member", "when": "degree >= 1"},
            ],
            default="isolated",
            names={k: _AGE_NAMES[k] for k in ("influencer", "connector", "member", "isolated")},
        ),
    ]
    for dimension in dimensions:
        zh, en = DIMENSION_NAMES.get(dimension, (dimension, dimension.replace("_", " ")))
        tags.append(
            _tag(
                name=f"psy_{survey_column(dimension).removeprefix('survey_')}"[:63],
                kind="psychographic",
                category="psychographics",
                name_zh=f"{zh}(问卷)",
                name_en=f"{en.capitalize()} (survey)",
                description=f"Survey score of {en}: high (4+), medium, low (2 or less)",
                description_zh=f"问卷{zh}得分:高(≥4)、中、低(≤2)",
                dimension=dimension,
            )
        )
    return tags
