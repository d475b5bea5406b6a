"""Segment names: a vocabulary (zh, en) of what distinguishes a group of customers.

A segment is described by its `SegmentProfile`: for every describing feature, how the segment's
mean compares with the population's (a `Stat` with the standardised difference ``z``), and for
every categorical feature, each value's share in the segment and in the population.

Each `SegmentName` of `NAMES` is earned by `Trait`s (a feature pattern, a direction, a threshold
on ``z`` and optional bounds on the segment's mean); `choose_names` gives every segment the
best-scoring name no other segment takes (an assignment over all segments), and a segment no
name fits gets a combination of its two strongest traits (``高消费·夜间活跃``). No two segments
ever share a name. Nothing here knows SQL or the store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["high", "low"]

Z_CAP = 3.0
"""A trait's standardised difference counts at most this much in a name's score."""


@dataclass(frozen=True)
class Stat:
    """How a segment compares with the population on one feature (or one group of values).

    Attributes:
        feature: The feature, or ``feature=value`` for the share of a categorical value.
        value: The segment's mean (a share for categorical values).
        population: The population's mean (or share).
        z: Standardised difference: (segment - population) / population standard deviation,
            on log1p values for skewed non-negative features.
    """

    feature: str
    value: float
    population: float
    z: float

    @property
    def direction(self) -> Direction:
        """``high`` when the segment is above the population, else ``low``."""
        return "high" if self.z >= 0 else "low"

    @property
    def ratio(self) -> float | None:
        """Segment / population, when the population's mean is positive."""
        return self.value / self.population if self.population > 0 else None


@dataclass(frozen=True)
class SegmentProfile:
    """Everything naming needs about one segment.

    Attributes:
        size: Customers in the segment.
        numbers: Feature -> its `Stat` (numeric features and derived indicators).
        categories: Categorical feature -> value -> (segment share, population share).
    """

    size: int
    numbers: dict[str, Stat]
    categories: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)

    def category_stat(self, feature: str, pattern: re.Pattern[str]) -> Stat | None:
        """The combined share of the values of `feature` that match `pattern`."""
        values = self.categories.get(feature)
        if not values:
            return None
        matched = [v for v in values if pattern.search(v.lower())]
        if not matched:
            return None
        share = sum(values[v][0] for v in matched)
        base = sum(values[v][1] for v in matched)
        return Stat(f"{feature}={'|'.join(sorted(matched))}", share, base, share_z(share, base))

    def strongest(self) -> list[Stat]:
        """Numeric stats and categorical value shares, largest |z| first."""
        stats = list(self.numbers.values())
        for feature, values in self.categories.items():
            for value, (share, base) in values.items():
                stats.append(Stat(f"{feature}={value}", share, base, share_z(share, base)))
        return sorted(stats, key=lambda s: (-abs(s.z), s.feature))


def share_z(share: float, base: float) -> float:
    """Standardised difference of a share from a population share (a 0/1 indicator's z)."""
    spread = math.sqrt(base * (1 - base))
    if spread == 0:
        return 0.0
    return (share - base) / spread


@dataclass(frozen=True)
class Trait:
    """One condition of a name.

    Attributes:
        features: Any of these features (the strongest present one counts).
        direction: ``high`` (above the population) or ``low``.
        z: The standardised difference needed in that direction; None: no need (only bounds).
        min_value: The segment's mean (or share) must be at least this.
        max_value: The segment's mean (or share) must be at most this.
        pattern: For a categorical feature: a regular expression over its values (lower-case);
            the matching values' combined share is what is compared.
    """

    features: tuple[str, ...]
    direction: Direction
    z: float | None = 0.5
    min_value: float | None = None
    max_value: float | None = None
    pattern: str | None = None

    def measure(self, profile: SegmentProfile) -> Stat | None:
        """The stat that satisfies this trait best, or None when it is not satisfied."""
        candidates: list[Stat] = []
        for feature in self.features:
            if self.pattern is not None:
                stat = profile.category_stat(feature, re.compile(self.pattern))
            else:
                stat = profile.numbers.get(feature)
            if stat is not None and self._holds(stat):
                candidates.append(stat)
        if not candidates:
            return None
        sign = 1 if self.direction == "high" else -1
        return max(candidates, key=lambda s: sign * s.z)

    def _holds(self, stat: Stat) -> bool:
        if not math.isfinite(stat.z):
            return False
        signed = stat.z if self.direction == "high" else -stat.z
        if self.z is not None and signed < self.z:
            return False
        if self.min_value is not None and stat.value < self.min_value:
            return False
        return self.max_value is None or stat.value <= self.max_value


@dataclass(frozen=True)
class SegmentName:
    """A name of the vocabulary and the traits that earn it.

    Attributes:
        key: English key, e.g. ``price_sensitive``.
        zh: Chinese name.
        en: English name.
        traits: Every one must hold.
    """

    key: str
    zh: str
    en: str
    traits: tuple[Trait, ...]

    def score(self, profile: SegmentProfile) -> tuple[float, list[Stat]] | None:
        """The summed capped |z| of the traits (those with a z threshold), and their stats.

        None when a trait does not hold. A name of more traits that hold is more specific, so
        it scores more.
        """
        stats: list[Stat] = []
        scored: list[float] = []
        for trait in self.traits:
            stat = trait.measure(profile)
            if stat is None:
                return None
            stats.append(stat)
            if trait.z is not None:
                scored.append(min(abs(stat.z), Z_CAP))
        return sum(scored), stats


FAMILY = (
    r"母婴|婴|孕|童|亲子|宝宝|奶粉|尿|玩具|早教|baby|babies|infant|toddler|\bkids?\b|child|"
    r"maternity|nursery|diaper|\btoys?\b"
)
"""Category values that tell of a family with small children."""

ACTIVITY = ("active_days_30d", "orders_90d", "events_30d", "active_30d")
SPEND = ("monetary", "spend_365d")
SILENCE = ("days_since_last_event", "recency_days")

# fmt: off
NAMES: tuple[SegmentName, ...] = (
    SegmentName("young_parents", "年轻父母", "Young parents", (
        Trait(("top_category",), "high", 1.0, min_value=0.3, pattern=FAMILY),
        Trait(("age",), "low", None, min_value=20, max_value=40),
    )),
    SegmentName("families", "家庭亲子", "Families", (
        Trait(("top_category",), "high", 1.0, min_value=0.3, pattern=FAMILY),
    )),
    SegmentName("night_owls", "夜间活跃", "Night owls", (
        Trait(("night_share",), "high", 1.0, min_value=0.3),
    )),
    SegmentName("newcomers", "新客", "Newcomers", (
        Trait(("tenure_days",), "low", 0.8, max_value=180),
    )),
    SegmentName("high_value_active", "高价值活跃", "High-value active", (
        Trait(SPEND, "high", 0.8), Trait(ACTIVITY, "high", 0.3),
    )),
    SegmentName("price_sensitive", "价格敏感", "Price-sensitive", (
        Trait(("discount_share", "avg_discount"), "high", 0.6),
    )),
    SegmentName("dormant", "沉睡客户", "Dormant", (
        Trait(SILENCE, "high", 1.0, min_value=365),
    )),
    SegmentName("at_risk", "潜在流失", "At risk", (
        Trait(SILENCE, "high", 0.6), Trait(ACTIVITY, "low", 0.3),
    )),
    SegmentName("loyal_regulars", "忠实常客", "Loyal regulars", (
        Trait(("frequency", "orders_365d"), "high", 0.8), Trait(("recency_days",), "low", 0.3),
    )),
    SegmentName("big_spenders", "高消费", "Big spenders", (Trait(SPEND, "high", 0.8),)),
    SegmentName("premium_buyers", "高客单", "Premium buyers", (
        Trait(("avg_order_value",), "high", 0.8),
    )),
    SegmentName("weekend_shoppers", "周末活跃", "Weekend shoppers", (
        Trait(("weekend_share",), "high", 1.0),
    )),
    SegmentName("social_influencers", "社交达人", "Social influencers", (
        Trait(("influence", "referrals_made", "degree"), "high", 1.0),
    )),
    SegmentName("frequent_returners", "高退货", "Frequent returners", (
        Trait(("refund_rate",), "high", 1.0),
    )),
    SegmentName("window_shoppers", "只逛不买", "Window shoppers", (
        Trait(("events_90d", "event_count", "views"), "high", 0.5),
        Trait(("frequency",), "low", 0.5),
    )),
    SegmentName("seniors", "银发客户", "Seniors", (Trait(("age",), "high", 0.8, min_value=55),)),
    SegmentName("young_adults", "年轻客群", "Young adults", (
        Trait(("age",), "low", 0.8, max_value=28),
    )),
    SegmentName("low_engagement", "低活跃", "Low engagement", (
        Trait(("events_90d", "active_days_90d", "orders_90d"), "low", 0.5),
    )),
)
"""The vocabulary, in order of preference when two names fit a segment equally well."""

TRAIT_WORDS: dict[tuple[str, Direction], tuple[str, str]] = {
    ("monetary", "high"): ("高消费", "high-spend"),
    ("monetary", "low"): ("低消费", "low-spend"),
    ("spend_365d", "high"): ("高消费", "high-spend"),
    ("avg_order_value", "high"): ("高客单", "premium"),
    ("avg_order_value", "low"): ("低客单", "budget"),
    ("frequency", "high"): ("高频", "frequent"),
    ("frequency", "low"): ("低频", "occasional"),
    ("orders_90d", "high"): ("近期多单", "recent-buying"),
    ("recency_days", "high"): ("久未购买", "lapsed"),
    ("recency_days", "low"): ("近期购买", "recent"),
    ("days_since_last_event", "high"): ("久未访问", "absent"),
    ("days_since_last_event", "low"): ("常访问", "engaged"),
    ("active_days_30d", "high"): ("活跃", "active"),
    ("active_days_30d", "low"): ("不活跃", "inactive"),
    ("active_30d", "high"): ("活跃", "active"),
    ("active_30d", "low"): ("不活跃", "inactive"),
    ("events_90d", "high"): ("高互动", "engaged"),
    ("events_90d", "low"): ("低互动", "quiet"),
    ("discount_share", "high"): ("爱用券", "deal-seeking"),
    ("discount_share", "low"): ("原价购买", "full-price"),
    ("avg_discount", "high"): ("重折扣", "discount-driven"),
    ("night_share", "high"): ("夜间活跃", "night-owl"),
    ("weekend_share", "high"): ("周末活跃", "weekend"),
    ("tenure_days", "low"): ("新", "new"),
    ("tenure_days", "high"): ("老客", "long-standing"),
    ("age", "low"): ("年轻", "young"),
    ("age", "high"): ("年长", "older"),
    ("household_size", "high"): ("多口之家", "household"),
    ("refund_rate", "high"): ("高退货", "returning-goods"),
    ("degree", "high"): ("社交广", "well-connected"),
    ("influence", "high"): ("有影响力", "influential"),
    ("referrals_made", "high"): ("爱推荐", "referring"),
    ("category_count", "high"): ("多品类", "broad-basket"),
}
"""Short words for one trait, combined into a name when no name of the vocabulary fits."""
# fmt: on

_WORDED = frozenset(feature for feature, _ in TRAIT_WORDS)
MAINSTREAM = ("大众客户", "Mainstream")
WORD_Z = 0.5
"""A trait needs at least this |z| to lend its word to a combined name."""
CATEGORY_WORD = (0.5, 1.5)
"""A categorical value lends a word (偏好X / X lovers) from this share and this z."""


@dataclass(frozen=True)
class Naming:
    """The name given to one segment.

    Attributes:
        key: The vocabulary key, ``combined`` or ``mainstream``.
        zh: Chinese name.
        en: English name.
        stats: The stats that earned the name (most telling first).
    """

    key: str
    zh: str
    en: str
    stats: tuple[Stat, ...]


def choose_names(
    profiles: Sequence[SegmentProfile],
    names: Sequence[SegmentName] = NAMES,
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> list[Naming]:
    """Name every segment: the best assignment of vocabulary names, then combined words.

    Each name goes to at most one segment; the assignment maximises the total score (a name's
    score on a segment is the summed capped |z| of its traits; earlier names win ties). A segment
    without a fitting name gets its two strongest trait words joined by ``·``, or a third when
    that is taken; a segment that differs from the population in nothing is ``大众客户``. Two
    segments never share a name. A feature without a word of `TRAIT_WORDS` lends
    ``<label>高`` / ``high <label>`` when `labels` (feature -> (zh, en) label) names it.

    Example:
        >>> night = SegmentProfile(100, {"night_share": Stat("night_share", 0.9, 0.2, 2.5)})
        >>> [n.en for n in choose_names([night])]
        ['Night owls']
    """
    from scipy.optimize import linear_sum_assignment

    results: list[Naming | None] = [None] * len(profiles)
    scores = [[name.score(profile) for name in names] for profile in profiles]
    if profiles and names:
        # Ineligible pairs cost more than any eligible one, so they are chosen only when forced.
        cost = [
            [1e6 if s is None else -(s[0] - 1e-3 * j) for j, s in enumerate(row)] for row in scores
        ]
        rows, cols = linear_sum_assignment(cost)
        for i, j in zip(rows, cols, strict=True):
            earned = scores[i][j]
            if earned is not None:
                results[i] = Naming(names[j].key, names[j].zh, names[j].en, tuple(earned[1]))
    used = {n.zh for n in results if n} | {n.en for n in results if n}
    named: list[Naming] = []
    for i, profile in enumerate(profiles):
        naming = results[i] or _combined(profile, used, i + 1, labels or {})
        used |= {naming.zh, naming.en}
        named.append(naming)
    return named


def _combined(
    profile: SegmentProfile, used: set[str], number: int, labels: Mapping[str, tuple[str, str]]
) -> Naming:
    """Two (or three) trait words joined by ·; mainstream; else a numbered name."""
    words: list[tuple[str, str, Stat]] = []
    for stat in profile.strongest():
        word = _word(stat, labels)
        if word is not None and word[0] not in {w[0] for w in words}:
            words.append((*word, stat))
    for count in (2, 3, 1):
        if len(words) >= count:
            chosen = words[:count]
            zh = "·".join(w[0] for w in chosen)
            en = " · ".join(w[1] for w in chosen)
            en = en[:1].upper() + en[1:]
            if zh not in used and en not in used:
                return Naming("combined", zh, en, tuple(w[2] for w in chosen))
    if not words and MAINSTREAM[0] not in used:
        return Naming("mainstream", *MAINSTREAM, ())
    return Naming("numbered", f"客群{number}", f"Segment {number}", ())


def _word(stat: Stat, labels: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    if "=" in stat.feature:
        share, z = CATEGORY_WORD
        if stat.value >= share and stat.z >= z:
            value = stat.feature.split("=", 1)[1]
            return f"偏好{value}", f"{value} lovers"
        return None
    if abs(stat.z) < WORD_Z:
        return None
    word = TRAIT_WORDS.get((stat.feature, stat.direction))
    if word is None and stat.feature in labels and stat.feature not in _WORDED:
        zh, en = labels[stat.feature]
        high = stat.direction == "high"
        return f"{zh}{'高' if high else '低'}", f"{'high' if high else 'low'} {en}"
    return word
