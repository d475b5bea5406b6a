"""Per-segment aggregates in the engine: the numbers persona cards are made of.

Every query groups the segmented customers (`segment_members`, joined to `features` and
`tags`) by segment and, in the same pass, over everyone (the population the cards compare
with; key None). Nothing here hides small groups: `persona.report.cards` does, with
`persona.privacy.kanon`, before anything is shown.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.model.errors import ProjectError
from persona.model.tags import TIME_OF_DAY
from persona.pipeline.features.keywords import keywords
from persona.pipeline.features.records import identifier_key

MEMBERS = "segment_members"
AGE_BANDS = ((None, 18, "under_18"), (18, 25, "18_24"), (25, 35, "25_34"), (35, 45, "35_44"),
             (45, 55, "45_54"), (55, 65, "55_64"), (65, None, "65_plus"))  # fmt: skip
"""Age bands: (from, below, key); the same edges as the built-in `age_band` tag."""

Counts = dict[int | None, list[tuple[object, int]]]
"""Segment id (None: everyone) -> (value, customers) pairs."""


@dataclass(frozen=True)
class Segment:
    """One row of the `segments` table, read back.

    Attributes:
        id: The segment id (stable across refits).
        name_zh: Chinese name.
        name_en: English name.
        size: Customers in the segment.
        share: Share of the segmented customers.
        centre: Feature -> value in original units.
        evidence: What distinguishes it, most distinguishing first (see the segments stage).
        method: How it was made (kmeans, rules ...).
    """

    id: int
    name_zh: str
    name_en: str
    size: int
    share: float
    centre: dict[str, Any]
    evidence: list[dict[str, Any]]
    method: str

    def name(self, lang: str) -> str:
        """The name in `lang` (zh or en)."""
        return self.name_zh if lang == "zh" else self.name_en


def load_segments(engine: Engine) -> list[Segment]:
    """The segments of the last fit, by id.

    Raises:
        ProjectError: before the segments stage has run.
    """
    if not engine.table_exists("segments") or not engine.table_exists(MEMBERS):
        raise ProjectError(
            "no segments yet: run `persona build`; its segments stage needs "
            "`segmentation.enabled` (the default) and at least 10 customers who may be profiled"
        )
    rows = engine.fetch_all(
        "select segment_id, name_zh, name_en, size, share, centre, evidence, method "
        "from segments order by segment_id"
    )
    if not rows:
        raise ProjectError("the segments stage found no segments: check `segmentation:` settings")
    return [
        Segment(
            int(r[0]),
            str(r[1]),
            str(r[2]),
            int(r[3]),
            float(r[4]),
            json.loads(r[5]) if r[5] else {},
            json.loads(r[6]) if r[6] else [],
            str(r[7]),
        )
        for r in rows
    ]


def base_relation(engine: Engine) -> str:
    """SQL of the segmented customers with their segment, features and tags."""
    tags = ""
    if engine.table_exists("tags"):
        tags = "left join tags t on t.customer_id = m.customer_id "
    selected = "f.*" + (", t.* exclude (customer_id)" if tags else "")
    return (
        f"(select m.segment_id, {selected} from {MEMBERS} m "
        f"join features f on f.customer_id = m.customer_id {tags})"
    )


def column_types(engine: Engine) -> dict[str, str]:
    """Column -> ``number``, ``bool``, ``list`` or ``text`` of the features and tags tables."""
    kinds: dict[str, str] = {}
    for table in ("features", "tags"):
        if not engine.table_exists(table):
            continue
        empty = engine.fetch_df(f"select * from {table} limit 0")
        for name, dtype in empty.dtypes.items():
            if name == "customer_id":
                continue
            if pd.api.types.is_bool_dtype(dtype):
                kinds[str(name)] = "bool"
            elif pd.api.types.is_numeric_dtype(dtype):
                kinds[str(name)] = "number"
            else:
                kinds[str(name)] = "text"
    return kinds


Means = dict[int | None, dict[str, float | None]]
"""Segment id (None: everyone) -> ``customers``, ``revenue``, ``mean:<x>`` and ``n:<x>``."""


def means(engine: Engine, columns: list[str], derived: dict[str, str]) -> Means:
    """Per segment: customers, revenue, and the mean and count of each column.

    Args:
        engine: The engine.
        columns: Numeric or boolean columns of the features and tags (booleans average to a
            share); the count is of the customers with a value.
        derived: More values by name -> SQL over the same columns.
    """
    parts = ["count(*)", "sum(monetary)" if "monetary" in columns else "null"]
    names = ["customers", "revenue"]
    for name, expr in [*((c, quote_identifier(c)) for c in columns), *derived.items()]:
        parts += [f"avg(cast({expr} as double))", f"count({expr})"]
        names += [f"mean:{name}", f"n:{name}"]
    rows = engine.fetch_all(
        f"select case when grouping(segment_id) = 0 then segment_id end, {', '.join(parts)} "
        f"from {base_relation(engine)} group by grouping sets ((segment_id), ())"
    )
    return {
        None if r[0] is None else int(r[0]): {
            n: None if v is None else float(v) for n, v in zip(names, r[1:], strict=True)
        }
        for r in rows
    }


def distribution_sql(available: set[str]) -> dict[str, str]:
    """Distribution name -> the SQL of its value over the base relation (when its data exist)."""
    sql: dict[str, str] = {}
    if "age" in available:
        cases = " ".join(
            f"when {_between('age', lo, hi)} then '{key}'" for lo, hi, key in AGE_BANDS
        )
        sql["age_band"] = f"case {cases} end"
    for name, column in (
        ("gender", "gender"),
        ("city_tier", "city_tier"),
        ("channel", "top_event_channel"),
        ("order_channel", "top_channel"),
        ("category", "top_category"),
        ("social_role", "social_role"),
        ("lifecycle", "lifecycle"),
    ):
        if column in available:
            sql[name] = f"cast({quote_identifier(column)} as varchar)"
    if "top_hour" in available:
        cases = " ".join(
            f"when top_hour between {lo} and {hi} then '{key}'" for key, lo, hi in TIME_OF_DAY
        )
        sql["time_of_day"] = f"case {cases} end"
    return sql


def distributions(engine: Engine, sql: dict[str, str]) -> dict[str, Counts]:
    """Per distribution, per segment (None: everyone): (value, customers), most first.

    Customers without a value are left out (shares are of those with one).
    """
    if not sql:
        return {}
    selects = [
        f"select {quote_literal(name)} as dim, segment_id, {expr} as value from base"
        for name, expr in sql.items()
    ]
    rows = engine.fetch_all(
        f"with base as {base_relation(engine)} select dim, case when grouping(segment_id) = 0 "
        "then segment_id end, value, count(*) from ("
        + " union all ".join(selects)
        + ") where value is not null group by grouping sets ((dim, segment_id, value), "
        "(dim, value)) order by 4 desc, 3"
    )
    result: dict[str, Counts] = {name: defaultdict(list) for name in sql}
    for dim, segment, value, count in rows:
        result[str(dim)][None if segment is None else int(segment)].append((value, int(count)))
    return result


def survey_keywords(engine: Engine) -> dict[str, Any]:
    """Keywords of the latest answer of each customer to each free-text question.

    Returns:
        ``{"questions": [(question_id, text, dimension)], "respondents": {(question_id,
        segment): customers}, "keywords": {(question_id, segment): [(keyword, customers)]}}``;
        segment None is everyone. A customer counts once per keyword and question.
    """
    empty: dict[str, Any] = {"questions": [], "respondents": {}, "keywords": {}}
    if not (engine.table_exists("clean_surveys") and engine.table_exists("question_bank")):
        return empty
    rows = engine.fetch_all(
        "with answers as (select l.customer_id, q.question_id, q.text, q.dimension, s.answer "
        "from clean_surveys s join question_bank q on q.source = s._source "
        "and q.question_id = s.question_id and q.type = 'text' "
        f"join identity_links l on l.node_type = 'identifier' and l.node = "
        f"{identifier_key('s', '')} where trim(s.answer) <> '' "
        "qualify row_number() over (partition by l.customer_id, s._source, s.question_id "
        "order by s.answered_at desc nulls last, s._batch_id desc, s._line desc) = 1) "
        "select a.question_id, any_value(a.text), any_value(a.dimension), "
        "case when grouping(m.segment_id) = 0 then m.segment_id end, a.answer, count(*) "
        f"from answers a join {MEMBERS} m on m.customer_id = a.customer_id "
        "group by grouping sets ((a.question_id, m.segment_id, a.answer), "
        "(a.question_id, a.answer))"
    )
    questions: dict[str, tuple[str, str, str]] = {}
    respondents: dict[tuple[str, int | None], int] = defaultdict(int)
    counts: dict[tuple[str, int | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    tokens: dict[str, set[str]] = {}
    for question, text, dimension, segment, answer, n in rows:
        questions[str(question)] = (str(question), str(text or question), str(dimension or ""))
        key = (str(question), None if segment is None else int(segment))
        respondents[key] += int(n)
        words = tokens.get(answer)
        if words is None:
            words = tokens[answer] = set(keywords(str(answer)))
        for word in words:
            counts[key][word] += int(n)
    return {
        "questions": sorted(questions.values()),
        "respondents": dict(respondents),
        "keywords": {
            key: sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
            for key, found in counts.items()
        },
    }


def medoids(engine: Engine, segments: list[Segment], numeric: set[str]) -> dict[int, str]:
    """Per segment, the member nearest its centre: the smallest stored distance.

    Rule segments have no distance; their member nearest the centre's numeric features
    (each scaled by its standard deviation over everyone) stands in.
    """
    found = {
        int(r[0]): str(r[1])
        for r in engine.fetch_all(
            f"select segment_id, customer_id from {MEMBERS} where distance is not null "
            "qualify row_number() over (partition by segment_id "
            "order by distance, customer_id) = 1"
        )
    }
    for segment in segments:
        if segment.id in found:
            continue
        centre = {
            f: float(v)
            for f, v in segment.centre.items()
            if f in numeric and isinstance(v, int | float) and not isinstance(v, bool)
        }
        if not centre:
            order = "customer_id"
        else:
            terms = " + ".join(
                f"coalesce(power((cast({quote_identifier(f)} as double) - {v!r}) / "
                f"nullif(s.{quote_identifier('sd_' + f)}, 0), 2), 0)"
                for f, v in centre.items()
            )
            order = f"{terms}, customer_id"
        sds = ", ".join(
            f"stddev_pop(cast({quote_identifier(f)} as double)) as {quote_identifier('sd_' + f)}"
            for f in centre
        )
        stats = f"(select {sds} from {base_relation(engine)}) s" if centre else "(select 1) s"
        row = engine.fetch_all(
            f"select b.customer_id from {base_relation(engine)} b, {stats} "
            f"where b.segment_id = ? order by {order} limit 1",
            [segment.id],
        )
        if row:
            found[segment.id] = str(row[0][0])
    return found


def _between(column: str, lo: int | None, hi: int | None) -> str:
    parts = [f"{column} >= {lo}" if lo is not None else "", f"{column} < {hi}" if hi else ""]
    return " and ".join(p for p in parts if p)
