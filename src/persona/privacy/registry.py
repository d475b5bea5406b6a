"""The export registry: every file, table or webhook customer data was sent to.

Each export records when, what (expression, fields, count), the file's SHA-256 and who was
in it.

`persona forget` removes a person from ``export_members`` and counts them in the export's
``forgotten`` column: the file already left, so the registry says which exports still hold a
forgotten person and must be deleted or recalled.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from persona.engine.base import Engine, quote_identifier


def register_export(
    engine: Engine,
    *,
    members: str,
    audience: str | None,
    expression: str | None,
    fmt: str,
    target: str,
    fields: list[str],
    masked: bool,
    pseudonymised: bool,
    file: Path | None = None,
) -> int:
    """Record one export and who was in it; returns its ``export_id``.

    Args:
        engine: The project's engine.
        members: A table (or view) with a ``customer_id`` column: the exported customers.
        audience: The saved audience's name, or None for an expression.
        expression: The expression the customers were selected by (None for a list).
        fmt: csv, parquet, xlsx, json, sqlite, postgresql, webhook ...
        target: The file path, database table or URL (without credentials).
        fields: The exported columns.
        masked: Direct identifiers were masked.
        pseudonymised: Ids were replaced by keyed hashes.
        file: The written file, hashed into ``file_hash`` (None for tables and webhooks).
    """
    digest = file_sha256(file) if file is not None else None
    with engine.transaction():
        export_id = int(
            engine.fetch_all("select coalesce(max(export_id), 0) + 1 from exports")[0][0]
        )
        engine.execute(
            f"insert into export_members select ?, customer_id from {quote_identifier(members)}",
            [export_id],
        )
        count = int(
            engine.fetch_all(
                "select count(*) from export_members where export_id = ?", [export_id]
            )[0][0]
        )
        engine.execute(
            "insert into exports values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [
                export_id,
                datetime.now(UTC),
                audience,
                expression,
                fmt,
                target,
                json.dumps(fields, ensure_ascii=False),
                count,
                digest,
                masked,
                pseudonymised,
            ],
        )
    return export_id


def exports(engine: Engine) -> pd.DataFrame:
    """The registry, newest first.

    Columns: export_id, exported_at, audience, expression, format, target, fields (JSON list),
    count, file_hash, masked, pseudonymised, forgotten.
    """
    return engine.fetch_df("select * from exports order by export_id desc")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
