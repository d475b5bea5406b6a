"""Validation and loading of one staged batch: typed rows to `raw_<kind>`, bad rows to quarantine.

A batch is atomic: its quarantine rows, its loaded rows and its `batches` row are written in one
transaction, so a killed process leaves either the whole batch or none of it. For every batch,
received = loaded + quarantined + skipped, where skipped rows are exact copies of rows an earlier
batch of the same source already loaded (overlapping daily exports).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from persona.config import Source
from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.model.errors import MappingError
from persona.model.kinds import (
    TIME_FIELDS,
    CanonicalField,
    FieldType,
    Kind,
    canonical_fields,
    raw_table,
)
from persona.model.suggest import did_you_mean
from persona.pipeline.ingest.coerce import REASONS, SLASHED_DATE, coerce
from persona.pipeline.ingest.files import snake_case
from persona.pipeline.ingest.stage import Staged, reject_row
from persona.privacy.suppression import Suppression, mark_forgotten


@dataclass(frozen=True)
class FileStamp:
    """What identifies one read of a file: its path, size, modification time and content hash."""

    file: str
    size: int | None
    mtime_ns: int | None
    content_hash: str | None


@dataclass(frozen=True)
class BatchCounts:
    """The counts of one batch; received = loaded + quarantined + skipped.

    ``forgotten`` of the skipped rows carried an identifier of a forgotten person.
    """

    received: int
    loaded: int
    quarantined: int
    skipped: int
    forgotten: int = 0


def resolve_mapping(source: Source, staged: Staged) -> tuple[dict[str, str], list[str]]:
    """Map canonical fields to staged columns: the configured `columns:`, then same-named ones.

    Returns:
        The mapping (canonical field -> column), and the mapped columns this file lacks: JSON
        keys are sparse, so an optional key absent from one file reads as empty there.

    Raises:
        MappingError: a mapped column is missing or ambiguous, or a required field is unmapped.
    """
    available = staged.columns
    fields = {f.name: f for f in canonical_fields(source.kind)}
    mapping: dict[str, str] = {}
    absent: list[str] = []
    problems: list[str] = []
    for canonical, column in source.columns.items():
        if column in staged.duplicates:
            problems.append(
                f"column {column!r} (mapped to {canonical}) appears more than once in the "
                f"header; rename one in the file, or map {column + '_2'!r} for the second"
            )
        elif column not in available and staged.sparse and not fields[canonical].required:
            mapping[canonical] = column
            absent.append(column)
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
    return mapping, absent


def _identifier_groups(kind: Kind) -> list[tuple[str, tuple[str, ...]]]:
    from persona.model.kinds import IDENTIFIERS

    if kind is Kind.RELATIONS:
        return [
            (" for the source side", tuple(f"src_{i}" for i in IDENTIFIERS)),
            (" for the destination side", tuple(f"dst_{i}" for i in IDENTIFIERS)),
        ]
    return [("", IDENTIFIERS)]


def load_staged(
    engine: Engine,
    source: Source,
    staged: Staged,
    mapping: dict[str, str],
    stamp: FileStamp,
    suppression: Suppression | None = None,
) -> BatchCounts:
    """Validate the staged batch and load it atomically; return its counts.

    One statement reads the staged relation once and writes every record into `raw_<kind>`,
    marking the bad ones (``_problem``) and the copies of already-loaded ones (``_skip``); then,
    in the same transaction, bad rows are copied to quarantine and the marks counted. After the
    commit, `settle` drops the marked rows. Only the few marked rows are touched twice.
    Rows of forgotten people (`suppression`) are marked skipped too.
    """
    fields = [f for f in canonical_fields(source.kind) if f.name in mapping]
    extras = [c for c in staged.columns if c not in mapping.values()]
    day_first = _day_first_columns(engine, source, staged, mapping, fields)
    table = raw_table(source.kind)
    has_history = bool(
        engine.fetch_all(f"select 1 from {table} where _source = ? limit 1", [source.name])
    )
    names = ", ".join(f.name for f in fields)
    with engine.transaction():
        batch_id = int(engine.fetch_all("select coalesce(max(batch_id), 0) + 1 from batches")[0][0])
        started = datetime.now(UTC)
        typed = _typed_sql(staged, mapping, fields, extras, day_first)
        skip = (
            _skip_sql(
                table,
                source.name,
                batch_id,
                mapping,
                _time_window(engine, source.kind, mapping, typed),
            )
            if has_history
            else "false"
        )
        problem = _problem_sql(source.kind, mapping, fields, _record_sql(staged, mapping, extras))
        engine.execute(
            f"insert into {table} (_batch_id, _source, _line, {names}, extra, _problem, _skip) "
            f"select {batch_id}, {quote_literal(source.name)}, _line, {names}, extra, _problem, "
            f"_problem is null and {skip} from ("
            f"select _line, {names}, extra, {problem} as _problem from ({typed}) t) t",
        )
        rejected = list(staged.rejected)
        if staged.scan is not None:
            found = engine.csv_rejects(staged.scan)
            engine.number_loaded_lines(
                table, batch_id, staged.scan.first_line, [r.line for r in found]
            )
            rejected += [reject_row(r, staged.line_word) for r in found]
        forgotten = mark_forgotten(engine, suppression, table, source.kind, batch_id)
        counts = _move_marked_rows(engine, table, batch_id, source, stamp, staged, rejected)
        counts = replace(counts, forgotten=forgotten)
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
    if counts.quarantined or counts.skipped:
        settle(engine, [source.kind])
    return counts


def settle(engine: Engine, kinds: list[Kind] | None = None) -> None:
    """Drop the marked (quarantined or skipped) rows that committed batches left in raw tables.

    Deleting them inside the batch's own transaction would make DuckDB rewrite the whole batch
    at commit (seconds per million rows), so a batch commits with them marked and they are
    dropped right after, in a transaction of their own. After a crash in between, the next
    ingest drops them first; counts and quarantine are already committed either way.
    """
    for kind in kinds or list(Kind):
        table = raw_table(kind)
        engine.execute(f"delete from {table} where _problem is not null or _skip")


def _move_marked_rows(
    engine: Engine,
    table: str,
    batch_id: int,
    source: Source,
    stamp: FileStamp,
    staged: Staged,
    rejected: list[tuple[int, str | None, str | None, str, str]],
) -> BatchCounts:
    """Copy the batch's bad rows and the rejected records into quarantine; count the marks."""
    for line, column, value, reason, record in rejected:
        engine.execute(
            "insert into quarantine values (?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, source.name, stamp.file, line, column, value, reason, record],
        )
    word = quote_literal(staged.line_word + " ")
    engine.execute(
        f"insert into quarantine select _batch_id, _source, ?, _line, "
        f"_problem ->> '$.column', _problem ->> '$.value', "
        f"{word} || _line || ': ' || (_problem ->> '$.reason'), _problem ->> '$.record' "
        f"from {table} where _batch_id = ? and _problem is not null order by _line",
        [stamp.file, batch_id],
    )
    total, problems, skipped = engine.fetch_all(
        f"select count(*), count(_problem), count(*) filter (where _skip) from {table} "
        "where _batch_id = ?",
        [batch_id],
    )[0]
    return BatchCounts(
        received=int(total) + len(rejected),
        loaded=int(total) - int(problems) - int(skipped),
        quarantined=int(problems) + len(rejected),
        skipped=int(skipped),
    )


def _skip_sql(
    table: str, source: str, batch_id: int, mapping: dict[str, str], window: str = "true"
) -> str:
    """SQL: the row equals (every field and extra) a row an earlier batch of the source loaded.

    The engine hash-joins on all the compared fields, so no stored row hash is needed; `window`
    (see `_time_window`) narrows the stored rows compared.
    """
    same = " and ".join(f"r.{f} is not distinct from t.{f}" for f in [*mapping, "extra"])
    return (
        f"exists (select 1 from {table} r where r._source = {quote_literal(source)} "
        f"and r._batch_id < {batch_id} and r._problem is null and not r._skip and {window} "
        f"and {same})"
    )


def _time_window(engine: Engine, kind: Kind, mapping: dict[str, str], typed: str) -> str:
    """SQL condition on stored rows: their time is within the new records' time range.

    A copy has the same time, so only stored rows in that range can be copies. "true" when the
    source maps no time field or a new record has none (a copy could then have none too).
    """
    time = TIME_FIELDS[kind]
    if time not in mapping:
        return "true"
    # The bounds go back into SQL as text in the column's own type (never through Python
    # datetimes, which hold neither infinity nor years past 9999).
    rows, timed, low, high, kind_of = engine.fetch_all(
        f"select count(*), count({time}), min({time})::varchar, max({time})::varchar, "
        f"any_value(typeof({time})) from ({typed}) t"
    )[0]
    if not rows or timed < rows:
        return "true"
    return (
        f"r.{time} between cast({quote_literal(low)} as {kind_of}) "
        f"and cast({quote_literal(high)} as {kind_of})"
    )


def _typed_sql(
    staged: Staged,
    mapping: dict[str, str],
    fields: list[CanonicalField],
    extras: list[str],
    day_first: set[str],
) -> str:
    """SQL: per record, ``_line``, each field's text (``_raw_<field>``) and typed value, extras.

    Each value is coerced once here; the problem checks reuse the typed value.
    """
    columns = ", ".join(
        f"{_col(mapping[f.name])} as {_raw(f.name)}, "
        f"{_typed_value(staged, mapping[f.name], f, f.name in day_first)} as {f.name}"
        for f in fields
    )
    passed = ", ".join(
        f"{_col(c)} as {_extra_raw(i)}" for i, c in enumerate(extras) if c != staged.record_column
    )
    record = f", {_col(staged.record_column)} as _record" if staged.record_column else ""
    return (
        f"select s._line, {columns}, {_extra_json(extras)} as extra"
        f"{', ' + passed if passed else ''}{record} from {staged.relation} s"
    )


def _typed_value(staged: Staged, column: str, field: CanonicalField, day_first: bool) -> str:
    if field.type is FieldType.TEXT and staged.empty_is_null:
        return _col(column)  # the reader already reads an empty value as NULL
    return coerce(_col(column), field.type, day_first=day_first)


def _record_sql(staged: Staged, mapping: dict[str, str], extras: list[str]) -> str:
    """SQL of a record's raw text as JSON (column name -> text), built only for bad records."""
    if staged.record_column:
        return "_record"
    raw = {column: _raw(field) for field, column in mapping.items()}
    raw.update({c: _extra_raw(i) for i, c in enumerate(extras)})
    pairs = ", ".join(f"{quote_literal(c)}, {raw[c]}" for c in staged.columns if c in raw)
    return f"json_object({pairs})"


def _extra_raw(index: int) -> str:
    return f"_extra_raw_{index}"


def _raw(name: str) -> str:
    return quote_identifier(f"_raw_{name}")


def _col(column: str) -> str:
    return "s." + quote_identifier(column)


def _day_first_columns(
    engine: Engine,
    source: Source,
    staged: Staged,
    mapping: dict[str, str],
    fields: list[CanonicalField],
) -> set[str]:
    """The date fields whose slashed dates (1/12/2010) put the day first.

    `day_first:` in the source decides; otherwise a value whose first number is over 12 in the
    first 100,000 rows means day first, and anything else is read month first (the US way).
    """
    dated = [f.name for f in fields if f.type in (FieldType.DATE, FieldType.TIMESTAMP)]
    if source.day_first is not None or not dated:
        return set(dated) if source.day_first else set()
    checks = ", ".join(
        f"coalesce(bool_or(try_cast(regexp_extract({_col(mapping[name])}, "
        f"{quote_literal(SLASHED_DATE)}, 1) as int) > 12), false)"
        for name in dated
    )
    row = engine.fetch_all(
        f"select {checks} from (select * from {staged.sample} s limit 100000) s"
    )[0]
    return {name for name, first in zip(dated, row, strict=True) if first}


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


def _problem_sql(
    kind: Kind, mapping: dict[str, str], fields: list[CanonicalField], record: str
) -> str:
    """SQL of a JSON object (column, value, reason, record) naming a record's first problem.

    NULL for a good record. It reads `_typed_sql`: ``_raw_<field>`` (the text) and ``<field>``
    (the typed value); the record's text is only built for a bad record.
    """
    whens: list[str] = []
    by_name = {f.name: f for f in fields}

    def problem(column: str | None, value: str, reason: str) -> str:
        col = quote_literal(column) if column else "null"
        return (
            f"json_object('column', {col}, 'value', {value}, 'reason', {reason}, "
            f"'record', {record})::varchar"
        )

    def empty(name: str) -> str:
        # Text is kept verbatim, so only NULL or '' is empty; other types ignore blanks.
        if by_name[name].type is FieldType.TEXT:
            return f"nullif({_raw(name)}, '') is null"
        return f"nullif(trim({_raw(name)}), '') is null"

    # The common case first: every check passes on cheap NULL tests of the typed values.
    good = [f"{f.name} is not null" for f in fields if f.required]
    good += [
        f"({f.name} is not null or {_raw(f.name)} is null)"
        for f in fields
        if not f.required and f.type is not FieldType.TEXT
    ]
    for _, ids in _identifier_groups(kind):
        mapped = [i for i in ids if i in mapping]
        if mapped:
            good.append("(" + " or ".join(f"{i} is not null" for i in mapped) + ")")
    if good:
        whens.append(f"when {' and '.join(good)} then null")

    for field in fields:
        column, raw = mapping[field.name], _raw(field.name)
        if field.required:
            whens.append(
                f"when {empty(field.name)} then "
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
                f"when {field.name} is null and not ({empty(field.name)}) then "
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
        mapped = [i for i in ids if i in mapping]
        if mapped:
            whens.append(
                f"when {' and '.join(empty(i) for i in mapped)} then "
                + problem(
                    None,
                    "null",
                    quote_literal(
                        f"has no identifier{side}: columns "
                        f"{', '.join(mapping[i] for i in mapped)} are all empty; every record "
                        "needs one to say who it is about"
                    ),
                )
            )
    return "case " + " ".join(whens) + " end" if whens else "null"
