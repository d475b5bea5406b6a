"""The engine seam: the small protocol that pipeline code is written against.

Only `persona.engine.duckdb` (and later `persona.engine.spark`) implement it; nothing else in
the project imports a database engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa


def quote_identifier(name: str) -> str:
    """Quote a column or table name for SQL (ANSI double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal for SQL."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class CsvDialect:
    """How to parse one delimited text file (decided by Persona's own sniffing).

    Attributes:
        delimiter: The field separator.
        header: Whether the first record is a header.
        columns: Column names, in file order (from the header, or column_1 ...).
    """

    delimiter: str
    header: bool
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Rejected:
    """A record the engine's parser could not split into fields.

    Attributes:
        line: The record's line (1-based, counting the header; a quoted field spanning several
            physical lines counts as one).
        error: The parser's error class, e.g. ``TOO MANY COLUMNS``.
        message: The parser's message.
        raw: The record's raw text.
    """

    line: int
    error: str
    message: str
    raw: str


@dataclass(frozen=True)
class CsvScan:
    """A delimited file, ready to be read once inside a statement.

    Attributes:
        relation: SQL of a subquery yielding ``_line`` (NULL until `number_loaded_lines`) and
            every column as text, in file order.
        sample: SQL of a subquery over the same file's first rows, for sniffing values.
        rejects: Name of the table where the parser stores rejected records while reading.
        first_line: The line of the first data record (2 with a header).
    """

    relation: str
    sample: str
    rejects: str
    first_line: int


class Engine(Protocol):
    """What the pipeline needs from a database engine."""

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement that returns nothing."""

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows."""

    def fetch_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a pandas DataFrame."""

    def transaction(self) -> AbstractContextManager[None]:
        """Run the block in one transaction: committed on success, rolled back on error."""

    def table_exists(self, name: str) -> bool:
        """Whether a table (or temp table) of that name exists."""

    def table_columns(self, name: str) -> list[str]:
        """The columns of a table, in order."""

    def drop(self, name: str) -> None:
        """Drop a table or view if it exists."""

    def insert_rows(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Append Python rows (in the table's column order) to a table."""

    def scan_csv(self, path: Path, dialect: CsvDialect) -> CsvScan:
        """Prepare a single parallel read of a UTF-8 delimited file (see `CsvScan`)."""

    def csv_rejects(self, scan: CsvScan) -> list[Rejected]:
        """After the scan's relation was read: the records its parser rejected (and forget them)."""

    def number_loaded_lines(
        self, table: str, batch_id: int, first_line: int, rejected: list[int]
    ) -> None:
        """Set ``_line`` of a batch inserted in this transaction from its insertion order.

        The k-th loaded row (0-based) is on line k + first_line + the number of `rejected`
        records (their lines) before it.
        """

    def renumber_lines(
        self, table: str, where: str, params: Sequence[Any], rejected: list[int], first_line: int
    ) -> None:
        """Shift ``_line`` of the rows of `table` matching `where` past the rejected records.

        The k-th loaded record (0-based) is on line k + first_line + the number of rejected
        records before it.
        """

    def stage_lines(self, table: str, path: Path) -> list[Rejected]:
        """Load a UTF-8 text file into temp `table` (``_line BIGINT, line VARCHAR``)."""

    def stage_json_array(self, table: str, path: Path) -> None:
        """Load a JSON array file into temp `table` (``_line BIGINT, line VARCHAR``)."""

    def stage_parquet(self, table: str, paths: Sequence[Path]) -> None:
        """Load parquet files into temp `table` as text columns plus ``_line`` (row number)."""

    def stage_arrow(self, table: str, batches: Iterator[pa.RecordBatch]) -> None:
        """Load a stream of Arrow record batches into temp `table`."""

    def close(self) -> None:
        """Release the engine's resources."""
