"""Validation and loading of one staged batch: typed rows to `raw_<kind>`, bad rows to quarantine.

A batch is atomic: its quarantine rows, its loaded rows and its `batches` row are written in one
transaction, so a killed process leaves either the whole batch or none of it. For every batch,
received = loaded + quarantined + skipped, where skipped rows are exact copies of rows an earlier
batch of the same source already loaded (overlapping daily exports).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from persona.config import Source
from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.model.errors import MappingError
from persona.model.kinds import CanonicalField, FieldType, Kind, canonical_fields, raw_table
from persona.model.suggest import did_you_mean
from persona.pipeline.ingest.coerce import REASONS, coerce
from persona.pipeline.ingest.files import snake_case
from persona.pipeline.ingest.stage import STAGE, Staged

TYPED = "_typed"


@dataclass(frozen=True)
class FileStamp:
    """What identifies one read of a file: its path, size, modification time and content hash."""

    file: str
    size: int | None
    mtime_ns: int | None
    content_hash: str | None


@dataclass(frozen=True)
class BatchCounts:
    """The counts of one batch; received = loaded + quarantined + skipped."""

    received: int
    loaded: int
    quarantined: int
    skipped: int


def resolve_mapping(source: Source, staged: Staged) -> dict[str, str]:
    """Map canonical fields to staged columns: the configured `columns:`, then same-named ones.

    Raises:
        MappingError: a mapped column is missing or ambiguous, or a required field is unmapped.
    """
    available = staged.columns
    fields = {f.name: f for f in canonical_fields(source.kind)}
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for canonical, column in source.columns.items():
        if column in staged.duplicates:
            problems.append(
                f"column {column!r} (mapped to {canonical}) appears more than once in the "
                f"header; rename one in the file, or map {column + '_2'!r} for the second"
            )
        elif column not in available:
            problems.append(
                f"column {column!r} (mapped to {canonical}) is not in the data"
                f"{did_you_mean(column, available)}; available columns: {', '.join(available)}"
            )
        else:
            mapping[canonical] = column
    taken = set(mapping.values())
    lowered = {c.lower(): c for c in available}
    for name in fields:
        if name not in mapping and name in lowered and lowered[name] not in taken:
            mapping[name] = lowered[name]
    for field in fields.values():
        if field.required and field.name not in mapping:
            problems.append(
                f"required field {field.name!r} ({field.label_zh}) has no column; add "
                f"`{field.name}: <column>` under `columns:` (available: {', '.join(available)})"
            )
    for side, ids in _identifier_groups(source.kind):
        if not any(i in mapping for i in ids):
            problems.append(
                f"no identifier column{side}: map at least one of {', '.join(ids)} under "
                f"`columns:` (available: {', '.join(available)})"
            )
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise MappingError(f"source {source.name!r} ({staged.description}):\n{listing}")
    return mapping


def _identifier_groups(kind: Kind) -> list[tuple[str, tuple[str, ...]]]:
    from persona.model.kinds import IDENTIFIERS

    if kind is Kind.RELATIONS:
        return [
            (" for the source side", tuple(f"src_{i}" for i in IDENTIFIERS)),
            (" for the destination side", tuple(f"dst_{i}" for i in IDENTIFIERS)),
        ]
    return [("", IDENTIFIERS)]


def load_staged(
    engine: Engine, source: Source, staged: Staged, mapping: dict[str, str], stamp: FileStamp
) -> BatchCounts:
    """Validate the staged batch and load it atomically; return its counts."""
    fields = [f for f in canonical_fields(source.kind) if f.name in mapping]
    extras = [c for c in staged.columns if c not in mapping.values()]
    _build_typed(engine, source, staged, mapping, fields, extras)
    table = raw_table(source.kind)
    has_history = bool(
        engine.fetch_all(f"select 1 from {table} where _source = ? limit 1", [source.name])
    )
    word = staged.line_word
    with engine.transaction():
        batch_id = int(engine.fetch_all("select coalesce(max(batch_id), 0) + 1 from batches")[0][0])
        started = datetime.now(UTC)
        for line, column, value, reason, record in staged.rejected:
            engine.execute(
                "insert into quarantine values (?, ?, ?, ?, ?, ?, ?, ?)",
                [batch_id, source.name, stamp.file, line, column, value, reason, record],
            )
        record = (
            f"s.{quote_identifier(staged.record_column)}"
            if staged.record_column
            else "json_object("
            + ", ".join(f"{quote_literal(c)}, s.{quote_identifier(c)}" for c in staged.columns)
            + ")"
        )
        engine.execute(
            f"insert into quarantine select ?, ?, ?, t._line, t._problem.column, "
            f"t._problem.value, '{word} ' || t._line || ': ' || t._problem.reason, {record} "
            f"from {TYPED} t join {STAGE} s on s._line = t._line "
            "where t._problem is not null order by t._line",
            [batch_id, source.name, stamp.file],
        )
        names = ", ".join(f.name for f in fields)
        duplicate_of_loaded = ""
        if has_history:
            same = " and ".join(f"r.{f} is not distinct from t.{f}" for f in [*mapping, "extra"])
            duplicate_of_loaded = (
                f" and not exists (select 1 from {table} r where r._source = "
                f"{quote_literal(source.name)} and r._row_hash = t._row_hash and {same})"
            )
        engine.execute(
            f"insert into {table} (_batch_id, _source, _line, _row_hash, {names}, extra) "
            f"select ?, ?, _line, _row_hash, {names}, extra from {TYPED} t "
            f"where _problem is null{duplicate_of_loaded} order by _line",
            [batch_id, source.name],
        )
        typed_rows, problems = engine.fetch_all(f"select count(*), count(_problem) from {TYPED}")[0]
        loaded = int(
            engine.fetch_all(f"select count(*) from {table} where _batch_id = ?", [batch_id])[0][0]
        )
        counts = BatchCounts(
            received=int(typed_rows) + len(staged.rejected),
            loaded=loaded,
            quarantined=int(problems) + len(staged.rejected),
            skipped=int(typed_rows) - int(problems) - loaded,
        )
        engine.execute(
            "insert into batches values (?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?)",
            [
                batch_id,
                source.name,
                source.kind.value,
                stamp.file,
                stamp.size,
                stamp.mtime_ns,
                stamp.content_hash,
                staged.encoding,
                started,
                counts.received,
                counts.loaded,
                counts.quarantined,
                counts.skipped,
            ],
        )
    engine.drop(TYPED)
    return counts


def _build_typed(
    engine: Engine,
    source: Source,
    staged: Staged,
    mapping: dict[str, str],
    fields: list[CanonicalField],
    extras: list[str],
) -> None:
    typed = ", ".join(
        f"{coerce('s.' + quote_identifier(mapping[f.name]), f.type)} as {f.name}" for f in fields
    )
    extra = _extra_json(extras)
    hashed = ", ".join([*(f.name for f in fields), "extra"])
    engine.drop(TYPED)
    engine.execute(
        f"create temp table {TYPED} as select *, hash({hashed}) as _row_hash from ("
        f"select s._line, {typed}, {extra} as extra, {_problem_case(source.kind, mapping, fields)} "
        f"as _problem from {STAGE} s)"
    )


def _extra_json(extras: list[str]) -> str:
    if not extras:
        return "null::varchar"
    names: dict[str, str] = {}
    for column in extras:
        name = snake_case(column)
        while name in names.values():
            name += "_"
        names[column] = name
    pairs = ", ".join(
        f"{quote_literal(names[c])}, s.{quote_identifier(c)}" for c in extras if c != "_record"
    )
    return f"json_object({pairs})::varchar" if pairs else "null::varchar"


def _problem_case(kind: Kind, mapping: dict[str, str], fields: list[CanonicalField]) -> str:
    """SQL of a struct (column, value, reason) naming a row's first problem, or NULL."""
    whens: list[str] = []

    def problem(column: str | None, value: str, reason: str) -> str:
        col = quote_literal(column) if column else "null"
        return f"{{'column': {col}::varchar, 'value': {value}::varchar, 'reason': {reason}}}"

    for field in fields:
        column = mapping[field.name]
        raw = "s." + quote_identifier(column)
        empty = f"nullif(trim({raw}), '') is null"
        if field.required:
            whens.append(
                f"when {empty} then "
                + problem(
                    column,
                    raw,
                    quote_literal(
                        f"required field {field.name} (column {column!r}) is empty; fill it in, "
                        "or map another column to it"
                    ),
                )
            )
        if field.type is not FieldType.TEXT:
            whens.append(
                f"when not ({empty}) and {coerce(raw, field.type)} is null then "
                + problem(
                    column,
                    raw,
                    (
                        quote_literal(f"{field.name} (column {column!r}): '")
                        + f" || left({raw}, 200) || "
                        + quote_literal(f"' {REASONS[field.type]}")
                    ),
                )
            )
    for side, ids in _identifier_groups(kind):
        mapped = [mapping[i] for i in ids if i in mapping]
        if mapped:
            present = " and ".join(
                f"nullif(trim(s.{quote_identifier(c)}), '') is null" for c in mapped
            )
            whens.append(
                f"when {present} then "
                + problem(
                    None,
                    "null",
                    quote_literal(
                        f"has no identifier{side}: columns {', '.join(mapped)} are all empty; "
                        "every record needs one to say who it is about"
                    ),
                )
            )
    return "case " + " ".join(whens) + " end" if whens else "null"
