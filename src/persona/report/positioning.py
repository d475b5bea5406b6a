"""Suggested positioning: transparent rules from a segment's evidence to what to offer and say.

Each rule names a condition on the segment's facts (a metric against the average of all
segmented customers, a survey score against the average, a keyword many of them wrote) and a
suggestion in Chinese and English. The card lists every suggestion with the rule that fired and
the numbers that made it fire, so a reader can check and overrule it. `RULES` is the table;
docs/report.md prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from persona.report.labels import (
    METRICS,
    Lang,
    dimension_label,
    fmt,
    fmt_ratio,
    fmt_share,
    metric_label,
)

Aspect = Literal["value_proposition", "channel", "time", "tone", "product"]


@dataclass(frozen=True)
class Condition:
    """A test on one fact: `metric` vs the average (``ratio``) or a survey score (``survey``).

    Attributes:
        kind: ``ratio`` (segment mean / everyone's mean) or ``survey`` (score minus
            everyone's, on the 1-5 scale).
        name: The metric (``avg_order_value``) or survey dimension (``quality_orientation``).
        op: ``>=`` or ``<=``.
        threshold: The ratio or the difference.
    """

    kind: Literal["ratio", "survey"]
    name: str
    op: Literal[">=", "<="]
    threshold: float

    def describe(self, lang: Lang) -> str:
        """The condition in words: 客单价 ≥ 平均的1.3倍 / average order value ≥ 1.3x average."""
        sign = "≥" if self.op == ">=" else "≤"
        if self.kind == "ratio":
            label = metric_label(self.name, lang)
            if lang == "zh":
                return f"{label} {sign} 平均的{self.threshold:g}倍"
            return f"{label} {sign} {self.threshold:g}x the average"
        label = dimension_label(self.name, lang)
        diff = f"{self.threshold:+g}"
        return (
            f"问卷{label} {sign} 平均{diff}分"
            if lang == "zh"
            else (f"Survey {label} {sign} average {diff}")
        )


@dataclass(frozen=True)
class Rule:
    """One positioning rule: when any condition holds, suggest `zh` / `en`.

    Suggestions may name ``{category}`` (the segment's favourite category).
    """

    key: str
    aspect: Aspect
    when: tuple[Condition, ...]
    zh: str
    en: str


def _r(name: str, op: Literal[">=", "<="], threshold: float) -> Condition:
    return Condition("ratio", name, op, threshold)


def _s(name: str, threshold: float) -> Condition:
    return Condition("survey", name, ">=", threshold)


RULES: tuple[Rule, ...] = (
    Rule("premium", "value_proposition", (_r("avg_order_value", ">=", 1.3),
         _s("quality_orientation", 0.5)),
         "品质与专属：主推高端精选和会员专享服务", "Quality and exclusivity: premium ranges and "
         "member-only service"),
    Rule("value_for_money", "value_proposition", (_r("discount_share", ">=", 1.3),
         _s("price_consciousness", 0.5)),
         "实惠看得见：会员价、组合装和适时的优惠券", "Visible value: member prices, bundles and "
         "well-timed coupons"),
    Rule("win_back", "value_proposition", (_r("recency_days", ">=", 1.5),),
         "回来的理由：针对过去常买的{category}给出专属回归礼", "A reason to come back: a personal "
         "return offer on the {category} they used to buy"),
    Rule("smooth_start", "value_proposition", (_r("tenure_days", "<=", 0.6),),
         "轻松上手：首单指引和第二单激励", "An easy start: first-order guidance and a "
         "second-order incentive"),
    Rule("loyalty", "value_proposition", (_r("frequency", ">=", 1.5),),
         "忠诚有回报：等级权益、优先购和专属客服", "Loyalty pays: tier benefits, early access and "
         "a personal service line"),
    Rule("novelty", "value_proposition", (_s("innovation", 0.5),),
         "先人一步：新品首发和限量款", "Be first: launches and limited editions"),
    Rule("convenience", "value_proposition", (_s("convenience", 0.5),),
         "省时省心：极速配送和一键复购", "Save time: fast delivery and one-tap reorder"),
    Rule("tone_numbers", "tone", (_r("discount_share", ">=", 1.3), _s("price_consciousness", 0.5)),
         "直接、用数字说话：写明省多少钱、打几折", "Direct and numbers-first: say how much they "
         "save"),
    Rule("tone_refined", "tone", (_r("avg_order_value", ">=", 1.3), _s("quality_orientation", 0.5)),
         "精致、讲细节：材质、工艺和服务", "Refined and detailed: materials, craft and service"),
    Rule("tone_social", "tone", (_r("referrals_made", ">=", 1.5), _s("social_influence", 0.5)),
         "口碑与分享：真实评价、好友推荐、便于转发", "Social proof: real reviews, friends' picks, "
         "easy to share"),
    Rule("tone_warm", "tone", (_r("recency_days", ">=", 1.5),),
         "温暖、私人化：“好久不见”，提醒他们喜欢过什么", 'Warm and personal: "we miss you", '
         "remind them what they liked"),
    Rule("tone_welcome", "tone", (_r("tenure_days", "<=", 0.6),),
         "欢迎、手把手：简单说明怎么买、怎么省", "Welcoming and step-by-step: how to buy, how to "
         "save"),
    Rule("tone_fresh", "tone", (_s("innovation", 0.5),),
         "新鲜、有活力：先讲新品", "Fresh and lively: lead with what's new"),
    Rule("idea_premium_line", "product", (_r("avg_order_value", ">=", 1.3),),
         "{category}高端/限量系列", "A premium or limited {category} line"),
    Rule("idea_member_price", "product", (_r("discount_share", ">=", 1.3),),
         "{category}会员价与多件组合装", "Member prices and multi-packs in {category}"),
    Rule("idea_night_sale", "product", (_r("night_share", ">=", 1.5),),
         "22点后的深夜限时专场（{category}）", "Late-night flash sales after 22:00 ({category})"),
    Rule("idea_subscription", "product", (_r("frequency", ">=", 1.5),),
         "{category}订阅/定期自动补货", "Subscription or auto-replenishment of {category}"),
    Rule("idea_referral", "product", (_r("referrals_made", ">=", 1.5), _s("social_influence", 0.5)),
         "邀请有礼与拼团", "Referral rewards and group buying"),
    Rule("idea_starter", "product", (_r("tenure_days", "<=", 0.6),),
         "{category}新人礼包", "A {category} starter pack"),
    Rule("idea_win_back", "product", (_r("recency_days", ">=", 1.5),),
         "{category}回归专享价", "A return price on {category}"),
)  # fmt: skip
"""The positioning rules, strongest match first within an aspect."""

FALLBACK: dict[str, tuple[str, str]] = {
    "value_proposition": ("可靠的日常之选：把{category}做好、做稳定", "A dependable everyday "
                          "choice: get {category} right, every time"),
    "tone": ("友好、简洁", "Friendly and concise"),
}  # fmt: skip
"""What an aspect says when no rule fires (the card says so)."""


@dataclass
class Facts:
    """What the rules read about one segment.

    Attributes:
        metrics: Metric -> (segment mean, everyone's mean); shown metrics only.
        survey: Dimension -> (segment score, everyone's score), from enough respondents.
        category: The favourite category's display name (or a neutral word).
        channel: (display name, share) of the most common channel, if shown.
        time: (when, in words, and share) of the most common time of day, if shown.
        keywords: ``needs`` / ``pain_points`` -> (keyword, share, lift) of shown keywords.
    """

    metrics: dict[str, tuple[float, float]] = field(default_factory=dict)
    survey: dict[str, tuple[float, float]] = field(default_factory=dict)
    category: str = ""
    channel: tuple[str, float] | None = None
    time: tuple[str, float] | None = None
    keywords: dict[str, list[tuple[str, float, float]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    """One suggestion on a card: what, which rule, and why.

    Attributes:
        aspect: value_proposition, channel, time, tone or product.
        rule: The rule's key (``premium``), or ``fallback`` when none fired.
        text: The suggestion.
        condition: The rule's condition in words.
        because: The segment's numbers that met it.
    """

    aspect: str
    rule: str
    text: str
    condition: str
    because: str


def suggest(facts: Facts, lang: Lang, currency: str = "¥") -> list[Suggestion]:
    """Every suggestion for one segment, strongest first within an aspect.

    Up to two value propositions (a fallback when no rule fires), the best channel and time,
    one tone and up to three product ideas (the words they write first).
    """
    fired: dict[str, list[tuple[float, Suggestion]]] = {}
    for rule in RULES:
        best = _strongest(rule, facts)
        if best is None:
            continue
        strength, condition = best
        text = (rule.zh if lang == "zh" else rule.en).format(category=facts.category)
        because = _because(condition, facts, lang, currency)
        suggestion = Suggestion(rule.aspect, rule.key, text, condition.describe(lang), because)
        fired.setdefault(rule.aspect, []).append((strength, suggestion))
    out: list[Suggestion] = []
    for aspect, limit in (("value_proposition", 2), ("tone", 1)):
        ranked = sorted(fired.get(aspect, []), key=lambda p: -p[0])[:limit]
        if not ranked:
            zh, en = FALLBACK[aspect]
            text = (zh if lang == "zh" else en).format(category=facts.category)
            none = "没有规则触发" if lang == "zh" else "no rule fired"
            out.append(Suggestion(aspect, "fallback", text, none, none))
        out += [s for _, s in ranked]
    out += _reach(facts, lang)
    ideas = [s for _, s in sorted(fired.get("product", []), key=lambda p: -p[0])]
    out += (_keyword_ideas(facts, lang) + ideas)[:3]
    return out


def _strongest(rule: Rule, facts: Facts) -> tuple[float, Condition] | None:
    """The condition that holds by the widest margin (as a ratio to its threshold), if any."""
    best: tuple[float, Condition] | None = None
    for condition in rule.when:
        if condition.kind == "ratio":
            pair = facts.metrics.get(condition.name)
            if pair is None or not pair[1]:
                continue
            value = pair[0] / pair[1]
            margin = value / condition.threshold
            if condition.op == "<=":
                margin = condition.threshold / value if value > 0 else 10.0
        else:
            scores = facts.survey.get(condition.name)
            if scores is None:
                continue
            margin = (scores[0] - scores[1]) / condition.threshold
        if margin >= 1 and (best is None or margin > best[0]):
            best = (margin, condition)
    return best


def _because(condition: Condition, facts: Facts, lang: Lang, currency: str) -> str:
    if condition.kind == "ratio":
        value, population = facts.metrics[condition.name]
        unit = METRICS[condition.name][2]
        shown = fmt(value, unit, lang, currency)
        ratio = fmt_ratio(value / population, lang)
        sep = "，" if lang == "zh" else ", "
        return f"{metric_label(condition.name, lang)} {shown}{sep}{ratio}"
    score, population = facts.survey[condition.name]
    label = dimension_label(condition.name, lang)
    if lang == "zh":
        return f"问卷{label} {score:.1f} 分（平均 {population:.1f}）"
    return f"Survey {label} {score:.1f} (average {population:.1f})"


def _reach(facts: Facts, lang: Lang) -> list[Suggestion]:
    out = []
    if facts.channel is not None:
        name, share = facts.channel
        text = f"通过{name}触达" if lang == "zh" else f"Reach them in the {name.lower()}"
        rule = "最常用的渠道" if lang == "zh" else "Their most used channel"
        because = (
            f"{fmt_share(share)} 的人最常用{name}"
            if lang == "zh"
            else f"{fmt_share(share)} use the {name} most"
        )
        out.append(Suggestion("channel", "top_channel", text, rule, because))
    night = facts.metrics.get("night_share")
    if night is not None and night[1] and night[0] / night[1] >= 1.5:
        text = "晚上 22 点到凌晨 1 点" if lang == "zh" else "From 22:00 to 01:00"
        rule = Condition("ratio", "night_share", ">=", 1.5).describe(lang)
        because = _because(Condition("ratio", "night_share", ">=", 1.5), facts, lang, "")
        out.append(Suggestion("time", "night", text, rule, because))
    elif facts.time is not None:
        name, share = facts.time
        text = f"在{name}发送" if lang == "zh" else f"Send {name}"
        rule = "最活跃的时段" if lang == "zh" else "Their most active time of day"
        because = (
            f"{fmt_share(share)} 的人在{name}最活跃"
            if lang == "zh"
            else f"{fmt_share(share)} are most active {name}"
        )
        out.append(Suggestion("time", "top_time", text, rule, because))
    return out


def _keyword_ideas(facts: Facts, lang: Lang) -> list[Suggestion]:
    """An idea from the most over-represented need and pain point they wrote, if any."""
    out = []
    for kind, zh, en in (
        ("needs", "围绕「{w}」做产品", 'Build for "{w}"'),
        ("pain_points", "解决「{w}」这个痛点", 'Fix the pain of "{w}"'),
    ):
        candidates = [kw for kw in facts.keywords.get(kind, []) if kw[2] >= 1.2]
        if not candidates:
            continue
        word, share, lift = max(candidates, key=lambda kw: (kw[1] * kw[2], kw[0]))
        text = (zh if lang == "zh" else en).format(w=word)
        if lang == "zh":
            rule = "问卷中被明显更多提到的词（≥ 平均的1.2倍）"
            because = f"{fmt_share(share)} 的答卷提到，是平均的{lift:.1f}倍"
        else:
            rule = "A word they write notably more often (≥ 1.2x the average)"
            because = f"In {fmt_share(share)} of their answers, {lift:.1f}x the average"
        out.append(Suggestion("product", f"keyword_{kind}", text, rule, because))
    return out
