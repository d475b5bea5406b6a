"""What a persona card holds, as plain data (built by `persona.report.cards`).

Every count and share here already went through small-group suppression: a value of None
means "fewer than k customers" (shown as ``<k``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from persona.report.labels import Lang
from persona.report.positioning import Suggestion
from persona.report.priority import Priority


@dataclass
class Share:
    """One shown value of a distribution: customers and share of those with a value.

    `value` None is "other" (the small values pooled); its count and share are None when the
    pool is smaller than k (shown as ``<k``).
    """

    value: object
    label: str
    count: int | None
    share: float | None


@dataclass
class Metric:
    """A segment's mean of a per-customer metric, beside everyone's.

    Attributes:
        key: The metric (``avg_order_value``).
        label: Its display name.
        value: The segment's mean.
        population: Everyone's mean.
        ratio: value / population (None when the population's is 0).
        text: The value with its unit (¥312).
        average: Everyone's value with its unit.
        direction: ``high`` (at least 1.25x), ``low`` (at most 0.8x) or empty.
        tone: ``good`` or ``bad`` news for the business when it has a direction (spend up,
            refunds down ...), empty for neutral metrics (age, night share ...).
    """

    key: str
    label: str
    value: float
    population: float
    ratio: float | None
    text: str
    average: str
    direction: str
    tone: str = ""


@dataclass
class Keyword:
    """A word the segment's respondents wrote: customers, share of respondents, lift."""

    word: str
    count: int
    share: float
    lift: float


@dataclass
class Question:
    """A free-text question and the words the segment's respondents wrote most."""

    question_id: str
    dimension: str
    title: str
    text: str
    respondents: int | None
    keywords: list[Keyword]


@dataclass
class Score:
    """A survey dimension's mean score (1-5) in the segment and over everyone."""

    dimension: str
    label: str
    value: float
    population: float


@dataclass
class Representative:
    """The member nearest the segment's centre, masked (DESIGN.md section 9)."""

    customer_id: str
    name: str | None
    attributes: list[tuple[str, str]]
    keywords: list[str]


@dataclass
class Growth:
    """The segment's size now against the previous snapshot with segments.

    Attributes:
        snapshot: The previous snapshot.
        previous: The segment's size then (None: below k, or the segment is new).
        change: (now - then) / then; None when either size is below k or it is new.
        new: The segment did not exist then.
    """

    snapshot: int
    previous: int | None
    change: float | None
    new: bool = False


@dataclass
class PersonaCard:
    """Everything shown about one segment (see the module docstring)."""

    id: int
    name: str
    name_zh: str
    name_en: str
    method: str
    size: int | None
    share: float | None
    suppressed: bool
    revenue_share: float | None
    headline: str
    evidence: list[str]
    metrics: dict[str, list[Metric]] = field(default_factory=dict)
    distributions: dict[str, list[Share]] = field(default_factory=dict)
    respondents: int | None = None
    scores: list[Score] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    representative: Representative | None = None
    growth: Growth | None = None
    positioning: list[Suggestion] = field(default_factory=list)
    priority: Priority | None = None


@dataclass
class Personas:
    """The persona cards of a project, their priorities, and what they were made from."""

    lang: Lang
    k: int
    currency: str
    segmented: int
    excluded: int
    cards: list[PersonaCard]
    population: dict[str, list[Metric]]
    population_distributions: dict[str, list[Share]]
    weights: dict[str, float]
    previous_snapshot: int | None
    made_at: datetime
    surveys: bool = False

    def frame(self) -> pd.DataFrame:
        """One row per segment, in priority order: the key figures and the value proposition."""
        rows = []
        for card in sorted(self.cards, key=lambda c: c.priority.rank if c.priority else 0):
            proposition = next(
                (s.text for s in card.positioning if s.aspect == "value_proposition"), ""
            )
            rows.append(
                {
                    "rank": card.priority.rank if card.priority else None,
                    "id": card.id,
                    "name": card.name,
                    "size": card.size,
                    "share": card.share,
                    "revenue_share": card.revenue_share,
                    "growth": card.growth.change if card.growth else None,
                    "score": card.priority.score if card.priority else None,
                    "value_proposition": proposition,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what `persona personas --json` prints)."""
        data = asdict(self)
        data["made_at"] = self.made_at.isoformat()
        return data

    def __repr__(self) -> str:
        return f"Personas({len(self.cards)} segments, k={self.k})\n{self.frame().to_string()}"
