"""Tag definitions: the taxonomy, the tag kinds and their vocabulary (zh and en).

A tag is a named, described, versioned per-customer value. Definitions come from persona.yaml
(`tags:`), from YAML files in the project's `tags/` folder, and from the built-in catalog
(`persona.pipeline.tags.builtin`); the tags stage evaluates them into the `tags` table.
Each kind says how the value is made:

- ``rule``: an expression; a boolean, or with `values` the first label whose `when` holds;
- ``binned``: a feature cut into quantiles (`quantiles: N`) or fixed intervals (`edges`);
- ``rfm``: RFM score 1-5 (`part: r|f|m`) or the classic RFM class (`part: class`);
- ``lifecycle``: new, active, silent, churned, returning or prospect (windows in `tagging`);
- ``top``: a favourite (category, channel, payment method, event channel, hour, weekday,
  time of day), optionally only when its share reaches `min_share`;
- ``first_last``: a first or last occurrence (first order channel, last event ...);
- ``sequence``: whether a customer did step `first` and then step `then` within N days;
- ``psychographic``: a survey dimension's score as high, medium or low;
- ``imported``: values from a file (customer reference -> value).

Model tags (scores of the prediction stage) are registered into the same catalog later.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from persona.model.suggest import did_you_mean

CATEGORIES: dict[str, tuple[str, str]] = {
    "demographics": ("基础属性", "Demographics"),
    "behaviour": ("行为", "Behaviour"),
    "transactions": ("交易", "Transactions"),
    "psychographics": ("心理兴趣", "Psychographics"),
    "social": ("社交", "Social"),
    "predictions": ("预测", "Predictions"),
}
"""The default top categories of the taxonomy: key -> (zh, en)."""

TagKind = Literal[
    "rule",
    "binned",
    "rfm",
    "lifecycle",
    "top",
    "first_last",
    "sequence",
    "psychographic",
    "imported",
]

TOP_OF: dict[str, tuple[str, str | None]] = {
    "category": ("top_category", "top_category_share"),
    "channel": ("top_channel", None),
    "payment_method": ("top_payment_method", None),
    "event_channel": ("top_event_channel", None),
    "hour": ("top_hour", None),
    "weekday": ("top_weekday", None),
    "time_of_day": ("top_hour", None),
}
"""What a ``top`` tag may be of: -> (the feature holding the favourite, its share feature)."""

FIRST_LAST_OF = (
    "first_order_channel",
    "first_order_at",
    "last_order_at",
    "last_event",
    "last_event_at",
)
"""The features a ``first_last`` tag may take its value from."""

TIME_OF_DAY: tuple[tuple[str, int, int], ...] = (
    ("night", 0, 5),
    ("morning", 6, 11),
    ("afternoon", 12, 17),
    ("evening", 18, 21),
    ("night", 22, 23),
)
"""Local hours (inclusive ranges) of each time of day, for ``top`` tags of `time_of_day`."""

RFM_CLASSES: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "important_value",
    (True, False, True): "important_development",
    (False, True, True): "important_retention",
    (False, False, True): "important_recovery",
    (True, True, False): "general_value",
    (True, False, False): "general_development",
    (False, True, False): "general_retention",
    (False, False, False): "general_recovery",
}
"""(recent, frequent, high spend) -> the classic RFM class; each is above the buyers' mean."""

VALUE_NAMES: dict[str, tuple[str, str]] = {
    "important_value": ("重要价值客户", "Important value"),
    "important_development": ("重要发展客户", "Important development"),
    "important_retention": ("重要保持客户", "Important retention"),
    "important_recovery": ("重要挽留客户", "Important recovery"),
    "general_value": ("一般价值客户", "General value"),
    "general_development": ("一般发展客户", "General development"),
    "general_retention": ("一般保持客户", "General retention"),
    "general_recovery": ("一般挽留客户", "General recovery"),
    "prospect": ("潜在客户", "Prospect"),
    "new": ("新客", "New"),
    "active": ("活跃", "Active"),
    "silent": ("沉默", "Silent"),
    "churned": ("流失", "Churned"),
    "returning": ("回流", "Returning"),
    "high": ("高", "High"),
    "medium": ("中", "Medium"),
    "low": ("低", "Low"),
    "night": ("夜间", "Night"),
    "morning": ("上午", "Morning"),
    "afternoon": ("下午", "Afternoon"),
    "evening": ("晚间", "Evening"),
    "true": ("是", "Yes"),
    "false": ("否", "No"),
}
"""Display names (zh, en) of the built-in tag values; a definition's `value_names` add more."""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelRule(_Strict):
    """One label of a labelled rule tag: the value given when `when` holds."""

    value: str = Field(description="The label, e.g. `vip`.")
    when: str = Field(description="An expression; the first label whose `when` holds is given.")


class SequenceStep(_Strict):
    """One step of a sequence tag: an event (by name) or a paid order, optionally filtered."""

    event: str | None = Field(default=None, description="Event name, e.g. add_to_cart.")
    order: bool = Field(default=False, description="A paid order instead of an event.")
    category: str | None = Field(default=None, description="Only records of this category.")
    channel: str | None = Field(default=None, description="Only records of this channel.")

    @model_validator(mode="after")
    def _one_of(self) -> SequenceStep:
        if (self.event is None) == (not self.order):
            raise ValueError("a step is either `event: NAME` or `order: true`")
        return self


class ValueName(_Strict):
    """Display names of one tag value."""

    zh: str
    en: str


class TagDefinition(_Strict):
    """One tag of the catalog (see the module for the kinds and their fields)."""

    name: str = Field(description="snake_case name, used in expressions as tag('name').")
    kind: TagKind = Field(default="rule", description="How the value is made.")
    category: str = Field(default="behaviour", description="Taxonomy category key.")
    name_zh: str | None = Field(default=None, description="Chinese display name.")
    name_en: str | None = Field(default=None, description="English display name.")
    description: str = Field(default="", description="What the tag means (English).")
    description_zh: str = Field(default="", description="What the tag means (Chinese).")
    owner: str = Field(default="", description="Who answers questions about the tag.")
    version: int | None = Field(
        default=None, ge=1, description="Version; default: counted up when the definition changes."
    )
    rule: str | None = Field(default=None, description="rule: a boolean expression.")
    values: list[LabelRule] = Field(
        default_factory=list, description="rule: labels, the first whose `when` holds."
    )
    default: str | None = Field(default=None, description="rule: the label when none holds.")
    feature: str | None = Field(
        default=None, description="binned: the feature; top / first_last: what of."
    )
    quantiles: int | None = Field(default=None, ge=2, le=100, description="binned: N quantiles.")
    edges: list[float] | None = Field(default=None, description="binned: fixed interval edges.")
    labels: list[str] | None = Field(default=None, description="binned: one label per bin.")
    part: Literal["r", "f", "m", "class"] | None = Field(
        default=None, description="rfm: r, f, m (scores 1-5) or class."
    )
    min_share: float | None = Field(
        default=None, gt=0, le=1, description="top: only when the favourite has this share."
    )
    first: SequenceStep | None = Field(default=None, description="sequence: the first step.")
    then: SequenceStep | None = Field(default=None, description="sequence: the next step.")
    within_days: int | None = Field(
        default=None, ge=0, description="sequence: days allowed between the steps."
    )
    dimension: str | None = Field(default=None, description="psychographic: survey dimension.")
    high: float = Field(default=4.0, description="psychographic: score from which it is high.")
    low: float = Field(default=2.0, description="psychographic: score up to which it is low.")
    path: str | None = Field(default=None, description="imported: a CSV, xlsx or parquet file.")
    key: str | None = Field(
        default=None,
        description="imported: the column with the customer reference (an id or identifier).",
    )
    value_column: str | None = Field(default=None, description="imported: the value column.")
    value_names: dict[str, ValueName] = Field(
        default_factory=dict, description="Display names of values: value -> {zh, en}."
    )
    labelled_sample: str | None = Field(
        default=None,
        description="A file of customer reference -> true value, for precision and recall.",
    )
    _origin: str = PrivateAttr(default="")

    @field_validator("name")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                f"tag name {value!r} must be snake_case: a lower-case letter, then lower-case "
                "letters, digits or '_' (at most 63)"
            )
        return value

    @model_validator(mode="after")
    def _fields_of_kind(self) -> TagDefinition:
        for problem in _kind_problems(self):
            raise ValueError(f"{self.kind} tag {self.name!r}: {problem}")
        return self

    @property
    def origin(self) -> str:
        """Where the tag was defined (``persona.yaml line 12``, ``tags/vip.yaml line 3``)."""
        return self._origin or "built-in"

    def with_origin(self, origin: str) -> TagDefinition:
        """This definition, marked as defined at `origin`."""
        self._origin = origin
        return self

    def display_name(self, lang: str) -> str:
        """The tag's name in `lang` (zh or en), else its snake_case name."""
        return (self.name_zh if lang == "zh" else self.name_en) or self.name

    def value_name(self, value: object, lang: str) -> str:
        """A value's display name in `lang` (zh or en)."""
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text in self.value_names:
            names = self.value_names[text]
            return names.zh if lang == "zh" else names.en
        if text in VALUE_NAMES:
            return VALUE_NAMES[text][0 if lang == "zh" else 1]
        return text


_KIND_FIELDS: dict[str, set[str]] = {
    "rule": {"rule", "values", "default"},
    "binned": {"feature", "quantiles", "edges", "labels"},
    "rfm": {"part"},
    "lifecycle": set(),
    "top": {"feature", "min_share"},
    "first_last": {"feature"},
    "sequence": {"first", "then", "within_days"},
    "psychographic": {"dimension", "high", "low"},
    "imported": {"path", "key", "value_column"},
}
_SPECIFIC = set().union(*_KIND_FIELDS.values())


def _kind_problems(tag: TagDefinition) -> list[str]:
    """What is wrong with the kind-specific fields of a definition (empty: nothing)."""
    given = {f for f in _SPECIFIC if f in tag.model_fields_set}
    foreign = sorted(given - _KIND_FIELDS[tag.kind])
    if foreign:
        return [f"{', '.join(foreign)} do(es) not belong to a {tag.kind} tag"]
    match tag.kind:
        case "rule" if (tag.rule is None) == (not tag.values):
            return ["give either `rule:` (a yes/no tag) or `values:` (labels), not both"]
        case "rule" if tag.default is not None and not tag.values:
            return ["`default` needs `values`"]
        case "binned" if tag.feature is None:
            return ["needs `feature`"]
        case "binned" if (tag.quantiles is None) == (tag.edges is None):
            return ["give either `quantiles: N` or `edges: [...]`"]
        case "binned" if tag.edges is not None and list(tag.edges) != sorted(set(tag.edges)):
            return ["`edges` must increase"]
        case "binned" if tag.labels is not None and len(tag.labels) != _bins(tag):
            return [f"`labels` needs {_bins(tag)} labels, one per bin"]
        case "rfm" if tag.part is None:
            return ["needs `part: r|f|m|class`"]
        case "top" if tag.feature not in TOP_OF:
            hint = did_you_mean(tag.feature or "", list(TOP_OF))
            return [f"`feature` must be one of {', '.join(TOP_OF)}{hint}"]
        case "first_last" if tag.feature not in FIRST_LAST_OF:
            return [f"`feature` must be one of {', '.join(FIRST_LAST_OF)}"]
        case "sequence" if tag.first is None or tag.then is None or tag.within_days is None:
            return ["needs `first`, `then` and `within_days`"]
        case "psychographic" if tag.dimension is None:
            return ["needs `dimension` (a dimension of the question bank)"]
        case "psychographic" if tag.low >= tag.high:
            return ["`low` must be below `high`"]
        case "imported" if tag.path is None or tag.key is None or tag.value_column is None:
            return ["needs `path`, `key` and `value_column`"]
    return []


def _bins(tag: TagDefinition) -> int:
    """How many bins a binned tag has: N quantiles, or one more than its edges."""
    return tag.quantiles if tag.quantiles is not None else len(tag.edges or ()) + 1
