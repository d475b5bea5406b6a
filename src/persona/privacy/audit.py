"""The audit log: privacy-relevant actions, who did them and when.

Exports, unmasking, forget, pseudonymising and retention are recorded in the store's
``audit_log`` table.

An entry never holds a person's identifiers: `persona forget` must leave nothing behind, so
details name counts, files and expressions, not people.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from persona.engine.base import Engine

ACTIONS = ("export", "unmask", "forget", "pseudonymise", "retention", "consent")
"""The kinds of entry; `record` refuses others so the log stays queryable."""


def record(
    engine: Engine, action: str, subject: str | None = None, detail: dict[str, Any] | None = None
) -> int:
    """Append one entry to the audit log and return its id.

    Args:
        engine: The project's engine.
        action: One of `ACTIONS`.
        subject: What the action was about (an audience, a file, a command), never a person.
        detail: JSON-serialisable facts (counts, fields, target).

    Raises:
        ValueError: for an action not in `ACTIONS` (a programming error).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; use one of {ACTIONS}")
    with engine.transaction():
        last = engine.fetch_all("select coalesce(max(entry_id), 0) from audit_log")
        entry_id = int(last[0][0]) + 1
        engine.execute(
            "insert into audit_log values (?, ?, ?, ?, ?, ?)",
            [
                entry_id,
                datetime.now(UTC),
                action,
                subject,
                json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
                _actor(),
            ],
        )
    return entry_id


def entries(engine: Engine, action: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The audit log, newest first: entry_id, logged_at, action, subject, detail (JSON), actor."""
    where = "where action = ?" if action else ""
    cap = f"limit {int(limit)}" if limit else ""
    return engine.fetch_df(
        f"select * from audit_log {where} order by entry_id desc {cap}",
        [action] if action else None,
    )


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (containers)
        return "unknown"
