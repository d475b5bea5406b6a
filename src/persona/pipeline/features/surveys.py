"""Survey features: one Likert score per psychographic dimension, questions answered, keywords.

A dimension's score is the mean of the customer's latest numeric answer to each Likert question
of that dimension in the question bank (questions are matched within their survey source).
`survey_keywords` are the most frequent keywords of the latest answers to ``text`` questions
(see `keywords`).
"""

from __future__ import annotations

from persona.engine.base import Engine, quote_literal
from persona.pipeline.features.catalog import survey_column
from persona.pipeline.features.keywords import build_keywords
from persona.pipeline.features.records import SURVEYS, FeatureContext

TABLE = "_ff_family_surveys"
LATEST, TEXTS, KEYWORDS = "_ff_survey_latest", "_ff_survey_texts", "_ff_survey_keywords"
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
    engine = ctx.engine
    by_column: dict[str, list[str]] = {}
    for dimension in survey_dimensions(engine):
        by_column.setdefault(survey_column(dimension), []).append(dimension)
    scores = "".join(
        ", avg(score) filter (where dimension in "
        f"({', '.join(quote_literal(d) for d in dims)})) as {column}"
        for column, dims in by_column.items()
    )
    try:
        engine.drop(LATEST)
        engine.execute(
            f"create temp table {LATEST} as select s.cid, q.type, q.dimension, s.answer "
            f"from {SURVEYS} s left join question_bank q "
            "on q.source = s.source and q.question_id = s.question_id "
            "qualify row_number() over (partition by s.cid, s.source, s.question_id "
            "order by s.answered_at desc nulls last, s._batch_id desc, s._line desc) = 1"
        )
        engine.drop(TEXTS)
        engine.execute(
            f"create temp table {TEXTS} as select cid, answer from {LATEST} "
            "where type = 'text' and trim(answer) <> ''"
        )
        build_keywords(engine, TEXTS, KEYWORDS)
        engine.drop(TABLE)
        engine.execute(
            f"create temp table {TABLE} as select a.*, k.survey_keywords from ("
            f"select cid, count(*) as answered_questions{scores} from ("
            "select cid, dimension, case when type = 'likert' then "
            f"try_cast(regexp_extract(answer, {quote_literal(NUMBER)}, 1) as double) end as score "
            f"from {LATEST}) group by cid) a left join {KEYWORDS} k on k.cid = a.cid"
        )
    finally:
        for name in (LATEST, TEXTS, KEYWORDS):
            engine.drop(name)
    return TABLE
