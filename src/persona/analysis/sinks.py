"""Where an audience export goes besides a file: a SQLite or PostgreSQL table, or a webhook.

Each sink takes the export's rows as a DataFrame. Table sinks replace the table in one
transaction; the webhook sink sends batches of JSON, retrying with exponential backoff and
jitter on connection errors, timeouts, 429 and 5xx (honouring ``Retry-After``). No URL is ever
printed or stored with its password (`safe_url`).
"""

from __future__ import annotations

import http.client
import json
import random
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pandas as pd
import psycopg
from psycopg import sql

from persona.export import json_rows, json_value
from persona.model.errors import ProjectError

CONNECT_TIMEOUT_SECONDS = 10
MAX_RETRY_AFTER_SECONDS = 300.0
"""A longer ``Retry-After`` is not waited for: the batch fails with a message saying so."""


class ExportError(ProjectError):
    """An export target refused or could not take the rows; the message names the fix."""


def safe_url(url: str, *, keep_query: bool = True) -> str:
    """`url` without its password (and without its query when `keep_query` is false).

    Example:
        >>> safe_url("postgresql://ann:s3cret@db:5432/crm")
        'postgresql://ann@db:5432/crm'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    query = parts.query if keep_query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def _column_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Column -> boolean, integer, floating, datetime or text, from the values it holds."""
    kinds = {}
    for column in frame.columns:
        inferred = pd.api.types.infer_dtype(frame[column], skipna=True)
        if inferred in ("boolean", "integer", "floating"):
            kinds[str(column)] = inferred
        elif inferred in ("datetime64", "datetime", "date"):
            kinds[str(column)] = "datetime"
        elif inferred == "mixed-integer-float":
            kinds[str(column)] = "floating"
        else:
            kinds[str(column)] = "text"
    return kinds


def _rows(
    frame: pd.DataFrame, kinds: dict[str, str], *, dates_as_text: bool
) -> list[tuple[Any, ...]]:
    """The rows as tuples of plain values; text columns as text, dates as ISO text if asked."""
    rows = []
    for record in json_rows(frame) if dates_as_text else _plain_rows(frame):
        values = []
        for column, kind in kinds.items():
            value = record[column]
            if value is not None and kind == "text" and not isinstance(value, str):
                value = json.dumps(value, ensure_ascii=False, default=json_value)
            values.append(value)
        rows.append(tuple(values))
    return rows


def _plain_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    plain = frame.astype(object).where(frame.notna(), None)
    rows = []
    for record in plain.to_dict(orient="records"):
        rows.append(
            {
                str(k): v if v is None or isinstance(v, datetime) else json_value(v)
                for k, v in record.items()
            }
        )
    return rows


# -- SQLite ----------------------------------------------------------------------------------

_SQLITE_TYPES = {"boolean": "INTEGER", "integer": "INTEGER", "floating": "REAL"}


def write_sqlite(frame: pd.DataFrame, database: Path, table: str) -> int:
    """Replace `table` of the SQLite file `database` (made when missing) with the rows.

    Booleans are stored as 0/1, dates as ISO text, lists as JSON text.

    Returns:
        The number of rows written.

    Raises:
        ExportError: the file cannot be opened or written.
    """
    kinds = _column_kinds(frame)
    name = _sqlite_quote(table)
    columns = ", ".join(
        f"{_sqlite_quote(c)} {_SQLITE_TYPES.get(k, 'TEXT')}" for c, k in kinds.items()
    )
    marks = ", ".join("?" for _ in kinds)
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(database)
        try:
            with connection:  # one transaction: the old table stays if anything fails
                connection.execute(f"DROP TABLE IF EXISTS {name}")
                connection.execute(f"CREATE TABLE {name} ({columns})")
                connection.executemany(
                    f"INSERT INTO {name} VALUES ({marks})",
                    _rows(frame, kinds, dates_as_text=True),
                )
        finally:
            connection.close()
    except (sqlite3.Error, OSError) as exc:
        raise ExportError(
            f"cannot write table {table!r} of the SQLite file {database}: {exc}; check that "
            "--out is a SQLite database file you may write"
        ) from None
    return len(frame)


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- PostgreSQL ------------------------------------------------------------------------------

_POSTGRES_TYPES = {
    "boolean": "boolean",
    "integer": "bigint",
    "floating": "double precision",
    "datetime": "timestamptz",
}


def write_postgres(frame: pd.DataFrame, url: str, table: str) -> int:
    """Replace `table` (``name`` or ``schema.name``) of a PostgreSQL database with the rows.

    The table is dropped, made again and filled with COPY in one transaction.

    Args:
        frame: The rows.
        url: ``postgresql://user:password@host:port/database``.
        table: The table; a schema is made when missing.

    Returns:
        The number of rows written.

    Raises:
        ExportError: the server cannot be reached or refuses the write; the message never
            holds the password.
    """
    password = unquote(urlsplit(url).password or "")
    parts = table.split(".")
    if len(parts) > 2 or not all(parts):
        raise ExportError(f"--table {table!r}: write a table as name or schema.name")
    name = sql.Identifier(*parts)
    kinds = _column_kinds(frame)
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_POSTGRES_TYPES.get(k, "text")))
        for c, k in kinds.items()
    )
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        name, sql.SQL(", ").join(sql.Identifier(c) for c in kinds)
    )
    try:
        with psycopg.connect(
            url, connect_timeout=CONNECT_TIMEOUT_SECONDS, application_name="persona"
        ) as connection:
            if len(parts) == 2:
                connection.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(parts[0]))
                )
            connection.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
            connection.execute(sql.SQL("CREATE TABLE {} ({})").format(name, columns))
            with connection.cursor().copy(copy) as writer:
                for row in _rows(frame, kinds, dates_as_text=False):
                    writer.write_row(row)
    except psycopg.Error as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if password:
            problem = problem.replace(password, "********")
        raise ExportError(
            f"cannot write table {table!r} to PostgreSQL {safe_url(url)}: {problem}; check the "
            "host, port, user, password and database in --out and that the user may create "
            "tables there"
        ) from None
    return len(frame)


# -- webhook ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retry:
    """How a webhook batch is retried.

    Attributes:
        retries: Retries after the first attempt of each batch.
        base_delay: Seconds before the first retry; doubled on each retry, with full jitter.
        max_delay: The longest backoff between two attempts, in seconds.
        timeout: Seconds to wait for the server's answer to one POST.
    """

    retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    timeout: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1 = the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


class _Retryable(Exception):
    """One attempt failed in a way worth retrying (after `wait` seconds if the server said)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def send_webhook(
    frame: pd.DataFrame,
    url: str,
    *,
    export_id: int,
    batch_size: int = 500,
    retry: Retry | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST the rows to a URL in batches of JSON ``{"export_id", "batch", "batches", "rows"}``.

    Batches are numbered from 1 and sent in order (nothing is sent for no rows); each is
    retried up to ``retry.retries`` times on a connection error, a timeout, 429 or a 5xx
    answer, waiting with exponential backoff and jitter or as long as the server's
    ``Retry-After`` says. Other 4xx answers are not retried.

    Args:
        frame: The rows.
        url: An http or https URL.
        export_id: The registry id of the export, sent with every batch.
        batch_size: Rows per POST.
        retry: Retry settings (default `Retry()`).
        sleep: How to wait (tests pass a recorder).

    Returns:
        The number of rows sent (all of them).

    Raises:
        WebhookError: a batch finally failed; `rows_sent` says how many rows arrived before.
    """
    if batch_size < 1:
        raise ExportError(f"--batch-size {batch_size}: send at least 1 row per batch")
    retry = retry or Retry()
    rows = json_rows(frame)
    batches = -(-len(rows) // batch_size)  # none for no rows
    for batch in range(1, batches + 1):
        chunk = rows[(batch - 1) * batch_size : batch * batch_size]
        body = {"export_id": export_id, "batch": batch, "batches": batches, "rows": chunk}
        payload = json.dumps(body, ensure_ascii=False, default=json_value).encode("utf-8")
        _send_batch(url, payload, batch, batches, retry, sleep, sent=(batch - 1) * batch_size)
    return len(rows)


class WebhookError(ExportError):
    """A webhook batch failed for good; `rows_sent` rows (the earlier batches) had arrived."""

    def __init__(self, message: str, rows_sent: int) -> None:
        super().__init__(message)
        self.rows_sent = rows_sent


def _send_batch(
    url: str,
    payload: bytes,
    batch: int,
    batches: int,
    retry: Retry,
    sleep: Callable[[float], None],
    sent: int,
) -> None:
    where = safe_url(url, keep_query=False)
    attempts = retry.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            _post(url, payload, retry.timeout)
            return
        except _Retryable as failure:
            if attempt == attempts:
                raise WebhookError(
                    f"webhook {where}: batch {batch} of {batches} failed after {attempts} "
                    f"attempts ({failure.reason}); {sent} rows of earlier batches arrived; "
                    "check that the server is up, then export again (or raise --retries)",
                    sent,
                ) from None
            wait = failure.wait if failure.wait is not None else retry.backoff(attempt)
            if wait > MAX_RETRY_AFTER_SECONDS:
                raise WebhookError(
                    f"webhook {where}: batch {batch} of {batches}: the server asks to wait "
                    f"{wait:.0f} s (Retry-After), longer than {MAX_RETRY_AFTER_SECONDS:.0f} s; "
                    f"{sent} rows of earlier batches arrived; export again later",
                    sent,
                ) from None
            sleep(wait)
        except _Refused as refusal:
            raise WebhookError(
                f"webhook {where}: batch {batch} of {batches} was refused with HTTP "
                f"{refusal.status} {refusal.detail}; not retried (a 4xx answer means the request "
                f"itself is wrong: check the URL and what the server expects); {sent} rows of "
                "earlier batches arrived",
                sent,
            ) from None


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


def _post(url: str, payload: bytes, timeout: float) -> None:
    """One POST; raises `_Retryable` or `_Refused` unless the server answered 2xx."""
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "persona"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as answer:
        status = answer.code
        detail = _short(answer.read().decode("utf-8", errors="replace") or answer.reason)
        if status == 429 or status >= 500:
            wait = _retry_after(answer.headers.get("Retry-After"))
            raise _Retryable(f"HTTP {status} {detail}".strip(), wait) from None
        raise _Refused(status, detail) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as problem:
        reason = getattr(problem, "reason", problem)
        raise _Retryable(f"connection problem: {reason}") from None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _short(text: str, limit: int = 120) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def check_webhook_url(url: str) -> None:
    """Refuse a URL that is not http(s) with a host.

    Raises:
        ExportError: naming the URL (without its password) and the fix.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ExportError(
            f"--out {safe_url(url, keep_query=False)!r} is not an http(s) URL; write e.g. "
            "https://hooks.example.com/audience"
        )
