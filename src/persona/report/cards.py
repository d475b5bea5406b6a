"""Persona cards: one per segment, plain data from the store, with small groups suppressed.

A card says who the segment's customers are (age, gender, city tiers), what they do (channels,
time of day, categories, frequency), what they buy (order value, discounts), what they think
and need (survey scores, the words they write), their social role, a representative customer
(the member nearest the centre, masked), how the segment grew since the previous snapshot, and
suggested positioning (`persona.report.positioning`). Every count or share that describes
fewer than `privacy.k` customers is left out or shown as ``<k`` (`persona.privacy.kanon`).

Example:
    >>> from persona import Project
    >>> with Project.open("shop") as project:            # doctest: +SKIP
    ...     personas = project.personas("en")
    ...     personas.frame()
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from persona.config import ProjectConfig
from persona.engine.base import Engine
from persona.privacy.kanon import protect_distribution, shown
from persona.privacy.masking import mask_value
from persona.report import aggregates
from persona.report.aggregates import Counts, Segment
from persona.report.labels import (
    METRICS,
    ORDER,
    Lang,
    dimension_label,
    fmt,
    fmt_ratio,
    metric_label,
    t,
    time_phrase,
    value_label,
)
from persona.report.persona import (
    Growth,
    Keyword,
    Metric,
    PersonaCard,
    Personas,
    Question,
    Representative,
    Score,
    Share,
)
from persona.report.positioning import Facts, suggest
from persona.report.priority import rank

SECTIONS: dict[str, tuple[str, ...]] = {
    "who": ("age", "tenure_days"),
    "behaviour": ("event_count", "active_days_30d", "active_30d", "night_share", "weekend_share"),
    "transactions": (
        "monetary", "frequency", "avg_order_value", "recency_days", "discount_share",
        "refund_rate",
    ),
    "social": ("degree", "referrals_made", "influence"),
}  # fmt: skip
"""The metrics of each card section (those the features have)."""
DISTRIBUTIONS = (
    "age_band", "gender", "city_tier", "channel", "time_of_day", "category", "order_channel",
    "lifecycle", "social_role",
)  # fmt: skip
"""The distributions of a card (those the features and tags have)."""
DERIVED = {"active_30d": "coalesce(active_days_30d, 0) > 0 or coalesce(orders_30d, 0) > 0"}
"""Shares computed for the cards: active (an event or an order) in the last 30 days."""
SURVEY_PREFIX = "survey_"
GOOD_WHEN_HIGH = frozenset(
    ("monetary", "frequency", "avg_order_value", "event_count", "active_days_30d", "active_30d",
     "degree", "referrals_made", "influence")
)  # fmt: skip
GOOD_WHEN_LOW = frozenset(("recency_days", "refund_rate"))
"""Metrics whose direction is good or bad news; the others (age, night share ...) are neutral."""


def build_personas(engine: Engine, config: ProjectConfig, lang: Lang) -> Personas:
    """Make every segment's persona card from the store.

    Raises:
        ProjectError: before the segments stage has run.
    """
    k = config.privacy.k
    currency = config.personas.currency
    segments = aggregates.load_segments(engine)
    types = aggregates.column_types(engine)
    numeric = [c for c, kind in types.items() if kind in ("number", "bool")]
    means = aggregates.means(engine, numeric, DERIVED)
    dists = aggregates.distributions(engine, aggregates.distribution_sql(set(types)))
    words = aggregates.survey_keywords(engine)
    medoids = aggregates.medoids(engine, segments, {c for c in numeric if types[c] == "number"})
    previous, sizes = previous_sizes(engine)
    everyone = means[None]
    segmented = int(everyone["customers"] or 0)
    cards = []
    for segment in segments:
        own = means.get(segment.id, {"customers": 0.0})
        card = _card(segment, own, everyone, dists, words, k, lang, currency)
        if not card.suppressed:
            card.representative = _representative(engine, medoids.get(segment.id), lang, currency)
        if previous is not None:
            before = sizes.get(segment.id)
            change = (segment.size - before) / before if before else None
            visible = card.size is not None and shown(before, k) is not None
            card.growth = Growth(
                previous, shown(before, k), change if visible else None, not before
            )
        cards.append(card)
    weights = config.personas.priority_weights.model_dump()
    rank(cards, weights, growth_known=previous is not None)
    cards.sort(key=lambda c: (c.priority.rank if c.priority else 10**9, c.id))  # ranked first
    population = {
        section: [m for m in (_metric(key, everyone, everyone, k, lang, currency) for key in keys)
                  if m is not None]
        for section, keys in SECTIONS.items()
    }  # fmt: skip
    return Personas(
        lang=lang,
        k=k,
        currency=currency,
        segmented=segmented,
        excluded=excluded_count(engine),
        cards=cards,
        population=population,
        population_distributions={
            name: _shares(name, counts.get(None, []), k, lang) for name, counts in dists.items()
        },
        weights=weights,
        previous_snapshot=previous,
        made_at=datetime.now().astimezone(),
        surveys=bool(words["questions"])
        or any(c.startswith(f"mean:{SURVEY_PREFIX}") for c in everyone),
    )


def previous_sizes(engine: Engine) -> tuple[int | None, dict[int, int]]:
    """The snapshot before the newest one with segments, and its segment sizes by id."""
    if not engine.table_exists("snapshots"):
        return None, {}
    ids = [int(r[0]) for r in engine.fetch_all("select snapshot_id from snapshots order by 1 desc")]
    with_segments = [i for i in ids if engine.table_exists(f"snapshot_{i}_segments")]
    if len(with_segments) < 2:
        return None, {}
    previous = with_segments[1]
    rows = engine.fetch_all(f"select segment_id, size from snapshot_{previous}_segments")
    return previous, {int(r[0]): int(r[1]) for r in rows}


def excluded_count(engine: Engine) -> int:
    """Customers left out of the segments for lack of profiling consent (last fit)."""
    if not engine.table_exists("segment_runs"):
        return 0
    row = engine.fetch_all("select excluded from segment_runs order by run_id desc limit 1")
    return int(row[0][0] or 0) if row else 0


def _card(
    segment: Segment,
    own: dict[str, float | None],
    everyone: dict[str, float | None],
    dists: dict[str, Counts],
    words: dict[str, Any],
    k: int,
    lang: Lang,
    currency: str,
) -> PersonaCard:
    size = shown(segment.size, k)
    revenue, total = own.get("revenue"), everyone.get("revenue")
    card = PersonaCard(
        id=segment.id,
        name=segment.name(lang),
        name_zh=segment.name_zh,
        name_en=segment.name_en,
        method=segment.method,
        size=size,
        share=segment.share if size else None,
        suppressed=size is None,
        revenue_share=revenue / total if size and revenue is not None and total else None,
        headline="",
        evidence=[
            str(e.get(f"text_{lang}", "")) for e in segment.evidence if e.get(f"text_{lang}")
        ],
    )
    if card.suppressed:
        return card
    for section, keys in SECTIONS.items():
        found = (_metric(key, own, everyone, k, lang, currency) for key in keys)
        card.metrics[section] = [m for m in found if m is not None]
    for name in DISTRIBUTIONS:
        if len(dists.get(name, {}).get(None, [])) > 1:  # one value for everyone says nothing
            card.distributions[name] = _shares(name, dists[name].get(segment.id, []), k, lang)
    _psychographics(card, segment.id, own, everyone, words, k, lang)
    card.positioning = suggest(_facts(card, lang), lang, currency)
    card.headline = _headline(card, lang)
    return card


def _shares(name: str, counts: list[tuple[object, int]], k: int, lang: Lang) -> list[Share]:
    """A distribution as shown: values of k or more customers, the rest pooled (last)."""
    cells = protect_distribution(counts, k, 4 if name in ("category", "age_band") else None)
    order = ORDER.get(name)
    if order:
        rank = {value: i for i, value in enumerate(order)}
        cells.sort(key=lambda c: rank.get(str(c.value), len(order)) if c.value is not None else 99)
    return [Share(c.value, value_label(name, c.value, lang), c.count, c.share) for c in cells]


def _metric(
    key: str,
    own: dict[str, float | None],
    everyone: dict[str, float | None],
    k: int,
    lang: Lang,
    currency: str,
) -> Metric | None:
    value, population, n = own.get(f"mean:{key}"), everyone.get(f"mean:{key}"), own.get(f"n:{key}")
    if value is None or population is None or shown(int(n or 0), k) is None:
        return None
    if value == 0 and population == 0:  # nobody has any (e.g. no relations data): no news
        return None
    ratio = value / population if population else None
    direction = "" if ratio is None else "high" if ratio >= 1.25 else "low" if ratio <= 0.8 else ""
    unit = METRICS[key][2]
    better = 1 if key in GOOD_WHEN_HIGH else -1 if key in GOOD_WHEN_LOW else 0
    sign = {"high": 1, "low": -1}.get(direction, 0) * better
    return Metric(
        key,
        metric_label(key, lang),
        value,
        population,
        ratio,
        fmt(value, unit, lang, currency),
        fmt(population, unit, lang, currency),
        direction,
        "good" if sign > 0 else "bad" if sign < 0 else "",
    )


def _psychographics(
    card: PersonaCard,
    segment_id: int,
    own: dict[str, float | None],
    everyone: dict[str, float | None],
    words: dict[str, Any],
    k: int,
    lang: Lang,
) -> None:
    """Survey scores and free-text keywords, each only from k or more respondents."""
    dimensions = [
        c.removeprefix("mean:") for c in everyone if c.startswith(f"mean:{SURVEY_PREFIX}")
    ]
    respondents = max((int(own.get(f"n:{d}") or 0) for d in dimensions), default=0)
    card.respondents = shown(respondents, k) if dimensions else None
    for column in dimensions:
        value, population = own.get(f"mean:{column}"), everyone.get(f"mean:{column}")
        if (
            value is None
            or population is None
            or shown(int(own.get(f"n:{column}") or 0), k) is None
        ):
            continue
        dimension = column.removeprefix(SURVEY_PREFIX)
        card.scores.append(Score(dimension, dimension_label(dimension, lang), value, population))
    for question_id, text, dimension in words["questions"]:
        answered = words["respondents"].get((question_id, segment_id), 0)
        everyone_answered = words["respondents"].get((question_id, None), 0)
        overall = dict(words["keywords"].get((question_id, None), []))
        found: list[Keyword] = []
        if shown(answered, k):
            for word, count in words["keywords"].get((question_id, segment_id), []):
                if count >= k and len(found) < 6:
                    lift = (count / answered) / (overall[word] / everyone_answered)
                    found.append(Keyword(word, count, count / answered, lift))
        title = value_label("question", dimension, lang) if dimension else text
        card.questions.append(
            Question(question_id, dimension, title, text, shown(answered, k), found)
        )


def _facts(card: PersonaCard, lang: Lang) -> Facts:
    facts = Facts()
    for metrics in card.metrics.values():
        for m in metrics:
            facts.metrics[m.key] = (m.value, m.population)
    for score in card.scores:
        facts.survey[score.dimension] = (score.value, score.population)
    top = _most_common(card)
    category, channel, time = top.get("category"), top.get("channel"), top.get("time_of_day")
    facts.category = category.label if category is not None else ""
    if channel is not None and channel.share is not None:
        facts.channel = (channel.label, channel.share)
    if time is not None and time.share is not None:
        facts.time = (time_phrase(time.value, lang), time.share)
    for question in card.questions:
        kind = "pain_points" if "pain" in question.dimension else "needs"
        if "pain" in question.dimension or "need" in question.dimension:
            facts.keywords[kind] = [(kw.word, kw.share, kw.lift) for kw in question.keywords]
    return facts


def _most_common(card: PersonaCard) -> dict[str, Share]:
    """Per distribution, its most common shown value (not the pooled rest)."""
    top: dict[str, Share] = {}
    for name, shares in card.distributions.items():
        named = [s for s in shares if s.value is not None and s.share is not None]
        if named:
            top[name] = max(named, key=lambda s: s.share or 0.0)
    return top


PEOPLE = {"female": ("女性", "women"), "male": ("男性", "men")}


def _headline(card: PersonaCard, lang: Lang) -> str:
    """One sentence that reads like a person: who, where and when, what, how much.

    A trait is named only when it is typical: a gender of at least 60%, an age band of 40%, a
    channel of 40%, a time of day of 35%, a category of 25% (else the mean age stands in).
    """
    top = _most_common(card)

    def typical(name: str, least: float) -> Share | None:
        found = top.get(name)
        return found if found is not None and (found.share or 0.0) >= least else None

    metrics = {m.key: m for ms in card.metrics.values() for m in ms}
    zh = lang == "zh"
    parts: list[str] = []
    gender, band = typical("gender", 0.6), typical("age_band", 0.4)
    people = PEOPLE.get(str(gender.value)) if gender is not None else None
    noun = people[0 if zh else 1] if people else None
    age = metrics.get("age")
    if band is not None:
        parts.append(
            f"以{band.label}{noun or '客户'}为主"
            if zh
            else f"mostly {noun or 'customers'} aged {band.label}"
        )
    elif noun is not None:
        average = (
            f"，平均{age.value:.0f}岁"
            if zh and age
            else f", average age {age.value:.0f}"
            if age
            else ""
        )
        parts.append(f"以{noun}为主{average}" if zh else f"mostly {noun}{average}")
    elif age is not None:
        parts.append(f"平均{age.value:.0f}岁" if zh else f"average age {age.value:.0f}")
    channel, time = typical("channel", 0.4), typical("time_of_day", 0.35)
    if channel is not None:
        when = time_phrase(time.value, lang) if time is not None else ""
        parts.append(
            f"{when}在{channel.label}上最活跃"
            if zh
            else " ".join(p for p in ("most active", when, f"in the {channel.label.lower()}") if p)
        )
    category = typical("category", 0.25)
    if category is not None:
        parts.append(f"最爱买{category.label}" if zh else f"buying {category.label} most")
    spend = metrics.get("monetary")
    if spend is not None and spend.ratio is not None:
        parts.append(
            f"人均消费{spend.text}（{fmt_ratio(spend.ratio, lang)}）"
            if zh
            else f"spending {spend.text} each ({fmt_ratio(spend.ratio, lang)})"
        )
    if not parts:
        return ""
    if zh:
        return "，".join(parts) + "。"
    sentence = ", ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


LABELS = {
    "city": ("城市", "City"),
    "occupation": ("职业", "Occupation"),
    "top_category": ("最常买", "Buys most"),
    "frequency": ("订单", "Orders"),
    "monetary": ("累计消费", "Total spend"),
    "tenure_days": ("成为客户", "Customer for"),
}


def _representative(
    engine: Engine, customer_id: str | None, lang: Lang, currency: str
) -> Representative | None:
    """The medoid's masked profile: name, gender, age band, city, occupation, key facts."""
    if customer_id is None:
        return None
    row: dict[str, Any] = {}
    for table in ("customers", "features"):
        found = engine.fetch_df(f"select * from {table} where customer_id = ?", [customer_id])
        if not found.empty:
            row.update({str(c): v for c, v in found.iloc[0].items()})
    name = row.get("name")
    attributes: list[tuple[str, str]] = []
    if isinstance(row.get("gender"), str):
        attributes.append((t("chart.gender", lang), value_label("gender", row["gender"], lang)))
    age = row.get("age")
    if age is not None and pd.notna(age):
        band = next(
            key
            for lo, hi, key in aggregates.AGE_BANDS
            if (lo is None or age >= lo) and (hi is None or age < hi)
        )
        attributes.append((t("chart.age_band", lang), value_label("age_band", band, lang)))
    for key, (zh, en) in LABELS.items():
        value = row.get(key)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        if key == "frequency":
            value = f"{int(value):,}"
        elif key in METRICS:
            value = fmt(float(value), METRICS[key][2], lang, currency)
        attributes.append((zh if lang == "zh" else en, str(value)))
    words = row.get("survey_keywords")
    keywords = [str(w) for w in words] if isinstance(words, list | tuple | np.ndarray) else []
    masked = mask_value("name", name) if isinstance(name, str) else None
    return Representative(customer_id, str(masked) if masked else None, attributes, keywords)
