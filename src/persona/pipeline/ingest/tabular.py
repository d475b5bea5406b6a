"""Spreadsheet reader, and the text-batch pieces every tabular reader shares.

Every value is read as text (null for an empty cell or SQL NULL), so the ingest stage coerces and
validates every format the same way and can name the row that failed: each batch starts with a
`_line` column holding the row number as Excel shows it, or the 1-based row ordinal of a database
result. `TabularData`, `to_text`, `deduplicate` and the Arrow helpers here are shared with the
database reader in `persona.pipeline.ingest.database`.

Example:
    >>> data = read_xlsx(Path("data/survey.xlsx"), sheet="answers")  # doctest: +SKIP
    >>> data.columns, data.description  # doctest: +SKIP
    (['客户编号', '问题', '答案'], "data/survey.xlsx, sheet 'answers'")
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from persona.model.errors import SourceError
from persona.model.suggest import did_you_mean

LINE_COLUMN = "_line"

Rows = Sequence[Sequence[Any]]


@dataclass(frozen=True)
class TabularData:
    """A table read from a spreadsheet or a database, as a stream of text batches.

    Attributes:
        columns: Source column names as the source spells them; a repeated name gets a `_2`,
            `_3` ... suffix and an empty spreadsheet header becomes `column_<n>`.
        duplicates: The names that occurred more than once in the header.
        batches: Record batches with `_line` (int64) first and one nullable string column per
            entry of `columns`; always at least one batch (an empty one when there are no rows).
            Iterate once; a database connection closes when the stream ends or is dropped.
        description: What was read, for messages, never with a password.
    """

    columns: list[str]
    duplicates: list[str]
    batches: Iterator[pa.RecordBatch]
    description: str

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema of every batch."""
        return arrow_schema(self.columns)

    def read_all(self) -> pa.Table:
        """Consume the batches into one Arrow table."""
        return pa.Table.from_batches(list(self.batches), schema=self.schema)


def to_text(value: object) -> str | None:
    """Return a cell or SQL value as the text Persona ingests, or None for a missing value.

    Integral floats lose their ".0" (Excel stores every number, phone numbers too, as a float),
    dates and times are ISO 8601 with a space, JSON documents stay JSON and bytes become hex.

    Example:
        >>> [to_text(v) for v in (13812345678.0, 12.5, True, "", date(2023, 1, 5))]
        ['13812345678', '12.5', 'true', None, '2023-01-05']
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def read_xlsx(
    path: Path, sheet: str | int | None = None, *, batch_rows: int = 50_000
) -> TabularData:
    """Read one sheet of an Excel workbook (xlsx, also xlsm, xls, xlsb, ods) as text batches.

    The first non-empty row is the header; rows that are entirely empty are skipped, and `_line`
    keeps each row's number as Excel shows it.

    Args:
        path: The workbook.
        sheet: A sheet name, a 0-based sheet index, or None for the first visible sheet.
        batch_rows: Rows per record batch.

    Returns:
        The sheet's columns and a stream of batches.

    Raises:
        SourceError: the file is missing or not a workbook, the sheet does not exist or is empty.

    Example:
        >>> data = read_xlsx(Path("survey.xlsx"), sheet="answers")  # doctest: +SKIP
        >>> data.read_all().column("_line").to_pylist()[:2]  # doctest: +SKIP
        [2, 3]
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, not {batch_rows}")
    if not path.is_file():
        problem = "is a folder, not a workbook" if path.is_dir() else "not found"
        raise SourceError(f"{path}: {problem}; check `path:` in persona.yaml")
    try:
        with CalamineWorkbook.from_path(path) as workbook:
            index = _sheet_index(path, workbook, sheet)
            name = workbook.sheet_names[index]
            worksheet = workbook.get_sheet_by_index(index)
    except PasswordError:
        raise SourceError(
            f"{path} is protected by a password; open it in Excel, remove the password "
            "(File > Info > Protect Workbook) and save it again"
        ) from None
    except (CalamineError, OSError) as exc:
        raise SourceError(
            f"{path} is not a readable Excel workbook ({exc}); open it in Excel and save it as "
            ".xlsx, or if it is a CSV file, name it .csv or set `format: csv`"
        ) from None
    description = f"{path}, sheet {name!r}"
    rows = iter(worksheet.iter_rows())  # row i is Excel row i + 1, leading empty rows included
    for number, row in enumerate(rows, start=1):
        if not _is_blank(row):
            first_column = (worksheet.start or (0, 0))[1] + 1
            header = [to_text(cell) or f"column_{first_column + i}" for i, cell in enumerate(row)]
            columns, duplicates = deduplicate(header)
            batches = _sheet_batches(rows, number + 1, arrow_schema(columns), batch_rows)
            return TabularData(columns, duplicates, batches, description)
    raise SourceError(
        f"{path}: sheet {name!r} is empty; put a header row and data in it, or choose "
        "another sheet with `sheet:`"
    )


def deduplicate(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Make column names unique: a repeated name gets `_2`, `_3` ... (never clashing).

    `_line` is reserved for the row number, so a source column of that name is renamed too.

    Returns:
        The unique names, and the names that were repeated.

    Example:
        >>> deduplicate(["id", "phone", "id"])
        (['id', 'phone', 'id_2'], ['id'])
    """
    original = set(names)
    used = {LINE_COLUMN}
    unique: list[str] = []
    duplicates: list[str] = []
    for name in names:
        if name in used:
            if name not in duplicates:
                duplicates.append(name)
            suffix = 2
            while f"{name}_{suffix}" in used or f"{name}_{suffix}" in original:
                suffix += 1
            name = f"{name}_{suffix}"
        used.add(name)
        unique.append(name)
    return unique, duplicates


# -- spreadsheets ---------------------------------------------------------------------------


def _sheet_index(path: Path, workbook: CalamineWorkbook, sheet: str | int | None) -> int:
    names = workbook.sheet_names
    listing = ", ".join(f"{i}: {n!r}" for i, n in enumerate(names))
    if sheet is None:
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
                return index
        return 0
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return sheet
        raise SourceError(
            f"{path} has no sheet number {sheet} (sheets count from 0); its sheets are {listing}"
        )
    if sheet in names:
        return names.index(sheet)
    raise SourceError(
        f"{path} has no sheet {sheet!r}{did_you_mean(sheet, names)}; its sheets are {listing}; "
        "fix `sheet:` in persona.yaml"
    )


def _is_blank(row: Sequence[Any]) -> bool:
    return all(cell is None or cell == "" for cell in row)


def _sheet_batches(
    rows: Iterator[list[Any]], first_line: int, schema: pa.Schema, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    lines: list[int] = []
    buffer: list[list[Any]] = []
    produced = False
    for number, row in enumerate(rows, start=first_line):
        if _is_blank(row):
            continue
        lines.append(number)
        buffer.append(row)
        if len(buffer) >= batch_rows:
            yield record_batch(schema, lines, buffer)
            lines, buffer, produced = [], [], True
    if buffer or not produced:
        yield record_batch(schema, lines, buffer)


# -- shared ---------------------------------------------------------------------------------


def arrow_schema(columns: Sequence[str]) -> pa.Schema:
    """The Arrow schema of a reader's batches: ``_line`` then every column as text."""
    fields = [pa.field(LINE_COLUMN, pa.int64(), nullable=False)]
    fields += [pa.field(name, pa.string()) for name in columns]
    return pa.schema(fields)


def record_batch(schema: pa.Schema, lines: Sequence[int], rows: Rows) -> pa.RecordBatch:
    """One Arrow batch of rows (already text) with their line numbers."""
    width = len(schema) - 1
    cells = list(zip(*rows, strict=True)) if rows else [()] * width
    arrays = [pa.array(lines, pa.int64())]
    arrays += [
        pa.array([v if v.__class__ is str and v else to_text(v) for v in column], pa.string())
        for column in cells
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
