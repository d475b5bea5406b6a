"""The question bank of a surveys source: what each question asks, which dimension it measures."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from persona.config import Source
from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.model.errors import MappingError, SourceError
from persona.pipeline.ingest.files import snake_case
from persona.pipeline.ingest.stage import STAGE, materialize, stage_file

QUESTION_COLUMNS = ("question_id", "text", "type", "dimension")
QUESTION_TYPES = ("likert", "choice", "multi", "text")


def load_question_bank(engine: Engine, source: Source, project_dir: Path) -> int:
    """Replace the source's question bank in the store with the file's; return its size.

    The file (csv, xlsx, ...) has columns question_id, text, type (likert, choice, multi, text)
    and dimension (the psychographic dimension the question measures; may be empty); any other
    column is kept as an extra attribute.

    Raises:
        SourceError: when the file is missing or unreadable.
        MappingError: when a column is missing or a type is unknown.
    """
    assert source.question_bank is not None
    path = Path(source.question_bank)
    path = path if path.is_absolute() else project_dir / path
    if not path.is_file():
        raise SourceError(
            f"source {source.name!r}: question bank {path} does not exist; check `question_bank:`"
        )
    bank = source.model_copy(update={"format": "auto", "question_bank": None, "columns": {}})
    with ExitStack() as scratch:
        staged = materialize(engine, stage_file(engine, bank, path, scratch))
    lowered = {c.lower().strip(): c for c in staged.columns}
    missing = [c for c in QUESTION_COLUMNS if c not in lowered]
    if missing:
        raise MappingError(
            f"question bank {path}: missing column(s) {', '.join(missing)}; it needs "
            f"{', '.join(QUESTION_COLUMNS)} (found: {', '.join(staged.columns)})"
        )
    col = {c: quote_identifier(lowered[c]) for c in QUESTION_COLUMNS}
    bad = engine.fetch_all(
        f"select _line, {col['type']} from {STAGE} where lower(trim({col['type']})) "
        f"not in ({', '.join(repr(t) for t in QUESTION_TYPES)})"
    )
    if bad:
        line, value = bad[0]
        raise MappingError(
            f"question bank {path}, line {line}: type {value!r} is not one of "
            f"{', '.join(QUESTION_TYPES)} ({len(bad)} such rows); fix the type column"
        )
    others = [c for c in staged.columns if c.lower().strip() not in QUESTION_COLUMNS]
    extra = (
        "json_object("
        + ", ".join(f"{quote_literal(snake_case(c))}, {quote_identifier(c)}" for c in others)
        + ")"
        if others
        else "null"
    )
    with engine.transaction():
        engine.execute("delete from question_bank where source = ?", [source.name])
        engine.execute(
            f"insert into question_bank select ?, trim({col['question_id']}), {col['text']}, "
            f"lower(trim({col['type']})), nullif(trim({col['dimension']}), ''), {extra} "
            f"from {STAGE} where nullif(trim({col['question_id']}), '') is not null",
            [source.name],
        )
    return int(
        engine.fetch_all("select count(*) from question_bank where source = ?", [source.name])[0][0]
    )
