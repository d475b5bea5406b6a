"""Saved audiences in the store: definitions with versions, and their size at every refresh.

Tables (store schema v5): ``audiences(name, expression, created_at, updated_at, version)``
and ``audience_history(name, version, expression, refreshed_at, size, snapshot_id)``. Sizes
are stored exactly; `persona.analysis.audiences` suppresses those below k when showing them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from persona.engine.base import Engine
from persona.model.errors import ProjectError, UnknownReferenceError
from persona.model.suggest import did_you_mean

_NAME = re.compile(r"[A-Za-z_\u3400-\u9fff][A-Za-z0-9_\-\u3400-\u9fff]{0,63}")


def save(engine: Engine, name: str, expression: str) -> int:
    """Create a saved audience, or make a new version when its expression changed.

    Returns:
        The audience's version after saving.

    Raises:
        ProjectError: the name is not a plain name (letters, digits, _ and -; at most 64).
    """
    if not _NAME.fullmatch(name):
        raise ProjectError(
            f"audience name {name!r} is not allowed; use letters, digits, _ and - "
            "(at most 64, not starting with a digit), e.g. shanghai_vip"
        )
    now = datetime.now(UTC)
    with engine.transaction():
        found = engine.fetch_all("select expression, version from audiences where name = ?", [name])
        if not found:
            engine.execute(
                "insert into audiences values (?, ?, ?, ?, 1)", [name, expression, now, now]
            )
            return 1
        if found[0][0] == expression:
            return int(found[0][1])
        version = int(found[0][1]) + 1
        engine.execute(
            "update audiences set expression = ?, updated_at = ?, version = ? where name = ?",
            [expression, now, version, name],
        )
        return version


def definitions(engine: Engine, name: str | None = None) -> list[dict[str, Any]]:
    """Every saved audience (or the one named), by name.

    Raises:
        UnknownReferenceError: no audience of that name (with a did-you-mean).
    """
    rows = engine.fetch_all("select name, expression, version from audiences order by name")
    found = [{"name": n, "expression": e, "version": int(v)} for n, e, v in rows]
    if name is None:
        return found
    chosen = [a for a in found if a["name"] == name]
    if not chosen:
        names = [a["name"] for a in found]
        listing = ", ".join(names) or "none yet (save one with `persona audience save`)"
        raise UnknownReferenceError(
            f"no saved audience {name!r}{did_you_mean(name, names)}; saved audiences: {listing}"
        )
    return chosen


def resolve(engine: Engine, ref: str) -> tuple[str | None, str]:
    """The saved audience `ref` names and its expression, or (None, `ref`) for an expression.

    Example:
        >>> # resolve(engine, "shanghai_vip") -> ("shanghai_vip", "city = '上海'")
    """
    for audience in definitions(engine):
        if audience["name"] == ref.strip():
            return str(audience["name"]), str(audience["expression"])
    return None, ref


def append_history(engine: Engine, audience: dict[str, Any], size: int) -> None:
    """Record an audience's size now, with the latest tag snapshot it was counted on."""
    snapshot = engine.fetch_all("select max(snapshot_id) from snapshots")[0][0]
    engine.execute(
        "insert into audience_history values (?, ?, ?, ?, ?, ?)",
        [
            audience["name"],
            audience["version"],
            audience["expression"],
            datetime.now(UTC),
            size,
            snapshot,
        ],
    )


def listing(engine: Engine) -> pd.DataFrame:
    """The saved audiences with their latest size and when it was counted."""
    return engine.fetch_df(
        "select a.name, a.version, a.expression, a.created_at, a.updated_at, h.size, "
        "h.refreshed_at from audiences a left join (select name, size, refreshed_at from "
        "audience_history qualify row_number() over (partition by name order by "
        "refreshed_at desc) = 1) h using (name) order by a.name"
    )


def detail(engine: Engine, name: str) -> dict[str, Any]:
    """One saved audience: definition, its versions and its size history (exact sizes)."""
    definitions(engine, name)
    row = engine.fetch_all(
        "select expression, version, created_at, updated_at from audiences where name = ?", [name]
    )[0]
    history = engine.fetch_all(
        "select version, expression, refreshed_at, size, snapshot_id from audience_history "
        "where name = ? order by refreshed_at",
        [name],
    )
    versions: dict[int, str] = {}
    for version, expression, *_ in history:
        versions.setdefault(int(version), expression)
    versions.setdefault(int(row[1]), row[0])
    return {
        "name": name,
        "expression": row[0],
        "version": int(row[1]),
        "created_at": row[2].isoformat(),
        "updated_at": row[3].isoformat(),
        "versions": [{"version": v, "expression": e} for v, e in sorted(versions.items())],
        "history": [
            {
                "version": int(v),
                "refreshed_at": at.isoformat(),
                "size": int(size),
                "snapshot_id": None if snap is None else int(snap),
            }
            for v, _, at, size, snap in history
        ],
    }
