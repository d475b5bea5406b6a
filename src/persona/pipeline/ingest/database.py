"""Database reader (SQLite and PostgreSQL) that yields Arrow record batches of text.

A table or a single SELECT query is streamed `batch_rows` at a time, every value as text (null for
SQL NULL), in the same `TabularData` shape as the spreadsheet reader in
`persona.pipeline.ingest.tabular`; `_line` holds the 1-based row ordinal of the result. Messages
never contain the password of the database URL.

Example:
    >>> data = read_database("sqlite:///shop.db", table="orders")  # doctest: +SKIP
    >>> data.columns, data.description  # doctest: +SKIP
    (['id', 'customer', 'total'], 'sqlite:///shop.db, table orders')
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import pathname2url

import psycopg
import pyarrow as pa
from psycopg import sql

from persona.model.errors import SourceError
from persona.model.suggest import did_you_mean
from persona.pipeline.ingest.tabular import TabularData, arrow_schema, deduplicate, record_batch

CONNECT_TIMEOUT_SECONDS = 10
SUPPORTED_URLS = "sqlite:///path/to/file.db, postgresql://user:password@host:port/database"


def read_database(
    url: str,
    *,
    table: str | None = None,
    query: str | None = None,
    batch_rows: int = 50_000,
    base_dir: Path | None = None,
) -> TabularData:
    """Read a database table or a SELECT query as text batches, streaming `batch_rows` at a time.

    PostgreSQL is read through a server-side cursor in a read-only transaction and SQLite is
    opened read-only, so neither the table nor the result needs to fit in memory.

    Args:
        url: `sqlite:///relative/file.db`, `sqlite:////absolute/file.db` or
            `postgresql://user:password@host:port/database` (also `postgres://`).
        table: A table or view, optionally schema-qualified (`shop.orders`); parts may be
            double-quoted (`"My Schema"."Orders"`). Names are quoted, so they match exactly.
        query: A single SELECT (or WITH ... SELECT) statement, run as given.
        batch_rows: Rows per record batch.
        base_dir: The folder relative SQLite paths are read from (default: the current folder).

    Returns:
        The result's columns and a stream of batches; `_line` is the 1-based row ordinal.

    Raises:
        SourceError: the database cannot be reached or read, the table does not exist, or the
            query is not a single SELECT or fails; the message never contains the password.

    Example:
        >>> data = read_database("sqlite:///shop.db", table="orders")  # doctest: +SKIP
        >>> data.description  # doctest: +SKIP
        'sqlite:///shop.db, table orders'
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, not {batch_rows}")
    if (table is None) == (query is None):
        raise SourceError(f"{_safe_url(url)}: give exactly one of `table:` or `query:`")
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme.partition("+")[0] in ("postgresql", "postgres"):
        url = "postgresql" + url[len(scheme) :]
        scheme = "postgresql"
    if scheme not in ("sqlite", "postgresql"):
        hint = f"; for a SQLite file write sqlite:///{url}" if not scheme else ""
        raise SourceError(
            f"unsupported database URL {_safe_url(url)!r}{hint}; supported: {SUPPORTED_URLS}"
        )
    target = f"table {table}" if table is not None else f"query {_shorten(query or '')}"
    description = f"{_safe_url(url)}, {target}"
    statement = _select_statement(query, description) if query is not None else None
    if scheme == "sqlite":
        return _read_sqlite(url, table, statement, batch_rows, base_dir, description)
    return _read_postgres(url, table, statement, batch_rows, description)


# -- databases ------------------------------------------------------------------------------


def _read_sqlite(
    url: str,
    table: str | None,
    statement: str | None,
    batch_rows: int,
    base_dir: Path | None,
    description: str,
) -> TabularData:
    path = Path(url[len("sqlite:///") :] if url.startswith("sqlite:///") else url[9:])
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        raise SourceError(
            f"{description}: SQLite file {path} not found; check `url:` (sqlite:///relative.db "
            "is read from the project folder, sqlite:////absolute/path.db from the root)"
        )
    uri = f"file:{pathname2url(str(path.resolve()))}?mode=ro"
    # the stream may be consumed, or dropped, on another thread; it is used by one at a time
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    try:
        if table is not None:
            schema, name = _table_parts(table, description)
            quoted = ".".join(_sqlite_quote(part) for part in (schema, name) if part is not None)
            statement = f"SELECT * FROM {quoted}"
        assert statement is not None
        cursor = conn.execute(statement)
        first = cursor.fetchmany(batch_rows)
    except sqlite3.Error as exc:
        message = str(exc)
        if "file is not a database" in message:
            problem = f"{path} is not a SQLite database; check `url:`"
        elif table is not None and "no such table" in message:
            problem = _missing_table(table, _sqlite_tables(conn, table, description))
        else:
            problem = f"the {'query' if table is None else 'read'} failed: {message}"
            problem += "; fix `query:`" if table is None else ""
        conn.close()
        raise SourceError(f"{description}: {problem}") from None
    except BaseException:
        conn.close()
        raise
    names = [column[0] for column in cursor.description or ()]
    return _stream_result(names, first, cursor.fetchmany, conn.close, batch_rows, description)


def _sqlite_tables(conn: sqlite3.Connection, table: str, description: str) -> list[str]:
    schema, _ = _table_parts(table, description)
    master = f"{_sqlite_quote(schema)}.sqlite_master" if schema else "sqlite_master"
    try:
        rows = conn.execute(
            f"SELECT name FROM {master} WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    except sqlite3.Error:
        return []
    return [str(row[0]) for row in rows]


def _sqlite_quote(name: str | None) -> str:
    return '"' + (name or "").replace('"', '""') + '"'


def _read_postgres(
    url: str, table: str | None, statement: str | None, batch_rows: int, description: str
) -> TabularData:
    parts = urlsplit(url)
    password = unquote(parts.password or "")
    try:
        where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    except ValueError:
        raise SourceError(f"{description}: the port in `url:` is not a number") from None
    try:
        conn = psycopg.connect(
            url, connect_timeout=CONNECT_TIMEOUT_SECONDS, application_name="persona"
        )
    except psycopg.Error as exc:
        message = _redact(str(exc), password)
        raise SourceError(_connect_problem(message, url, where)) from None
    conn.read_only = True
    cursor = conn.cursor(name="persona_read")

    def close() -> None:
        cursor.close()
        conn.close()

    try:
        if table is not None:
            schema, name = _table_parts(table, description)
            identifier = sql.Identifier(*(p for p in (schema, name) if p is not None))
            cursor.execute(sql.SQL("SELECT * FROM {}").format(identifier))
        else:
            assert statement is not None
            cursor.execute(statement)
        first = cursor.fetchmany(batch_rows)
    except psycopg.Error as exc:
        if isinstance(exc, psycopg.errors.UndefinedTable) and table is not None:
            tables = _postgres_tables(conn, table, description)
            close()
            raise SourceError(f"{description}: {_missing_table(table, tables)}") from None
        server = exc.diag.message_primary or str(exc).splitlines()[0]
        position = _query_position(cursor, statement, exc.diag.statement_position)
        if position is not None:
            server += f" (at character {position} of the query)"
        close()
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            fix = f"grant SELECT to user {parts.username!r} or use another user in `url:`"
        else:
            fix = "fix `query:`" if statement is not None else "check `table:` and the database"
        raise SourceError(
            f"{description}: the database refused the read: {_redact(server, password)}; {fix}"
        ) from None
    except BaseException:
        close()
        raise
    names = [column.name for column in cursor.description or ()]
    return _stream_result(names, first, cursor.fetchmany, close, batch_rows, description)


def _query_position(
    cursor: psycopg.ServerCursor[Any], statement: str | None, position: str | None
) -> int | None:
    """Map the server's error position in `DECLARE ... FOR <query>` back into the query."""
    declare = getattr(cursor, "_make_declare_statement", None)  # psycopg's own prefix
    if statement is None or not position or not position.isdigit() or declare is None:
        return None
    try:
        prefix = len(declare(statement).as_string(cursor.connection)) - len(statement)
    except Exception:  # a psycopg internal: never let it hide the real error
        return None
    return int(position) - prefix if int(position) > prefix else None


def _postgres_tables(conn: psycopg.Connection[Any], table: str, description: str) -> list[str]:
    schema, _ = _table_parts(table, description)
    try:
        conn.rollback()
        rows = conn.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') "
            "AND n.nspname = coalesce(%s, current_schema()) ORDER BY 1",
            (schema,),
        ).fetchall()
    except psycopg.Error:
        return []
    return [str(row[0]) for row in rows]


def _connect_problem(message: str, url: str, where: str) -> str:
    """Turn a libpq connection error into one actionable sentence."""
    lowered = message.lower()
    parts = urlsplit(url)
    user, database = parts.username or "(default)", parts.path.lstrip("/") or "(default)"
    cannot = f"cannot connect to PostgreSQL at {where} ({_safe_url(url)})"
    if "connection refused" in lowered:
        return f"{cannot}: connection refused; is the server running and is `url:` right?"
    if "timeout expired" in lowered or "timed out" in lowered:
        return (
            f"{cannot}: no answer within {CONNECT_TIMEOUT_SECONDS} s; check the host and port "
            "in `url:` and that no firewall blocks the port"
        )
    if "no route to host" in lowered or "network is unreachable" in lowered:
        return f"{cannot}: host unreachable; check the host in `url:` and the network"
    if "could not translate host name" in lowered or "failed to resolve host" in lowered:
        return f"{cannot}: unknown host name {parts.hostname!r}; check the host in `url:`"
    if (
        "authentication failed" in lowered
        or "no password supplied" in lowered
        or ("role" in lowered and "does not exist" in lowered)
    ):
        return (
            f"{cannot}: authentication failed for user {user!r}; check the user name and "
            "password in `url:` (a password with @, : or / must be percent-encoded)"
        )
    if "database" in lowered and "does not exist" in lowered:
        databases = _postgres_databases(url)
        listing = f"; databases there: {', '.join(databases)}" if databases else ""
        return (
            f"{cannot}: database {database!r} does not exist"
            f"{did_you_mean(database, databases)}{listing}; fix the database name in `url:`"
        )
    if "pg_hba.conf" in lowered:
        return (
            f"{cannot}: the server does not accept user {user!r} for database {database!r} from "
            "this machine (pg_hba.conf); ask the database administrator to allow it"
        )
    first_line = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return f"{cannot}: {first_line}; check `url:`"


def _postgres_databases(url: str) -> list[str]:
    try:
        with psycopg.connect(
            url, dbname="postgres", connect_timeout=CONNECT_TIMEOUT_SECONDS
        ) as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_catalog.pg_database "
                "WHERE datallowconn AND NOT datistemplate ORDER BY 1"
            ).fetchall()
    except psycopg.Error:
        return []
    return [str(row[0]) for row in rows]


# -- query checks and the result stream -----------------------------------------------------


_NAME_PART = r'"(?:[^"]|"")*"|[^".]+'
_TABLE_NAME = re.compile(rf"\s*({_NAME_PART})(?:\.({_NAME_PART}))?\s*")
_SQL_LITERAL = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$"""
    r"|--[^\n]*|/\*.*?\*/",
    re.S,
)


def _table_parts(table: str, description: str) -> tuple[str | None, str]:
    match = _TABLE_NAME.fullmatch(table)
    if match is None:
        raise SourceError(
            f"{description}: {table!r} is not a table name; write `table: name` or "
            '`table: schema.name` (double-quote a part that holds a dot: "my.table")'
        )
    parts = [
        p[1:-1].replace('""', '"') if p.startswith('"') else p.strip()
        for p in match.groups()
        if p is not None
    ]
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _missing_table(table: str, tables: list[str]) -> str:
    schema, name = _table_parts(table, table)
    shown = ", ".join(tables[:50]) + (f" ... ({len(tables)} in all)" if len(tables) > 50 else "")
    if tables:
        listing = f"tables there: {shown}"
    elif schema is not None:
        listing = f"schema {schema!r} does not exist or holds no tables"
    else:
        listing = "the database holds no tables"
    return f"table {table!r} does not exist{did_you_mean(name, tables)}; {listing}; fix `table:`"


def _select_statement(query: str, description: str) -> str:
    """Return `query` without its trailing semicolon, if it is one SELECT or WITH statement."""

    def blank(match: re.Match[str]) -> str:
        text = match.group()
        return " " * len(text) if text.startswith(("--", "/*")) else "x" * len(text)

    skeleton = _SQL_LITERAL.sub(blank, query)  # same length as query, literals masked
    statements = [part for part in skeleton.split(";") if part.strip()]
    keyword = re.match(r"[\s(]*([A-Za-z]+)", skeleton)
    if len(statements) > 1:
        raise SourceError(
            f"{description}: `query:` holds {len(statements)} statements; give a single "
            "SELECT (join or union the parts in one statement)"
        )
    if keyword is None or keyword.group(1).lower() not in ("select", "with"):
        found = keyword.group(1).upper() if keyword else "nothing"
        raise SourceError(
            f"{description}: `query:` must be a single SELECT (or WITH ... SELECT) statement, "
            f"not {found}; Persona only reads from databases"
        )
    end = skeleton.find(";")
    return query[: end if end >= 0 else len(query)].strip()


def _stream_result(
    names: list[str],
    first: list[Any],
    fetch: Callable[[int], list[Any]],
    close: Callable[[], None],
    batch_rows: int,
    description: str,
) -> TabularData:
    columns, duplicates = deduplicate(names)
    stream = _ResultStream(arrow_schema(columns), first, fetch, close, batch_rows, description)
    return TabularData(columns, duplicates, stream, description)


class _ResultStream(Iterator[pa.RecordBatch]):
    """Batches fetched from an open cursor; the connection closes at the end or when dropped."""

    def __init__(
        self,
        schema: pa.Schema,
        first: list[Any],
        fetch: Callable[[int], list[Any]],
        close: Callable[[], None],
        batch_rows: int,
        description: str,
    ) -> None:
        self._schema, self._pending, self._fetch, self._close = schema, first, fetch, close
        self._batch_rows, self._description = batch_rows, description
        self._next_line, self._closed, self._produced = 1, False, False

    def __next__(self) -> pa.RecordBatch:
        if self._closed:
            raise StopIteration
        rows, self._pending = self._pending, []
        if not rows and self._produced:
            try:
                rows = self._fetch(self._batch_rows)
            except (psycopg.Error, sqlite3.Error) as exc:
                self.close()
                raise SourceError(
                    f"{self._description}: reading stopped after row {self._next_line - 1}: "
                    f"{str(exc).splitlines()[0]}; check the query and the connection, then re-run"
                ) from None
        if not rows:
            self.close()
            if self._produced:
                raise StopIteration
        self._produced = True
        start = self._next_line
        self._next_line += len(rows)
        return record_batch(self._schema, range(start, self._next_line), rows)

    def close(self) -> None:
        """Close the cursor and the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._close()

    def __del__(self) -> None:
        self.close()


def _safe_url(url: str) -> str:
    """Return `url` without password, query string or fragment (even when it does not parse)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    userinfo, at, remainder = rest.rpartition("@")
    host, slash, path = remainder.partition("/")
    user = f"{unquote(userinfo.partition(':')[0])}@" if at else ""
    return f"{scheme}://{user}{host}{slash}{re.split(r'[?#]', path, maxsplit=1)[0]}"


def _redact(text: str, password: str) -> str:
    return text.replace(password, "********") if password else text


def _shorten(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
