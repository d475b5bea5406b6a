"""The planted customer archetypes (after the seed article) and how each one behaves.

Every archetype differs in every data kind: who they are (age, gender, job), what they do in the
app (event volume, hours, channels), what they buy (frequency, value, coupons, categories), how
they answer the survey (psychographic dimension scores) and whom they know (referrals, friends,
households). The numbers are means; people vary around them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from persona.demo.vocab import CATEGORY_KEYS, OCCUPATIONS

EVENT_TYPES: tuple[str, ...] = (
    "view", "search", "add_to_cart", "favorite", "coupon_claim", "share", "login",
)  # fmt: skip
"""Browsing events drawn from an archetype's mix; `purchase` and `store_visit` come on top."""


def _hours(peaks: dict[int, float], base: float = 0.2) -> tuple[float, ...]:
    """Return a 24-hour activity profile: `base` everywhere plus the given peaks, summing to 1."""
    raw = np.full(24, base)
    for hour, weight in peaks.items():
        raw[hour] += weight
    raw[1:6] *= 0.15  # almost nobody is awake at 1-5 am, unless a peak says so
    for hour, weight in peaks.items():
        if 1 <= hour <= 5:
            raw[hour] = base + weight
    return tuple(float(x) for x in raw / raw.sum())


@dataclass(frozen=True)
class Archetype:
    """Behavioural parameters of one planted archetype.

    Attributes:
        key: English key, e.g. ``price_sensitive``.
        name_zh: Chinese name, e.g. 价格敏感.
        share: Share of all people.
        ages: Inclusive age range at the reference date.
        female_share: Share of women.
        occupations: Weights over occupation keys.
        educations: Weights over the education levels, lowest first.
        events: Mean browsing events over the person's active days in the 180-day window.
        event_mix: Weights over `EVENT_TYPES`.
        channels: Weights over app, web, miniprogram, store (per session).
        hours: 24-hour profile of when sessions and orders start.
        orders: Mean orders over the person's active days.
        order_channels: Weights over app, web, miniprogram, store.
        categories: Weights over category keys.
        price_factor: Multiplier on a category's median unit price.
        coupon_rate: Share of orders that use a coupon.
        discount: Range of the discount as a share of the gross order value.
        refund_rate: Share of orders refunded (cancelled is half of that).
        promo_exponent: How strongly activity follows promotion days (0: not at all).
        in_crm: Probability of having a CRM record.
        in_members: Probability that a CRM person also has an app membership.
        login_rate: Probability that a session is logged in.
        survey_rate: Probability of answering the survey.
        likert: Mean 1-5 score on each psychographic dimension (see `vocab.DIMENSIONS`).
        household: Weights over the survey's household answers (single ... older children).
        friends: Mean number of friend links started.
        referrals: Mean number of people referred.
        tiers: Weights over CRM tiers (basic, silver, gold, diamond).
        needs: Free-text needs (zh, en).
        pains: Free-text pain points (zh, en).
    """

    key: str
    name_zh: str
    share: float
    ages: tuple[int, int]
    female_share: float
    occupations: dict[str, float]
    educations: tuple[float, ...]
    events: float
    event_mix: tuple[float, ...]
    channels: tuple[float, ...]
    hours: tuple[float, ...]
    orders: float
    order_channels: tuple[float, ...]
    categories: dict[str, float]
    price_factor: float
    coupon_rate: float
    discount: tuple[float, float]
    refund_rate: float
    promo_exponent: float
    in_crm: float
    in_members: float
    login_rate: float
    survey_rate: float
    likert: tuple[float, ...]
    household: tuple[float, ...]
    friends: float
    referrals: float
    tiers: tuple[float, ...]
    needs: tuple[tuple[str, str], ...]
    pains: tuple[tuple[str, str], ...]


_DAY = _hours({8: 0.6, 12: 1.0, 13: 0.6, 19: 0.9, 20: 1.3, 21: 1.1})

# fmt: off
ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        key="high_value_active", name_zh="高价值活跃", share=0.12, ages=(30, 48), female_share=0.45,
        occupations={"manager": 0.35, "owner": 0.2, "engineer": 0.15, "doctor": 0.1, "sales": 0.1,
            "civil_servant": 0.1},
        educations=(0.02, 0.08, 0.45, 0.35, 0.1), events=44,
        event_mix=(0.45, 0.1, 0.15, 0.12, 0.03, 0.05, 0.1), channels=(0.55, 0.2, 0.15, 0.1),
        hours=_hours({8: 0.8, 12: 1.0, 19: 1.0, 20: 1.2}), orders=12,
        order_channels=(0.45, 0.15, 0.1, 0.3),
        categories={"electronics": 0.2, "luxury": 0.12, "beauty": 0.15, "apparel": 0.2,
            "sports": 0.15, "home": 0.1, "grocery": 0.08},
        price_factor=1.6, coupon_rate=0.1, discount=(0.03, 0.08), refund_rate=0.03,
        promo_exponent=0.3, in_crm=0.95, in_members=0.45, login_rate=0.85, survey_rate=0.25,
        likert=(2.0, 4.5, 3.8, 3.3, 3.8, 4.6), household=(0.15, 0.3, 0.2, 0.35), friends=2.0,
        referrals=1.5, tiers=(0.05, 0.2, 0.45, 0.3),
        needs=(
            ("更快的专属客服", "faster dedicated customer service"),
            ("会员专享新品", "members-only new arrivals"),
            ("高端品牌正品保障", "guaranteed genuine premium brands"),
            ("一对一购物顾问", "a personal shopping adviser"),
        ),
        pains=(
            ("客服响应慢", "customer service is slow"),
            ("高端商品经常缺货", "premium items are often out of stock"),
            ("包装不够精致", "packaging is not refined enough"),
            ("活动规则太复杂", "promotion rules are too complicated"),
        ),
    ),
    Archetype(
        key="price_sensitive", name_zh="价格敏感", share=0.24, ages=(18, 65), female_share=0.6,
        occupations={"student": 0.25, "retired": 0.15, "worker": 0.2, "office_worker": 0.2,
            "freelancer": 0.1, "homemaker": 0.1},
        educations=(0.35, 0.3, 0.3, 0.05, 0.0), events=18,
        event_mix=(0.35, 0.18, 0.1, 0.04, 0.2, 0.08, 0.05), channels=(0.3, 0.1, 0.6, 0.0),
        hours=_hours({10: 0.8, 12: 0.6, 20: 1.2, 0: 0.5}), orders=6,
        order_channels=(0.3, 0.1, 0.55, 0.05),
        categories={"grocery": 0.35, "home": 0.25, "apparel": 0.15, "beauty": 0.1, "books": 0.1,
            "baby": 0.05},
        price_factor=0.55, coupon_rate=0.8, discount=(0.15, 0.4), refund_rate=0.08,
        promo_exponent=1.6, in_crm=0.92, in_members=0.4, login_rate=0.7, survey_rate=0.15,
        likert=(4.7, 2.6, 2.5, 3.9, 3.0, 2.0), household=(0.35, 0.2, 0.15, 0.3), friends=3.0,
        referrals=0.2, tiers=(0.6, 0.3, 0.1, 0.0),
        needs=(
            ("更多优惠券", "more coupons"),
            ("拼团和满减活动", "group deals and bundles"),
            ("平价替代品推荐", "cheaper alternatives"),
            ("积分抵现", "points that count as cash"),
        ),
        pains=(
            ("价格变化太快", "prices change too often"),
            ("优惠券门槛太高", "coupon thresholds are too high"),
            ("运费太贵", "shipping is too expensive"),
            ("比价很麻烦", "comparing prices is tedious"),
        ),
    ),
    Archetype(
        key="churn_risk", name_zh="潜在流失", share=0.18, ages=(22, 60), female_share=0.5,
        occupations={"office_worker": 0.3, "teacher": 0.15, "sales": 0.15, "worker": 0.15,
            "civil_servant": 0.15, "freelancer": 0.1},
        educations=(0.2, 0.3, 0.4, 0.1, 0.0), events=12,
        event_mix=(0.55, 0.12, 0.06, 0.05, 0.05, 0.02, 0.15), channels=(0.35, 0.45, 0.2, 0.0),
        hours=_DAY, orders=3.5, order_channels=(0.35, 0.4, 0.15, 0.1),
        categories={"apparel": 0.3, "books": 0.2, "home": 0.2, "grocery": 0.2, "sports": 0.1},
        price_factor=0.9, coupon_rate=0.3, discount=(0.05, 0.2), refund_rate=0.1,
        promo_exponent=0.3, in_crm=0.95, in_members=0.25, login_rate=0.6, survey_rate=0.08,
        likert=(3.2, 3.0, 2.4, 2.2, 2.8, 1.7), household=(0.3, 0.25, 0.1, 0.35), friends=0.5,
        referrals=0.05, tiers=(0.5, 0.3, 0.15, 0.05),
        needs=(
            ("更有吸引力的商品", "more attractive products"),
            ("更简单的退换货", "easier returns"),
            ("更准的个性化推荐", "better personal recommendations"),
            ("老客回馈活动", "rewards for old customers"),
        ),
        pains=(
            ("商品同质化严重", "everything looks the same"),
            ("推荐的东西不感兴趣", "recommendations do not interest me"),
            ("退货流程繁琐", "returning goods is a hassle"),
            ("没有新鲜感", "nothing new any more"),
        ),
    ),
    Archetype(
        key="night_owl_high_wtp", name_zh="夜间活跃高支付意愿", share=0.1, ages=(20, 34),
        female_share=0.35,
        occupations={"engineer": 0.4, "designer": 0.25, "freelancer": 0.2, "sales": 0.15},
        educations=(0.05, 0.15, 0.55, 0.22, 0.03), events=30,
        event_mix=(0.5, 0.1, 0.14, 0.14, 0.02, 0.02, 0.08), channels=(0.85, 0.1, 0.05, 0.0),
        hours=_hours({22: 3.0, 23: 4.0, 0: 4.0, 1: 3.0, 21: 0.8}, base=0.05), orders=5,
        order_channels=(0.8, 0.15, 0.05, 0.0),
        categories={"electronics": 0.35, "luxury": 0.2, "beauty": 0.1, "books": 0.1,
            "apparel": 0.25},
        price_factor=2.0, coupon_rate=0.05, discount=(0.02, 0.06), refund_rate=0.03,
        promo_exponent=0.2, in_crm=0.9, in_members=0.5, login_rate=0.8, survey_rate=0.1,
        likert=(2.1, 4.0, 4.6, 2.7, 4.5, 3.1), household=(0.7, 0.2, 0.05, 0.05), friends=0.5,
        referrals=0.1, tiers=(0.2, 0.35, 0.35, 0.1),
        needs=(
            ("夜间客服在线", "customer service at night"),
            ("新品首发提醒", "alerts for new launches"),
            ("深夜闪购专场", "late-night flash sales"),
            ("次日达配送", "next-day delivery"),
        ),
        pains=(
            ("晚上找不到客服", "no one answers at night"),
            ("夜里下单发货慢", "night orders ship late"),
            ("新品经常抢不到", "new releases sell out"),
            ("页面加载慢", "pages load slowly"),
        ),
    ),
    Archetype(
        key="newcomer", name_zh="新客", share=0.14, ages=(18, 30), female_share=0.55,
        occupations={"student": 0.5, "office_worker": 0.3, "freelancer": 0.1, "designer": 0.1},
        educations=(0.25, 0.25, 0.45, 0.05, 0.0), events=7,
        event_mix=(0.45, 0.18, 0.08, 0.04, 0.08, 0.02, 0.15), channels=(0.4, 0.2, 0.4, 0.0),
        hours=_DAY, orders=1.2, order_channels=(0.45, 0.15, 0.4, 0.0),
        categories={"apparel": 0.3, "beauty": 0.3, "grocery": 0.2, "books": 0.2}, price_factor=0.8,
        coupon_rate=0.6, discount=(0.1, 0.3), refund_rate=0.05, promo_exponent=0.3, in_crm=0.75,
        in_members=0.5, login_rate=0.6, survey_rate=0.12, likert=(3.3, 3.2, 4.0, 4.2, 3.6, 2.5),
        household=(0.75, 0.15, 0.05, 0.05), friends=1.0, referrals=0.1, tiers=(1.0, 0.0, 0.0, 0.0),
        needs=(
            ("新人专享礼包", "a welcome gift for new users"),
            ("清晰的购物指南", "a clear shopping guide"),
            ("首单包邮", "free shipping first"),
            ("推荐适合我的商品", "products that suit me"),
        ),
        pains=(
            ("不知道该买什么", "I do not know what to buy"),
            ("注册流程繁琐", "sign-up is tedious"),
            ("担心商品质量", "I worry about quality"),
            ("支付步骤太多", "too many payment steps"),
        ),
    ),
    Archetype(
        key="young_parent", name_zh="年轻父母", share=0.22, ages=(25, 35), female_share=0.8,
        occupations={"office_worker": 0.35, "homemaker": 0.25, "teacher": 0.15, "engineer": 0.1,
            "civil_servant": 0.1, "doctor": 0.05},
        educations=(0.1, 0.25, 0.5, 0.13, 0.02), events=20,
        event_mix=(0.42, 0.15, 0.12, 0.08, 0.06, 0.12, 0.05), channels=(0.3, 0.05, 0.6, 0.05),
        hours=_hours({9: 0.8, 10: 0.8, 14: 0.9, 21: 1.4}), orders=6,
        order_channels=(0.3, 0.05, 0.55, 0.1),
        categories={"baby": 0.5, "kids": 0.25, "grocery": 0.1, "home": 0.1, "beauty": 0.05},
        price_factor=1.1, coupon_rate=0.4, discount=(0.05, 0.2), refund_rate=0.04,
        promo_exponent=0.6, in_crm=0.92, in_members=0.5, login_rate=0.75, survey_rate=0.18,
        likert=(3.3, 4.6, 2.8, 4.3, 4.1, 3.5), household=(0.0, 0.05, 0.9, 0.05), friends=2.5,
        referrals=0.2, tiers=(0.35, 0.4, 0.2, 0.05),
        needs=(
            ("母婴用品正品保障", "genuine baby products"),
            ("育儿知识内容", "parenting tips"),
            ("宝妈社群交流", "a parents' community"),
            ("婴儿用品定期配送", "scheduled delivery of baby supplies"),
        ),
        pains=(
            ("担心奶粉真假", "I worry about fake formula"),
            ("带娃没时间逛", "no time to shop with a baby"),
            ("童装尺码不准", "kids' sizes are inaccurate"),
            ("母婴用品价格高", "baby products are expensive"),
        ),
    ),
)
# fmt: on

ARCHETYPE_KEYS: tuple[str, ...] = tuple(a.key for a in ARCHETYPES)


def archetype_table(attribute: str) -> np.ndarray:
    """Stack one tuple-valued attribute of every archetype into a float matrix (archetype x k).

    Example:
        >>> archetype_table("channels").shape
        (6, 4)
    """
    return np.array([getattr(a, attribute) for a in ARCHETYPES], dtype=np.float64)


def weight_table(attribute: str) -> np.ndarray:
    """Turn a dict-valued attribute (occupations, categories) into an archetype x key matrix."""
    keys = {"occupations": [o[0] for o in OCCUPATIONS], "categories": list(CATEGORY_KEYS)}[
        attribute
    ]
    return np.array(
        [[getattr(a, attribute).get(k, 0.0) for k in keys] for a in ARCHETYPES], dtype=np.float64
    )
