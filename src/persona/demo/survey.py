"""The psychographic survey: answers in long form (data/survey.xlsx) and its question bank.

Each archetype scores differently on the six dimensions (price-sensitive people agree that they
compare prices, high-value ones that they stay loyal ...), picks its own channels, household and
categories, and writes its own needs and pain points.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from persona.demo import textops as tx
from persona.demo.archetypes import ARCHETYPES, archetype_table, weight_table
from persona.demo.crm import CrmKeys
from persona.demo.ledger import QuarantineLedger, planted
from persona.demo.orders import session_hours
from persona.demo.people import Population, sample_rows
from persona.demo.timeline import DAY, WINDOW_DAYS, day_start
from persona.demo.vocab import QUESTIONS
from persona.demo.xlsx import write_xlsx

SURVEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "zh": ("客户编号", "题目编号", "答案", "提交时间", "问卷渠道"),
    "en": ("respondent_id", "question_id", "answer", "answered_at", "survey_channel"),
}
SURVEY_CANONICAL = ("customer_key", "question_id", "answer", "answered_at")
SHEET = "answers"
MAX_RESPONDENTS = 30_000
"""A survey reaches a sample: at most this many respondents, so the sheet stays under 600k rows."""
SURVEY_START_DAY = 110
_CHANNELS = {"zh": ("短信", "微信", "App"), "en": ("SMS", "WeChat", "App")}
_TEXT_RATE = {"Q16": 0.5, "Q17": 0.45}


@dataclass(frozen=True)
class SurveyResult:
    """Answer rows written, and which people responded."""

    answers: int
    respondent: np.ndarray


def survey_mapping(lang: str) -> dict[str, str]:
    """Return the persona.yaml `columns:` of the survey source."""
    return dict(zip(SURVEY_CANONICAL, SURVEY_COLUMNS[lang], strict=False))


def write_survey(
    out: Path,
    population: Population,
    keys: CrmKeys,
    rng: np.random.Generator,
    lang: str,
    ledger: QuarantineLedger,
) -> SurveyResult:
    """Write data/survey.xlsx and data/questions.csv; plant empty answers.

    Args:
        out: The project folder.
        population: The true people.
        keys: Their CRM keys; only CRM customers get the survey.
        rng: Random generator.
        lang: ``zh`` or ``en``.
        ledger: Receives the expected quarantine counts.

    Returns:
        The number of answer rows and a per-person respondent flag.
    """
    write_questions(out / "data" / "questions.csv", lang)
    has_key = pc.is_valid(keys.primary).to_numpy(zero_copy_only=False)
    rate = np.array([a.survey_rate for a in ARCHETYPES])[population.archetype]
    person = np.flatnonzero(has_key & (rng.random(population.size) < rate))
    if len(person) > MAX_RESPONDENTS:
        person = np.sort(rng.choice(person, MAX_RESPONDENTS, replace=False))
    kind = population.archetype[person]
    count = len(person)
    answers = _answers(person, kind, rng, lang)
    answered = np.ones((count, len(QUESTIONS)), dtype=bool)
    for q, question in enumerate(QUESTIONS):
        if question.question_id in _TEXT_RATE:
            answered[:, q] = rng.random(count) < _TEXT_RATE[question.question_id]
    who, which = np.nonzero(answered)
    size = len(who)
    answer = (
        pa.concat_arrays(answers).take(pa.array(which * count + who))
        if size
        else pa.array([], pa.string())
    )

    first = np.maximum(population.first_day[person], SURVEY_START_DAY)
    day = rng.integers(np.minimum(first, WINDOW_DAYS - 1), WINDOW_DAYS)
    start = day_start(0) + day * DAY + session_hours(rng, kind)
    step = np.arange(size) - np.searchsorted(who, who)
    seconds = start[who] + step * rng.integers(8, 40, size)
    channel = tx.pick(_CHANNELS[lang], rng.integers(0, 3, count))

    is_likert = np.array([q.type == "likert" for q in QUESTIONS], dtype=bool)
    likert = np.flatnonzero(is_likert[which])
    empty = np.sort(rng.choice(likert, min(len(likert), planted(size)), replace=False))
    mask = np.zeros(size, dtype=bool)
    mask[empty] = True
    answer = tx.where(mask, "", answer)
    columns = [
        keys.primary.take(pa.array(person[who])),
        tx.pick([q.question_id for q in QUESTIONS], which),
        answer,
        tx.datetime_text(seconds),
        channel.take(pa.array(who)),
    ]
    write_xlsx(out / "data" / "survey.xlsx", SHEET, SURVEY_COLUMNS[lang], columns)
    ledger.receive("survey", size)
    ledger.plant("survey", "missing_answer", "data/survey.xlsx", empty + 2, [""] * len(empty))
    respondent = np.zeros(population.size, dtype=bool)
    respondent[person] = True
    return SurveyResult(size, respondent)


def _answers(
    person: np.ndarray, kind: np.ndarray, rng: np.random.Generator, lang: str
) -> list[Any]:
    """Return, per question, every respondent's answer (whether or not they gave it)."""
    count = len(person)
    means = archetype_table("likert")[kind]
    bias = rng.normal(0, 0.3, count)
    result: list[Any] = []
    zh = lang == "zh"
    for question in QUESTIONS:
        options = question.options_zh if zh else question.options_en
        if question.type == "likert":
            dim = (int(question.question_id[1:]) - 1) // 2
            score = np.clip(np.round(means[:, dim] + bias + rng.normal(0, 0.75, count)), 1, 5)
            result.append(tx.num(score.astype(np.int64)))
        elif question.question_id == "Q13":
            result.append(tx.pick(options, sample_rows(rng, archetype_table("channels"), kind)))
        elif question.question_id == "Q14":
            result.append(tx.pick(options, sample_rows(rng, archetype_table("household"), kind)))
        elif question.type == "multi":
            weights = weight_table("categories")[kind] + 0.01
            keys = np.log(weights) - np.log(-np.log(rng.random(weights.shape)))
            top = np.argsort(-keys, axis=1)[:, :3]
            third = tx.nulls_where(
                rng.random(count) < 0.5, tx.join(";", tx.pick(options, top[:, 2]))
            )
            result.append(
                tx.join(
                    tx.pick(options, top[:, 0]),
                    ";",
                    tx.pick(options, top[:, 1]),
                    third,
                    skip_nulls=True,
                )
            )
        else:
            pool = [
                p
                for a in ARCHETYPES
                for p in (a.needs if question.dimension == "needs" else a.pains)
            ]
            texts = [p[0] if zh else p[1] for p in pool]
            result.append(tx.pick(texts, kind * 4 + rng.integers(0, 4, count)))
    return result


def write_questions(path: Path, lang: str) -> None:
    """Write the question bank: question_id, text, type, dimension, options (";"-separated)."""
    zh = lang == "zh"
    columns = [
        pa.array([q.question_id for q in QUESTIONS]),
        pa.array([q.text_zh if zh else q.text_en for q in QUESTIONS]),
        pa.array([q.type for q in QUESTIONS]),
        pa.array([q.dimension for q in QUESTIONS]),
        pa.array([";".join(q.options_zh if zh else q.options_en) for q in QUESTIONS]),
    ]
    with path.open("wb") as handle:
        handle.write(b"question_id,text,type,dimension,options\n")
        tx.write_lines(handle, tx.csv_lines(columns))
