"""Survey features: one Likert score per psychographic dimension, and questions answered.

A dimension's score is the mean of the customer's latest numeric answer to each Likert question
of that dimension in the question bank (questions are matched within their survey source).
"""

from __future__ import annotations

from persona.engine.base import Engine, quote_literal
from persona.pipeline.features.catalog import survey_column
from persona.pipeline.features.records import SURVEYS, FeatureContext

TABLE = "_ff_family_surveys"
NUMBER = r"^\s*([0-9]+(\.[0-9]+)?)"
"""A Likert answer's leading number (``4``, ``4.5``, ``5 非常同意``); other answers are ignored."""


def survey_dimensions(engine: Engine) -> list[str]:
    """The psychographic dimensions of Likert questions in the question bank, sorted."""
    rows = engine.fetch_all(
        "select distinct dimension from question_bank where type = 'likert' "
        "and dimension is not null order by 1"
    )
    return [str(r[0]) for r in rows]


def build_surveys(ctx: FeatureContext) -> str:
    """Create the family's temp table (one row per customer with an answer); return its name."""
    by_column: dict[str, list[str]] = {}
    for dimension in survey_dimensions(ctx.engine):
        by_column.setdefault(survey_column(dimension), []).append(dimension)
    scores = "".join(
        ", avg(score) filter (where dimension in "
        f"({', '.join(quote_literal(d) for d in dims)})) as {column}"
        for column, dims in by_column.items()
    )
    ctx.engine.drop(TABLE)
    ctx.engine.execute(
        f"create temp table {TABLE} as select cid, "
        f"count(*) as answered_questions{scores} from ("
        "select s.cid, q.dimension, "
        "case when q.type = 'likert' then "
        f"try_cast(regexp_extract(s.answer, {quote_literal(NUMBER)}, 1) as double) end as score "
        f"from {SURVEYS} s left join question_bank q "
        "on q.source = s.source and q.question_id = s.question_id "
        "qualify row_number() over (partition by s.cid, s.source, s.question_id "
        "order by s.answered_at desc nulls last, s._batch_id desc, s._line desc) = 1) "
        "group by cid"
    )
    return TABLE
