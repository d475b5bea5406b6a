"""The default engine: DuckDB embedded in the process, one file in the project folder."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from persona.engine.base import CsvDialect, CsvScan, Rejected, quote_identifier, quote_literal
from persona.model.errors import EngineError, StoreError

MAX_LINE_BYTES = 32 * 1024 * 1024
"""Longest record the CSV reader accepts; longer ones are quarantined, not fatal."""


class DuckDBEngine:
    """An `Engine` on a DuckDB database file (or in memory when `path` is None).

    Args:
        path: The database file; created if missing.
        timezone: Session time zone, used to read timestamps written without a zone.
        memory_limit: DuckDB's memory limit; larger work spills to `temp_directory`.
        temp_directory: Where DuckDB spills; defaults to a folder next to the database.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        timezone: str = "Asia/Shanghai",
        memory_limit: str = "3GB",
        temp_directory: Path | None = None,
    ) -> None:
        self.path = path
        self.timezone = timezone
        self.memory_limit = memory_limit
        config: dict[str, Any] = {"memory_limit": memory_limit}
        if temp_directory is None and path is not None:
            temp_directory = path.parent / "tmp"
        if temp_directory is not None:
            config["temp_directory"] = str(temp_directory)
        try:
            self._con = duckdb.connect(str(path) if path else ":memory:", config=config)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreError(
                    f"the store {path} is in use by another Persona process; "
                    "wait for it to finish (or stop it) and try again"
                ) from None
            raise StoreError(f"cannot open the store {path}: {exc}") from None
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot open the store {path}: {exc}; if the file is damaged, move it away "
                "and run `persona ingest` to rebuild it from the sources"
            ) from None
        self._lock = threading.RLock()
        self._staged = 0
        # ICU (time zones) loads on first use, so the zone is set after connecting.
        self.execute(f"set TimeZone = {quote_literal(timezone)}")
        # No progress bar: a library must not write to stdout (it would break --json output).
        self.execute("set enable_progress_bar = false")

    # -- plain statements -------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement that returns nothing."""
        self._run(sql, params)

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""
        rows: list[tuple[Any, ...]] = self._run(sql, params).fetchall()
        return rows

    def fetch_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a pandas DataFrame."""
        frame: pd.DataFrame = self._run(sql, params).df()
        return frame

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one transaction: committed on success, rolled back on error."""
        with self._lock:
            self._con.begin()
            try:
                yield
            except BaseException:
                self._con.rollback()
                raise
            self._con.commit()

    def table_exists(self, name: str) -> bool:
        """Whether a table, temp table or view of that name exists."""
        rows = self.fetch_all(
            "select 1 from duckdb_tables() where table_name = ? "
            "union all select 1 from duckdb_views() where view_name = ? and not internal",
            [name, name],
        )
        return bool(rows)

    def drop(self, name: str) -> None:
        """Drop a table or view if it exists."""
        for kind, catalog, column in (
            ("view", "duckdb_views()", "view_name"),
            ("table", "duckdb_tables()", "table_name"),
        ):
            if self.fetch_all(f"select 1 from {catalog} where {column} = ?", [name]):
                self.execute(f"drop {kind} {quote_identifier(name)}")

    def insert_rows(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Append Python rows (in the table's column order) to a table, as one Arrow batch."""
        if not rows:
            return
        columns = self.table_columns(table)
        data = pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)})
        view = f"_rows_{table}"
        with self._lock:
            self._con.register(view, data)
            try:
                self.execute(f"insert into {quote_identifier(table)} select * from {view}")
            finally:
                self._con.unregister(view)

    def table_columns(self, name: str) -> list[str]:
        """The columns of a table or view, in order."""
        rel = self._con.sql(f"select * from {quote_identifier(name)} limit 0")
        return list(rel.columns)

    def close(self) -> None:
        """Close the connection (and checkpoint the file)."""
        self._con.close()

    def copy_to(self, target: Path) -> None:
        """Write every table of the database into a new file `target` (replaced if present).

        Deleted rows are not copied, so unlike a checkpoint this leaves none of their bytes in
        `target` (``persona forget`` swaps the copy in for the store).
        """
        for stale in (target, target.with_name(target.name + ".wal")):
            stale.unlink(missing_ok=True)
        name = str(self.fetch_all("select current_database()")[0][0])
        self.execute(f"attach {quote_literal(str(target))} as _copy")
        try:
            self.execute(f"copy from database {quote_identifier(name)} to _copy")
        finally:
            self.execute("detach _copy")

    # -- staging: reading files into temp tables --------------------------------------------

    def scan_csv(self, path: Path, dialect: CsvDialect) -> CsvScan:
        """Prepare a single parallel read of a UTF-8 delimited file (see `CsvScan`)."""
        columns = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in dialect.columns) + "}"
        options = (
            f"columns={columns}, header={str(dialect.header).lower()}, "
            f"delim={quote_literal(dialect.delimiter)}, quote='\"', escape='\"', "
            f"auto_detect=false, strict_mode=true, max_line_size={MAX_LINE_BYTES}, "
            f"buffer_size={2 * MAX_LINE_BYTES}"
        )
        self._staged += 1
        rejects, scan = f"_rejects_{self._staged}", f"_rejects_scan_{self._staged}"
        first_line = 2 if dialect.header else 1
        source = quote_literal(str(path))
        return CsvScan(
            # No row_number() here: it would read the file on one thread. Lines are numbered
            # after the load from the rows' insertion order (`number_loaded_lines`).
            relation=(
                f"(select null::bigint as _line, * from read_csv("
                f"{source}, {options}, store_rejects=true, rejects_table={quote_literal(rejects)}, "
                f"rejects_scan={quote_literal(scan)}))"
            ),
            sample=(
                f"(select * from read_csv({source}, {options}, ignore_errors=true) limit 100000)"
            ),
            rejects=rejects,
            first_line=first_line,
        )

    def csv_rejects(self, scan: CsvScan) -> list[Rejected]:
        """After the scan's relation was read: the records its parser rejected (and forget them)."""
        if not self.table_exists(scan.rejects):
            return []
        rows = self.fetch_all(
            f"select line, any_value(error_type::varchar), any_value(error_message), "
            f"any_value(csv_line) from {scan.rejects} group by line order by line"
        )
        self.drop(scan.rejects)
        self.drop(scan.rejects.replace("_rejects_", "_rejects_scan_"))
        return [Rejected(int(r[0]), str(r[1]), str(r[2]), str(r[3] or "")) for r in rows]

    def number_loaded_lines(
        self, table: str, batch_id: int, first_line: int, rejected: list[int]
    ) -> None:
        """Set ``_line`` of a batch just inserted in this transaction, in one update.

        DuckDB keeps the reader's file order when inserting (preserve_insertion_order), and the
        rows a transaction appends get increasing row ids, so the k-th row (0-based) is on line
        k + first_line + the number of rejected records before it.
        """
        base = self.fetch_all(f"select min(rowid) from {table} where _batch_id = ?", [batch_id])
        if base[0][0] is None:
            return
        rank = f"(rowid - {int(base[0][0])})"
        self.execute(
            f"update {table} set _line = {rank} + {first_line} + "
            f"{_shift_sql(rank, rejected, first_line)} where _batch_id = ?",
            [batch_id],
        )

    def renumber_lines(
        self, table: str, where: str, params: Sequence[Any], rejected: list[int], first_line: int
    ) -> None:
        """Shift ``_line`` of the rows of `table` matching `where` past the rejected records."""
        if not rejected:
            return
        first_shifted = min(line - i - first_line for i, line in enumerate(sorted(rejected)))
        rank = f"(_line - {first_line})"
        self.execute(
            f"update {table} set _line = _line + {_shift_sql(rank, rejected, first_line)} "
            f"where {where} and {rank} >= {first_shifted}",
            params,
        )

    def stage_lines(self, table: str, path: Path) -> list[Rejected]:
        """Load a UTF-8 text file line by line into temp `table` (``_line``, ``line``)."""
        # A unit separator cannot appear unescaped in valid JSON, so no line is ever split.
        options = "columns={'line': 'VARCHAR'}, header=false, delim='\x1f', quote='', escape=''"
        return self._stage_text(table, path, options, first_line=1)

    def _stage_text(self, table: str, path: Path, options: str, first_line: int) -> list[Rejected]:
        self._staged += 1
        scan, errors = f"_rejects_scan_{self._staged}", f"_rejects_{self._staged}"
        body = f"_body_{table}"
        self.drop(table)
        self.execute(
            f"create or replace temp table {body} as select * from read_csv("
            f"{quote_literal(str(path))}, {options}, auto_detect=false, strict_mode=true, "
            f"store_rejects=true, rejects_scan={quote_literal(scan)}, "
            f"rejects_table={quote_literal(errors)}, "
            f"max_line_size={MAX_LINE_BYTES}, buffer_size={2 * MAX_LINE_BYTES})"
        )
        rows = self.fetch_all(
            f"select line, any_value(error_type::varchar), any_value(error_message), "
            f"any_value(csv_line) from {errors} group by line order by line"
        )
        self.execute(f"drop table if exists {errors}")
        self.execute(f"drop table if exists {scan}")
        rejected = [Rejected(int(r[0]), str(r[1]), str(r[2]), str(r[3] or "")) for r in rows]
        self._number_lines(table, body, [r.line for r in rejected], first_line)
        return rejected

    def _number_lines(self, table: str, body: str, rejected: list[int], first_line: int) -> None:
        """Create view `table` over `body` with each record's line number as ``_line``.

        The reader keeps file order, so the k-th loaded record (0-based) is on line
        k + first_line + the number of rejected records before it.
        """
        self.execute(
            f"create or replace temp view {table} as select _ord + {first_line} + "
            f"{_shift_sql('b._ord', rejected, first_line)} as _line, b.* exclude (_ord) "
            f"from (select rowid as _ord, * from {body}) b"
        )

    def stage_json_array(self, table: str, path: Path) -> None:
        """Load a JSON array file into temp `table` (``_line`` = element number, ``line``)."""
        self.drop(table)
        self.execute(
            f"create or replace temp table {table} as "
            f"select row_number() over () as _line, json::varchar as line from read_json("
            f"{quote_literal(str(path))}, format='array', records=false, "
            "columns={'json': 'JSON'}, "
            f"maximum_object_size={MAX_LINE_BYTES})"
        )

    def stage_parquet(self, table: str, paths: Sequence[Path]) -> None:
        """Load parquet files into temp `table` as text columns plus ``_line`` (row, 1-based)."""
        files = "[" + ", ".join(quote_literal(str(p)) for p in paths) + "]"
        relation = f"read_parquet({files}, file_row_number=true)"
        described = self.fetch_all(f"describe select * from {relation}")
        self.drop(table)
        casts = ", ".join(
            f"{_as_text(quote_identifier(name), str(type_))} as {quote_identifier(name)}"
            for name, type_, *_ in described
            if name != "file_row_number"
        )
        self.execute(
            f"create or replace temp table {table} as "
            f"select file_row_number + 1 as _line, {casts} from {relation}"
        )

    def stage_table(self, table: str, data: pa.Table) -> None:
        """Load an Arrow table (possibly empty) into temp `table`, replacing it."""
        view = f"_arrow_{table}"
        with self._lock:
            self._con.register(view, data)
            try:
                self.execute(
                    f"create or replace temp table {quote_identifier(table)} as "
                    f"select * from {view}"
                )
            finally:
                self._con.unregister(view)

    def stage_arrow(self, table: str, batches: Iterator[pa.RecordBatch]) -> None:
        """Load a stream of Arrow record batches into temp `table`, batch by batch."""
        first = True
        for batch in batches:
            view = f"_arrow_{table}"
            self._con.register(view, pa.Table.from_batches([batch]))
            if first:
                self.drop(table)
                self.execute(f"create or replace temp table {table} as select * from {view}")
                first = False
            else:
                self.execute(f"insert into {table} select * from {view}")
            self._con.unregister(view)
        if first:
            raise EngineError(f"no data to stage into {table}")

    # -- internals --------------------------------------------------------------------------

    def _run(self, sql: str, params: Sequence[Any] | None) -> duckdb.DuckDBPyConnection:
        with self._lock:
            try:
                return self._con.execute(sql, params) if params else self._con.execute(sql)
            except duckdb.Error as exc:
                raise EngineError(str(exc), sql) from exc


class LockedReader:
    """A read-only, locked DuckDB connection for queries that carry user expressions.

    It attaches one database file read-only, then disables external access (no file, URL
    or extension can be read or written: ``read_csv``, ``COPY``, ``ATTACH``, ``INSTALL``
    all fail) and locks the configuration, so nothing run on it can turn either back on.
    The user's text still reaches SQL only through the expression compiler; this is the
    second wall (DESIGN.md section 7).

    Args:
        path: The database file to read (e.g. ``.persona/audience.duckdb``).
        memory_limit: DuckDB's memory limit for this connection.
    """

    def __init__(self, path: Path, *, memory_limit: str = "2GB") -> None:
        self.path = path
        try:
            self._con = duckdb.connect(":memory:", config={"memory_limit": memory_limit})
            self._con.execute(f"attach {quote_literal(str(path))} as locked (read_only)")
            self._con.execute("use locked")
            self._con.execute("set enable_progress_bar = false")
            self._con.execute("set enable_external_access = false")
            self._con.execute("set lock_configuration = true")
        except duckdb.Error as exc:
            raise StoreError(f"cannot open {path} for reading: {exc}") from None
        self._lock = threading.RLock()

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""
        rows: list[tuple[Any, ...]] = self._run(sql, params).fetchall()
        return rows

    def fetch_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a pandas DataFrame."""
        frame: pd.DataFrame = self._run(sql, params).df()
        return frame

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return an Arrow table."""
        with self._lock:
            try:
                table: pa.Table = self._con.sql(sql, params=params).to_arrow_table()
            except duckdb.Error as exc:
                raise EngineError(str(exc), sql) from exc
        return table

    def close(self) -> None:
        """Close the connection (the file is released)."""
        self._con.close()

    def _run(self, sql: str, params: Sequence[Any] | None) -> duckdb.DuckDBPyConnection:
        with self._lock:
            try:
                return self._con.execute(sql, params) if params else self._con.execute(sql)
            except duckdb.Error as exc:
                raise EngineError(str(exc), sql) from exc


def _as_text(column: str, type_name: str) -> str:
    """SQL turning a column of any type into text: nested values become JSON."""
    nested = type_name.startswith(("STRUCT", "MAP", "UNION")) or type_name.endswith("]")
    return f"to_json({column})::varchar" if nested else f"{column}::varchar"


def _shift_sql(rank: str, rejected: list[int], first_line: int) -> str:
    """SQL of how many rejected records precede the loaded record of 0-based rank `rank`.

    Rejected record i (0-based, in line order) sits before loaded rank line - i - first_line.
    Up to 1,000 distinct steps are a balanced CASE tree (a few comparisons a row); beyond that,
    a lookup subquery.
    """
    shift_at: dict[int, int] = {}
    for i, line in enumerate(sorted(rejected)):
        shift_at[line - i - first_line] = i + 1
    steps = sorted(shift_at.items())
    if not steps:
        return "0"
    if len(steps) > 1000:
        values = ", ".join(f"({at}, {shift})" for at, shift in steps)
        return (
            f"coalesce((select max(shift) from (values {values}) s(at_rank, shift) "
            f"where s.at_rank <= {rank}), 0)"
        )

    def tree(lo: int, hi: int, below: int) -> str:
        # steps[lo:hi] decide; `below` is the shift when rank is under steps[lo].
        if lo == hi:
            return str(below)
        mid = (lo + hi) // 2
        at, shift = steps[mid]
        return (
            f"(case when {rank} >= {at} then {tree(mid + 1, hi, shift)} "
            f"else {tree(lo, mid, below)} end)"
        )

    return tree(0, len(steps), 0)
