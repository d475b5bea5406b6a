"""Staging: make one file (or one database read) readable as text columns with line numbers.

Every reader ends in the same shape, a relation with ``_line`` (the record's line or row number in
its file) and one text column per source column, plus the records the reader could not split into
fields at all. A delimited file is not copied: its relation reads the file itself, once, inside
the load statement (that keeps ingest within 2x of DuckDB's own CSV load). Other formats are
staged into a temp table first. Validation and loading (`persona.pipeline.ingest.batch`) work on
that shape.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from persona.config import Source
from persona.engine.base import CsvScan, Engine, Rejected, quote_identifier, quote_literal
from persona.model.errors import SourceError
from persona.pipeline.ingest.database import read_database
from persona.pipeline.ingest.encoding import detect_encoding, transcode_to_utf8
from persona.pipeline.ingest.files import file_format, sniff_csv
from persona.pipeline.ingest.tabular import read_xlsx

STAGE = "_stage"

_REJECT_REASONS = {
    "TOO MANY COLUMNS": "has more fields than the header; a delimiter inside a value needs quotes",
    "MISSING COLUMNS": "has fewer fields than the header; fill the missing fields or fix the line",
    "UNQUOTED VALUE": (
        "has a quote that is never closed, so the rest of the file was read as one value; "
        'close the quote (a quote inside a value is written twice: "")'
    ),
    "LINE SIZE OVER MAXIMUM": "is longer than 32 MB; split the value or the line",
    "INVALID ENCODING": (
        "is not valid text in the file's encoding (the file mixes encodings); re-save the file "
        "in one encoding (UTF-8) and re-ingest"
    ),
}


@dataclass
class Staged:
    """One file (or database read) staged for validation.

    Attributes:
        description: What was read, for messages (a path, or a URL without password).
        columns: Source column names, in order (as the source spells them).
        duplicates: Header names that occurred more than once (renamed with _2, _3 ...).
        rejected: Quarantine rows for records the reader could not parse:
            (line, column, value, reason, record).
        encoding: The text encoding read, or "" for binary formats.
        line_word: "line" for text files, "row" for spreadsheets, parquet and databases.
        record_column: A staged column holding each record's raw text, if the reader has one.
        relation: SQL of the relation to read (a table name or a subquery).
        sample: SQL of a relation over the first rows, for sniffing values.
        scan: For a delimited file, the scan whose rejected records are known only after reading.
        empty_is_null: Whether the reader already reads an empty value as NULL.
        sparse: Whether a column may be missing from one file of a source (JSON keys).
    """

    description: str
    columns: list[str]
    duplicates: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str | None, str | None, str, str]] = field(default_factory=list)
    encoding: str = ""
    line_word: str = "line"
    record_column: str | None = None
    relation: str = STAGE
    sample: str = STAGE
    scan: CsvScan | None = None
    empty_is_null: bool = False
    sparse: bool = False


def stage_file(engine: Engine, source: Source, path: Path, scratch: ExitStack) -> Staged:
    """Stage one file of a source into the temp table `STAGE`.

    Args:
        engine: The engine to stage into.
        source: The source the file belongs to.
        path: The file.
        scratch: Where temporary files are registered for clean-up.

    Raises:
        SourceError: when the file cannot be read at all.
    """
    fmt = file_format(source, path)
    if path.stat().st_size == 0:
        raise SourceError(
            f"{path}: the file is empty (0 bytes); the export probably failed, re-export it "
            "or remove it from the source's folder"
        )
    if fmt == "parquet":
        return _stage_parquet(engine, path)
    if fmt == "xlsx":
        data = read_xlsx(path, source.sheet)
        engine.stage_arrow(STAGE, data.batches)
        return Staged(data.description, data.columns, data.duplicates, line_word="row")
    detected = detect_encoding(path, source.encoding)
    readable = path
    if detected.encoding not in ("utf-8", "utf-8-sig"):
        tmp = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="persona-")))
        readable = tmp / (path.stem + ".utf8" + path.suffix)
        transcode_to_utf8(path, readable, detected.encoding)
    if fmt in ("json", "jsonl"):
        return _stage_json(engine, path, readable, fmt, detected.encoding)
    dialect, duplicates = sniff_csv(
        readable,
        "utf-8-sig",
        fmt=fmt,
        delimiter=source.delimiter,
        header=source.header,
    )
    scan = engine.scan_csv(readable, dialect)
    return Staged(
        str(path),
        list(dialect.columns),
        duplicates,
        encoding=detected.encoding,
        relation=scan.relation,
        sample=scan.sample,
        scan=scan,
        empty_is_null=True,
    )


def stage_database(engine: Engine, source: Source, project_dir: Path) -> Staged:
    """Stage a database table or query of a source into `STAGE`.

    A relative SQLite path (``sqlite:///data/shop.db``) is read from the project folder.
    """
    assert source.url is not None
    data = read_database(source.url, table=source.table, query=source.query, base_dir=project_dir)
    engine.stage_arrow(STAGE, data.batches)
    return Staged(data.description, data.columns, data.duplicates, line_word="row")


def _stage_parquet(engine: Engine, path: Path) -> Staged:
    try:
        engine.stage_parquet(STAGE, [path])
    except Exception as exc:  # the engine's own error type stays behind the seam
        raise SourceError(
            f"{path}: not a readable parquet file ({str(exc).splitlines()[0]}); "
            "re-export it, or set `format:` if it is another format"
        ) from None
    columns = [c for c in engine.table_columns(STAGE) if c != "_line"]
    return Staged(str(path), columns, line_word="row")


def _stage_json(engine: Engine, path: Path, readable: Path, fmt: str, encoding: str) -> Staged:
    lines = f"{STAGE}_lines"
    rejected: list[tuple[int, str | None, str | None, str, str]] = []
    if fmt == "json" and _starts_with_array(readable):
        try:
            engine.stage_json_array(lines, readable)
        except Exception as exc:
            raise SourceError(
                f"{path}: not a valid JSON array ({str(exc).splitlines()[0]}); fix the file, or "
                "write one JSON object per line (jsonl) so that one bad record does not stop "
                "the whole file"
            ) from None
        word = "element"
    else:
        rejected = [reject_row(r, "line") for r in engine.stage_lines(lines, readable)]
        word = "line"
    keys = [
        str(row[0])
        for row in engine.fetch_all(
            f"select k from (select distinct unnest(json_keys(line)) as k from {lines} "
            "where json_valid(line) and starts_with(ltrim(line), '{')) order by k"
        )
    ]
    rejected += [
        (int(line), None, None, reason, str(text))
        for line, reason, text in engine.fetch_all(
            f"select _line, case when json_valid(line) then 'is valid JSON but not an object; "
            "write one {...} object per line' else 'is not valid JSON (truncated or garbled); "
            "fix the line or remove it' end, line "
            f"from {lines} where trim(line) <> '' and "
            "not (json_valid(line) and starts_with(ltrim(line), '{')) order by _line"
        )
    ]
    extracted = ", ".join(
        f"json_extract_string(line, {quote_literal(_json_path(k))}) as {quote_identifier(k)}"
        for k in keys
    )
    engine.drop(STAGE)
    engine.execute(
        f"create temp table {STAGE} as select _line, "
        f"{extracted + ', ' if extracted else ''}line as _record from {lines} "
        "where json_valid(line) and starts_with(ltrim(line), '{')"
    )
    engine.drop(lines)
    return Staged(
        str(path),
        keys,
        rejected=rejected,
        encoding=encoding,
        line_word=word,
        record_column="_record",
        sparse=True,
    )


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _starts_with_array(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")


def reject_row(rejected: Rejected, word: str) -> tuple[int, str | None, str | None, str, str]:
    """The quarantine row (line, column, value, reason, record) of a record the reader rejected."""
    reason = _REJECT_REASONS.get(rejected.error, rejected.message)
    return (rejected.line, None, None, f"{word} {rejected.line}: {reason}", rejected.raw[:10_000])


def materialize(engine: Engine, staged: Staged) -> Staged:
    """Copy a delimited file's relation into temp table `STAGE` (for small files read twice)."""
    if staged.scan is None:
        return staged
    engine.drop(STAGE)
    engine.execute(
        f"create temp table {STAGE} as select row_number() over () "
        f"+ {staged.scan.first_line - 1} as _line, * exclude (_line) from {staged.relation}"
    )
    found = engine.csv_rejects(staged.scan)
    engine.renumber_lines(STAGE, "true", [], [r.line for r in found], staged.scan.first_line)
    return Staged(
        staged.description,
        staged.columns,
        staged.duplicates,
        [*staged.rejected, *(reject_row(r, staged.line_word) for r in found)],
        staged.encoding,
        staged.line_word,
        staged.record_column,
    )


def add_absent_columns(engine: Engine, staged: Staged, absent: list[str]) -> None:
    """Add the mapped columns a sparse file lacks to `STAGE`, empty, so the load can read them."""
    for column in absent:
        engine.execute(f"alter table {STAGE} add column {quote_identifier(column)} varchar")
        staged.columns.append(column)
