"""Each tag kind as one SQL expression over a customer's features (and helper tables).

Population-dependent tags (quantile bins, RFM scores and classes) are first *fitted*: their
edges and means are computed over all customers at a full build and kept in the catalog, so
an incremental refresh scores new behaviour against the same yardstick and a customer's score
does not move because other customers bought.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from persona.config import LifecycleConfig
from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.engine.compile import to_sql
from persona.model.expression import Node
from persona.model.tags import RFM_CLASSES, TIME_OF_DAY, TOP_OF, TagDefinition
from persona.pipeline.features.catalog import survey_column

RFM_FEATURES = {"r": "recency_days", "f": "frequency", "m": "monetary"}
BUYERS = "frequency > 0"
"""RFM scores and classes are fitted over, and given to, customers with a paid order."""


@dataclass(frozen=True)
class TagInputs:
    """What the expressions of every tag need besides the features.

    Attributes:
        as_of_date: The local as-of date (for lifecycle and ``days_since``).
        timezone: The project time zone (local dates of order times).
        lifecycle: The lifecycle windows.
        rfm_bins: The number of RFM scores.
    """

    as_of_date: date
    timezone: str
    lifecycle: LifecycleConfig
    rfm_bins: int

    @property
    def now_sql(self) -> str:
        """The as-of date as a SQL literal."""
        return f"date '{self.as_of_date.isoformat()}'"


def value_type(tag: TagDefinition) -> str:
    """The type of a tag's values: boolean, integer, text or timestamp."""
    if (tag.kind == "rule" and tag.rule is not None) or tag.kind == "sequence":
        return "boolean"
    if (tag.kind == "rfm" and tag.part != "class") or (
        tag.kind == "top" and tag.feature in ("hour", "weekday")
    ):
        return "integer"
    if tag.kind == "first_last" and str(tag.feature).endswith("_at"):
        return "timestamp"
    return "text"


def needs_fit(tag: TagDefinition) -> bool:
    """Whether a tag's values depend on the whole population (quantiles, means)."""
    return tag.kind == "rfm" or (tag.kind == "binned" and tag.quantiles is not None)


def fit(engine: Engine, tag: TagDefinition, table: str, rfm_bins: int) -> dict[str, Any]:
    """Fit a population-dependent tag over `table` (the features): its edges or means."""
    if tag.kind == "binned" and tag.quantiles is not None:
        column = quote_identifier(str(tag.feature))
        return {"edges": _quantiles(engine, table, column, tag.quantiles, f"{column} is not null")}
    if tag.kind == "rfm" and tag.part == "class":
        row = engine.fetch_all(
            f"select avg(recency_days), avg(frequency), avg(monetary) from {table} where {BUYERS}"
        )[0]
        return {"means": [None if v is None else float(v) for v in row]}
    if tag.kind == "rfm":
        column = RFM_FEATURES[str(tag.part)]
        return {"edges": _quantiles(engine, table, column, rfm_bins, BUYERS)}
    return {}


def _quantiles(engine: Engine, table: str, column: str, n: int, where: str) -> list[float] | None:
    cuts = ", ".join(repr(k / n) for k in range(1, n))
    value = engine.fetch_all(f"select quantile_cont({column}, [{cuts}]) from {table} where {where}")
    edges = value[0][0]
    return None if edges is None else [float(e) for e in edges]


def value_sql(
    tag: TagDefinition,
    rules: list[tuple[str | None, Node]],
    params: dict[str, Any],
    inputs: TagInputs,
    columns: dict[str, str],
    tag_column: Callable[[str], str],
    helper: str | None = None,
) -> str:
    """The SQL of a tag's value for one customer row.

    Args:
        tag: The definition.
        rules: Its parsed expressions (rule tags).
        params: Its fitted edges or means (see `fit`).
        inputs: The as-of date, time zone and windows.
        columns: The feature and attribute columns expressions may use.
        tag_column: The SQL column of another tag's value.
        helper: The SQL column of a sequence or imported tag's helper value.
    """

    def expression(tree: Node) -> str:
        return to_sql(tree, columns, tag_sql=tag_column, now_sql=inputs.now_sql)

    match tag.kind:
        case "rule" if tag.rule is not None:
            return f"coalesce({expression(rules[0][1])}, false)"
        case "rule":
            whens = " ".join(
                f"when {expression(tree)} then {quote_literal(str(label))}" for label, tree in rules
            )
            default = quote_literal(tag.default) if tag.default is not None else "null"
            return f"case {whens} else {default} end"
        case "binned":
            return _binned(tag, params)
        case "rfm":
            return _rfm(tag, params, inputs.rfm_bins)
        case "lifecycle":
            return _lifecycle(inputs)
        case "top":
            return _top(tag)
        case "first_last":
            return quote_identifier(str(tag.feature))
        case "psychographic":
            score = quote_identifier(survey_column(str(tag.dimension)))
            return (
                f"case when {score} is null then null when {score} >= {tag.high!r} then 'high' "
                f"when {score} <= {tag.low!r} then 'low' else 'medium' end"
            )
        case "sequence":
            return f"coalesce({helper}, false)"
        case "imported":
            return str(helper)
    raise ValueError(f"unknown tag kind {tag.kind!r}")


def bin_labels(tag: TagDefinition) -> list[str]:
    """The labels of a binned tag's bins: given, ``q1``..``qN``, or from the edges."""
    if tag.labels is not None:
        return list(tag.labels)
    if tag.quantiles is not None:
        return [f"q{k}" for k in range(1, tag.quantiles + 1)]
    edges = [_number(e) for e in tag.edges or ()]
    inner = [f"{a}-{b}" for a, b in itertools.pairwise(edges)]
    return [f"<{edges[0]}", *inner, f">={edges[-1]}"]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _binned(tag: TagDefinition, params: dict[str, Any]) -> str:
    column = quote_identifier(str(tag.feature))
    labels = "[" + ", ".join(quote_literal(label) for label in bin_labels(tag)) + "]"
    if tag.quantiles is not None:
        edges = params.get("edges")
        if edges is None:
            return "cast(null as varchar)"
        # Ties go low: a value equal to an edge stays in the lower bin.
        index = " + ".join(f"cast({column} > {_edge(e)} as integer)" for e in edges)
    else:
        # Fixed intervals include their lower edge: [a, b).
        index = " + ".join(f"cast({column} >= {_edge(e)} as integer)" for e in tag.edges or ())
    return f"case when {column} is null then null else list_extract({labels}, 1 + {index}) end"


def _edge(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"edge {value!r} is not a finite number")
    return f"cast({value!r} as double)"


def _rfm(tag: TagDefinition, params: dict[str, Any], bins: int) -> str:
    if tag.part == "class":
        means = params.get("means") or [None, None, None]
        if any(m is None for m in means):
            return "cast(null as varchar)"
        recent = f"recency_days < {_edge(means[0])}"
        frequent = f"frequency > {_edge(means[1])}"
        spends = f"monetary > {_edge(means[2])}"
        whens = " ".join(
            f"when ({recent}) = {str(r).lower()} and ({frequent}) = {str(f).lower()} "
            f"and ({spends}) = {str(m).lower()} then {quote_literal(code)}"
            for (r, f, m), code in RFM_CLASSES.items()
        )
        return f"case when not ({BUYERS}) or frequency is null then null {whens} end"
    edges = params.get("edges")
    if edges is None:
        return "cast(null as integer)"
    column = RFM_FEATURES[str(tag.part)]
    above = " + ".join(f"cast({column} > {_edge(e)} as integer)" for e in edges) or "0"
    # Recency is better when smaller: the most recent fifth scores the highest.
    score = f"{bins} - ({above})" if tag.part == "r" else f"1 + {above}"
    return f"case when {BUYERS} then cast({score} as integer) end"


def _lifecycle(inputs: TagInputs) -> str:
    windows, zone = inputs.lifecycle, quote_literal(inputs.timezone)
    first_days = (
        f"date_diff('day', cast(first_order_at at time zone {zone} as date), {inputs.now_sql})"
    )
    gap = (
        f"date_diff('day', cast(previous_order_at at time zone {zone} as date), "
        f"cast(last_order_at at time zone {zone} as date))"
    )
    return (
        f"case when coalesce(frequency, 0) = 0 then 'prospect' "
        f"when {first_days} < {windows.new_days} then 'new' "
        f"when recency_days < {windows.active_days} and {gap} >= {windows.churn_days} "
        "then 'returning' "
        f"when recency_days < {windows.active_days} then 'active' "
        f"when recency_days < {windows.churn_days} then 'silent' else 'churned' end"
    )


def _top(tag: TagDefinition) -> str:
    feature, share = TOP_OF[str(tag.feature)]
    column = quote_identifier(feature)
    if tag.feature == "time_of_day":
        whens = " ".join(
            f"when {column} between {low} and {high} then {quote_literal(name)}"
            for name, low, high in TIME_OF_DAY
        )
        return f"case {whens} end"
    if tag.min_share is not None and share is not None:
        return f"case when {quote_identifier(share)} >= {tag.min_share!r} then {column} end"
    return column
