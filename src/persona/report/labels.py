"""Words and number formats of the persona cards and the report, in Chinese and English.

`t(key, lang)` gives a report string, `value_label(dimension, value, lang)` the display name
of a category value (a channel, a city tier, an age band ...), `metric_label` and `fmt` the
name and the formatted value of a per-customer metric with its unit.
"""

from __future__ import annotations

from typing import Literal

from persona.model.tags import VALUE_NAMES
from persona.pipeline.tags.builtin import DIMENSION_NAMES

Lang = Literal["zh", "en"]
Unit = Literal["money", "count", "orders", "share", "days", "score", "ratio", "plain"]

TEXT: dict[str, tuple[str, str]] = {
    "report.title": ("客户画像报告", "Customer persona report"),
    "report.subtitle": ("{project} · 数据截至 {as_of}", "{project} · data as of {as_of}"),
    "report.generated": ("生成于 {time} · Persona 客户画像引擎", "Generated {time} · Persona"),
    "report.privacy": (
        "个人信息已脱敏；任何少于 {k} 位客户的统计均不显示（显示为 <{k}）。",
        "Personal data are masked; no figure describes fewer than {k} customers (shown as <{k}).",
    ),
    "toc": ("目录", "Contents"),
    "summary": ("要点", "Key points"),
    "summary.segments": (
        "{segmented} 位客户分为 {n} 个客群；优先级最高的是「{top}」。",
        '{segmented} customers fall into {n} segments; the top priority is "{top}".',
    ),
    "summary.revenue": (
        "「{name}」以 {share} 的客户贡献了 {revenue} 的消费额。",
        '"{name}" brings {revenue} of the spend with {share} of the customers.',
    ),
    "summary.growth": (
        "增长最快的是「{name}」（较上一快照 {growth}）。",
        'Fastest growing: "{name}" ({growth} since the previous snapshot).',
    ),
    "summary.excluded": (
        "{excluded} 位客户未同意画像分析，不在任何客群中。",
        "{excluded} customers did not consent to profiling and are in no segment.",
    ),
    "section.overview": ("数据概览与质量", "Data overview and quality"),
    "section.map": ("客群地图", "Segment map"),
    "section.comparison": ("客群对比", "Segment comparison"),
    "section.cards": ("客户画像卡", "Persona cards"),
    "section.migration": ("客群迁移", "Migration between segments"),
    "section.priorities": ("优先级排序", "Priorities"),
    "section.methodology": ("方法说明", "Methodology"),
    "overview.sources": ("数据源", "Sources"),
    "overview.records": ("已加载记录", "Records loaded"),
    "overview.customers": ("客户", "Customers"),
    "overview.segmented": ("参与分群", "Segmented"),
    "overview.quality": ("数据质量得分", "Data-quality score"),
    "overview.coverage": ("五类数据覆盖率", "Coverage of the five data kinds"),
    "overview.coverage_note": (
        "有资料的 {customers} 位客户中，拥有该类数据的比例。",
        "Share of the {customers} customers with a profile who have data of each kind.",
    ),
    "overview.quarantined": ("隔离", "Quarantined"),
    "overview.source_score": ("得分", "Score"),
    "overview.newest": ("最新数据", "Newest record"),
    "map.note": (
        "每个点代表一组相似客户（主成分分析把分群特征投影到二维；颜色为该组中最多的客群；"
        "少于 {k} 人的格子不显示）。圆圈标出客群中心。",
        "Each square is a group of similar customers (principal components project the "
        "segmentation features onto two axes; colour: the group's most common segment; cells of "
        "fewer than {k} are hidden). Circles mark the segment centres.",
    ),
    "map.axis": ("主成分 {n}（解释 {share} 的差异）", "Component {n} ({share} of the variance)"),
    "comparison.note": (
        "各客群的规模、消费与活跃度。箭头表示与全体平均相比明显偏高（↑，至少1.25倍）或偏低（↓，"
        "至多0.8倍）；绿色是好消息，红色是坏消息。",
        "Size, spend and activity of each segment. Arrows mark values well above (↑, at least "
        "1.25x) or below (↓, at most 0.8x) the average of all customers; green is good news, red "
        "bad.",
    ),
    "comparison.chart": ("客户占比与消费额占比", "Share of customers and of spend"),
    "col.segment": ("客群", "Segment"),
    "col.size": ("人数", "Customers"),
    "col.share": ("占比", "Share"),
    "col.revenue_share": ("消费额占比", "Share of spend"),
    "col.growth": ("增长", "Growth"),
    "col.score": ("优先级得分", "Priority score"),
    "col.rank": ("排名", "Rank"),
    "col.average": ("全体平均", "All customers"),
    "col.from": ("原客群 \\ 现客群", "From \\ to"),
    "col.condition": ("条件（任一满足）", "Condition (any)"),
    "col.suggestion": ("建议", "Suggestion"),
    "share_of_customers": ("客户占比", "share of customers"),
    "share_of_revenue": ("消费额占比", "share of spend"),
    "card.growth": ("较上一快照 {growth}", "{growth} since the previous snapshot"),
    "card.new": ("本次新出现", "new in this snapshot"),
    "card.why": ("为什么叫这个名字", "Why this name"),
    "card.who": ("他们是谁", "Who they are"),
    "card.behaviour": ("行为", "Behaviour"),
    "card.transactions": ("交易", "Transactions"),
    "card.psychographics": ("心理与需求", "Attitudes and needs"),
    "card.social": ("社交角色", "Social role"),
    "card.representative": ("代表性客户", "A representative customer"),
    "card.representative_note": (
        "最接近客群中心的真实客户（已脱敏）",
        "The real customer nearest the segment's centre (masked)",
    ),
    "card.positioning": ("建议定位", "Suggested positioning"),
    "card.rule": ("规则", "Rule"),
    "card.because": ("依据", "because"),
    "card.suppressed": (
        "该客群少于 {k} 人，为保护隐私不展示画像细节。",
        "This segment has fewer than {k} customers; its details are not shown, for privacy.",
    ),
    "card.respondents": ("{n} 位填写了问卷", "{n} answered the survey"),
    "card.no_survey": ("问卷回答不足 {k} 人，不展示。", "Fewer than {k} answered the survey."),
    "card.keywords": ("他们说：{title}", "In their words: {title}"),
    "card.no_keywords": ("（没有 {k} 人以上共同提到的词）", "(no word mentioned by {k} or more)"),
    "card.mentioned": ("{share} 提到", "{share} mention it"),
    "card.priority": ("优先级第 {rank} 位 · 得分 {score}", "Priority #{rank} · score {score}"),
    "card.versus": ("平均 {value}", "avg {value}"),
    "card.hidden_medoid": (
        "该客群人数不足，不展示个人。",
        "Too few customers to show an individual.",
    ),
    "chart.age_band": ("年龄段", "Age"),
    "chart.gender": ("性别", "Gender"),
    "chart.city_tier": ("城市等级", "City tier"),
    "chart.channel": ("常用渠道", "Main channel"),
    "chart.time_of_day": ("活跃时段", "Time of day"),
    "chart.category": ("偏好品类", "Favourite category"),
    "chart.psychographics": ("问卷维度得分（1-5）", "Survey scores (1-5)"),
    "other": ("其他", "Other"),
    "positioning.value_proposition": ("价值主张", "Value proposition"),
    "positioning.channel": ("最佳渠道", "Best channel"),
    "positioning.time": ("最佳时间", "Best time"),
    "positioning.tone": ("内容调性", "Content tone"),
    "positioning.product": ("产品创意", "Product ideas"),
    "positioning.category": ("〔偏好品类〕", "[favourite category]"),
    "migration.note": (
        "快照 #{old} 到 #{new}：每行是客户原来所在的客群，每列是现在的客群。"
        "少于 {k} 人的格子显示为 <{k}。",
        "Snapshot #{old} to #{new}: rows are where customers were, columns where they are now. "
        "Cells of fewer than {k} show <{k}.",
    ),
    "migration.none": (
        "只有一个带客群的快照；再次构建后这里会显示客户在客群之间的流动。",
        "Only one snapshot has segments so far; after the next build this shows who moved "
        "between segments.",
    ),
    "migration.stayed": ("留在原客群：{share}", "Stayed in their segment: {share}"),
    "migration.joined": ("新进入", "Joined"),
    "migration.drift": ("各客群的变化", "How each segment drifted"),
    "migration.sizes": ("人数（前 → 后）", "Customers (then → now)"),
    "migration.centre": ("中心变化最大的特征", "Largest centre changes"),
    "migration.left": ("已离开", "Left"),
    "priorities.note": (
        "得分 = 各因素（相对于最高客群归一化到 0-1）的加权平均 × 100。权重：{weights}。",
        "Score = weighted mean of the factors (each scaled 0-1 against the best segment) x 100. "
        "Weights: {weights}.",
    ),
    "priorities.no_growth": (
        "没有上一快照，增长因素暂不计入。",
        "No previous snapshot: growth is left out for now.",
    ),
    "factor.size": ("规模", "size"),
    "factor.value": ("人均消费", "spend per customer"),
    "factor.growth": ("增长", "growth"),
    "factor.activity": ("近30天活跃", "active in 30 days"),
    "method.features": ("分群特征", "Segmentation features"),
    "method.transforms": ("特征变换", "Transforms"),
    "method.algorithm": ("算法", "Method"),
    "method.k": ("客群数 k", "Number of segments k"),
    "method.curve": ("不同 k 的轮廓系数", "Silhouette by k"),
    "method.stability": (
        "稳定性（自助法调整兰德指数均值）",
        "Stability (bootstrap adjusted Rand index)",
    ),
    "method.sample": ("拟合样本", "Fitted on a sample of"),
    "method.fitted_at": ("拟合时间", "Fitted at"),
    "method.naming": ("命名规则", "Naming"),
    "method.naming_text": (
        "每个客群按与全体差异最大的特征（标准化差异）从中英文命名词表中取名，名称互不重复；"
        "卡片上的“为什么叫这个名字”列出依据。",
        "Each segment is named from the features that set it apart most (standardised "
        "difference from everyone), using a vocabulary in Chinese and English; no two segments "
        'share a name. "Why this name" on each card lists the evidence.',
    ),
    "method.positioning_text": (
        "建议定位由透明规则从证据推出：每条建议都注明触发的规则和依据的数字。",
        "Suggested positioning comes from transparent rules over the evidence: each suggestion "
        "names the rule that fired and the numbers behind it.",
    ),
    "method.privacy": ("隐私", "Privacy"),
    "method.privacy_text": (
        "姓名、电话、邮箱、证件号、地址均已脱敏；年龄以年龄段显示。任何统计（人数、占比、交叉表格子、"
        "关键词）少于 k = {k} 位客户时不显示；未同意画像分析的 {excluded} 位客户不参与分群。",
        "Names, phones, e-mails, ID numbers and addresses are masked; ages show as bands. Any "
        "figure (count, share, cell, keyword) of fewer than k = {k} customers is hidden; the "
        "{excluded} customers who did not consent to profiling are in no segment.",
    ),
    "method.scale": ("缩放", "scaling"),
    "method.none": ("无", "none"),
    "cli.report.written": ("已写出报告：{path}", "Wrote the report: {path}"),
}

VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "gender": {"female": ("女", "Female"), "male": ("男", "Male"), "other": ("其他", "Other")},
    "city_tier": {
        "1": ("一线", "Tier 1"),
        "2": ("新一线", "New tier 1"),
        "3": ("二线", "Tier 2"),
        "4": ("三线", "Tier 3"),
        "5": ("四线", "Tier 4"),
        "6": ("五线", "Tier 5"),
    },
    "channel": {
        "app": ("App", "App"),
        "web": ("网站", "Web"),
        "miniprogram": ("小程序", "Mini program"),
        "store": ("门店", "Store"),
        "wechat": ("微信", "WeChat"),
    },
    "age_band": {
        "under_18": ("18岁以下", "Under 18"),
        "18_24": ("18-24岁", "18-24"),
        "25_34": ("25-34岁", "25-34"),
        "35_44": ("35-44岁", "35-44"),
        "45_54": ("45-54岁", "45-54"),
        "55_64": ("55-64岁", "55-64"),
        "65_plus": ("65岁+", "65+"),
    },
    "social_role": {
        "influencer": ("意见领袖", "Influencer"),
        "connector": ("连接者", "Connector"),
        "member": ("普通成员", "Member"),
        "isolated": ("独立个体", "On their own"),
    },
    "time_of_day": {
        "morning": ("上午", "Morning"),
        "afternoon": ("下午", "Afternoon"),
        "evening": ("晚间", "Evening"),
        "night": ("深夜", "Night"),
    },
    "question": {
        "needs": ("最想要的", "what they want most"),
        "pain_points": ("最头疼的", "what bothers them most"),
    },
}
VALUES["order_channel"] = VALUES["channel"]

METRICS: dict[str, tuple[str, str, Unit]] = {
    "monetary": ("人均消费", "Spend per customer", "money"),
    "frequency": ("人均订单", "Orders per customer", "orders"),
    "avg_order_value": ("客单价", "Average order value", "money"),
    "recency_days": ("距上次购买", "Days since the last order", "days"),
    "discount_share": ("使用优惠的订单", "Orders with a discount", "share"),
    "refund_rate": ("退款率", "Refund rate", "share"),
    "event_count": ("人均行为次数", "Events per customer", "count"),
    "active_days_30d": ("近30天活跃天数", "Active days in 30", "days"),
    "night_share": ("深夜行为占比", "Events at night", "share"),
    "weekend_share": ("周末行为占比", "Events at weekends", "share"),
    "tenure_days": ("客户时长", "Days as a customer", "days"),
    "age": ("平均年龄", "Average age", "plain"),
    "degree": ("人均社交关系", "Relations per customer", "plain"),
    "referrals_made": ("人均推荐", "Referrals per customer", "plain"),
    "influence": ("影响力指数", "Influence index", "ratio"),
    "active_30d": ("近30天活跃", "Active in the last 30 days", "share"),
}
"""Metric -> (zh label, en label, unit)."""


def t(key: str, lang: Lang, **values: object) -> str:
    """A report string in `lang`, formatted with `values`."""
    zh, en = TEXT[key]
    return (zh if lang == "zh" else en).format(**values)


def value_label(dimension: str, value: object, lang: Lang) -> str:
    """The display name of a category value (the value itself when it has none)."""
    if value is None:
        return t("other", lang)
    text = str(value)
    names = VALUES.get(dimension, {}).get(text) or VALUE_NAMES.get(text)
    return names[0 if lang == "zh" else 1] if names else text


def dimension_label(dimension: str, lang: Lang) -> str:
    """The display name of a survey dimension (``price_consciousness`` -> 价格敏感度)."""
    zh, en = DIMENSION_NAMES.get(dimension, (dimension, dimension.replace("_", " ")))
    return zh if lang == "zh" else en


def time_phrase(value: object, lang: Lang) -> str:
    """When, in a sentence: 晚间 / in the evening, 深夜 / at night."""
    label = value_label("time_of_day", value, lang)
    if lang == "zh":
        return label
    return "at night" if value == "night" else f"in the {label.lower()}"


ORDER: dict[str, tuple[str, ...]] = {
    "age_band": tuple(VALUES["age_band"]),
    "city_tier": tuple(VALUES["city_tier"]),
    "time_of_day": tuple(VALUES["time_of_day"]),
}
"""Distributions shown in their natural order (the others: most customers first)."""


def metric_label(key: str, lang: Lang) -> str:
    """The display name of a metric."""
    zh, en, _ = METRICS[key]
    return zh if lang == "zh" else en


def fmt(value: float | None, unit: Unit, lang: Lang, currency: str = "¥") -> str:
    """A number with its unit: ¥1,234, 3.2 单 / 3.2 orders, 45%, 12 天 / 12 days."""
    if value is None:
        return "–"
    if unit == "money":
        return f"{currency}{value:,.0f}"
    if unit == "share":
        return fmt_share(value)
    if unit == "orders":
        return f"{value:,.1f} 单" if lang == "zh" else f"{value:,.1f} orders"
    if unit == "days":
        return f"{value:,.0f} 天" if lang == "zh" else f"{value:,.0f} days"
    if unit == "count":
        return f"{value:,.0f} 次" if lang == "zh" else f"{value:,.0f}"
    if unit == "ratio":
        return f"{value:.2f}"
    if unit == "score":
        return f"{value:.1f}"
    return f"{value:,.1f}"


def fmt_share(value: float | None) -> str:
    """A share as a percentage: 0.4567 -> 45.7%, small ones with one decimal."""
    if value is None:
        return "–"
    return f"{value:.0%}" if abs(value) >= 0.1 else f"{value:.1%}"


def fmt_count(value: int | None, k: int) -> str:
    """A count with thousands separators, or <k when it was suppressed."""
    return f"<{k}" if value is None else f"{value:,}"


def fmt_change(value: float | None) -> str:
    """A relative change: +12%, -3.4%."""
    if value is None:
        return "–"
    if round(value, 3) == 0:
        return "0%"
    return f"{value:+.0%}" if abs(value) >= 0.1 else f"{value:+.1%}"


def fmt_times(ratio: float) -> str:
    """A ratio to the average: 1.6, 0.35 (two decimals below 0.1, so it is never 0.0)."""
    return f"{ratio:.1f}" if ratio >= 0.095 else f"{ratio:.2f}"


def fmt_ratio(ratio: float, lang: Lang) -> str:
    """How a value compares with the average: 1.6x / 是平均的1.6倍."""
    times = fmt_times(ratio)
    return f"是平均的{times}倍" if lang == "zh" else f"{times}x the average"
