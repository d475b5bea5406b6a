"""The suppression list of `persona forget`: forgotten people stay forgotten.

`persona forget` stores a keyed hash (`persona.privacy.pseudonym.pseudonym` of the identity-graph
node, e.g. ``phone:+8613812345678``) of each identifier that named the person in the store's
``forgotten`` table; the identifiers themselves are gone. At ingest every new batch is checked:
a row carrying a forgotten identifier (standardised by the clean stage's rules, as identity
resolution sees it, so ``138 1234 5678`` and ``+86 13812345678`` are one phone) is dropped and
counted as skipped, so received = loaded + quarantined + skipped still holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from persona.config import CleaningConfig
from persona.engine.base import Engine, quote_literal
from persona.model.kinds import Kind, identifier_fields
from persona.pipeline.clean.rules import clean_sql
from persona.privacy.pseudonym import project_secret, pseudonym
from persona.store import STORE_DIR

SUPPRESSION = "forgotten"
_MATCHED = "_forgotten_nodes"


@dataclass(frozen=True)
class Suppression:
    """The forgotten identifiers' hashes, the key they were hashed with, the cleaning rules."""

    hashes: frozenset[str]
    secret: bytes
    cleaning: CleaningConfig | None = None

    def forgotten(self, node: str) -> bool:
        """Whether an identity-graph node (``type:value``) belongs to a forgotten person."""
        return pseudonym(node, self.secret) in self.hashes


def forgotten_count(engine: Engine) -> int:
    """How many identifiers were ever forgotten (0 before the first `persona forget`)."""
    if not engine.table_exists("forgotten"):
        return 0
    return int(engine.fetch_all("select count(*) from forgotten")[0][0])


def load_suppression(
    engine: Engine, project_dir: Path, cleaning: CleaningConfig | None = None
) -> Suppression | None:
    """The project's suppression list, or None when nobody was forgotten (nothing to check).

    Args:
        engine: The project's engine.
        project_dir: The project folder (its secret).
        cleaning: The project's cleaning settings (default: the built-in rules).
    """
    rows = engine.fetch_all(f"select hash from {SUPPRESSION}")
    if not rows:
        return None
    hashes = frozenset(str(r[0]) for r in rows)
    return Suppression(hashes, project_secret(project_dir / STORE_DIR), cleaning)


def suppress(engine: Engine, nodes: Iterable[str], secret: bytes) -> int:
    """Add identity-graph nodes (``type:value``) to the suppression list; return how many are new.

    Call it inside the caller's transaction when the removal must be atomic with it.
    """
    hashes = sorted({pseudonym(node, secret) for node in nodes})
    if not hashes:
        return 0
    known = {
        str(r[0])
        for r in engine.fetch_all(
            f"select hash from {SUPPRESSION} where hash in ({', '.join('?' for _ in hashes)})",
            hashes,
        )
    }
    fresh = [h for h in hashes if h not in known]
    now = datetime.now(UTC)
    if fresh:
        engine.insert_rows(SUPPRESSION, [(h, now) for h in fresh])
    return len(fresh)


def identifier_nodes(
    kind: Kind, cleaning: CleaningConfig | None, *, raw: bool = True, alias: str = "r"
) -> list[str]:
    """SQL expressions, one per identifier field of a kind: the field's graph node or null.

    Args:
        kind: The kind (relations have `src_` and `dst_` fields, both nodes of their type).
        cleaning: The project's cleaning settings (None: the built-in rules).
        raw: The columns hold raw values, standardised here as identity resolution sees them;
            False for a clean table.
        alias: The table's alias in the query.
    """
    nodes = []
    for field in identifier_fields(kind):
        value = f"{alias}.{field}"
        if raw:
            value = clean_sql(
                kind,
                field,
                value,
                cleaning.rules.get(field) if cleaning else None,
                email_provider_rules=cleaning.email_provider_rules if cleaning else False,
            )
        base = field.removeprefix("src_").removeprefix("dst_")
        nodes.append(f"{quote_literal(base + ':')} || {value}")
    return nodes


def mark_forgotten(
    engine: Engine, suppression: Suppression | None, table: str, kind: Kind, batch_id: int
) -> int:
    """Mark (``_skip``) the rows of a batch that carry a forgotten identifier; return how many.

    A bad row of a forgotten person is skipped too, not quarantined: quarantine keeps records.

    Args:
        engine: The engine, inside the batch's transaction.
        suppression: The project's list (None: nobody was forgotten, nothing to do).
        table: The raw table the batch was written to.
        kind: Its kind.
        batch_id: The batch.
    """
    if suppression is None:
        return 0
    # Standardise and hash each distinct value once, not every row: a batch has far fewer.
    fields = identifier_fields(kind)
    nodes = identifier_nodes(kind, suppression.cleaning, alias="d")
    batch = f"r._batch_id = {int(batch_id)} and not r._skip"
    values = " union all ".join(
        f"select {quote_literal(field)} as field, d.{field} as raw, {node} as node from ("
        f"select distinct r.{field} from {table} r where {batch} and r.{field} is not null) d"
        for field, node in zip(fields, nodes, strict=True)
    )
    matched = [
        (str(field), str(raw))
        for field, raw, node in engine.fetch_all(values)
        if node is not None and suppression.forgotten(str(node))
    ]
    if not matched:
        return 0
    engine.execute(f"create or replace temp table {_MATCHED} (field VARCHAR, raw VARCHAR)")
    try:
        engine.insert_rows(_MATCHED, matched)
        hit = " or ".join(
            f"r.{field} in (select raw from {_MATCHED} where field = {quote_literal(field)})"
            for field in sorted({f for f, _ in matched})
        )
        where = f"{batch} and ({hit})"
        count = int(engine.fetch_all(f"select count(*) from {table} r where {where}")[0][0])
        engine.execute(f"update {table} r set _skip = true, _problem = null where {where}")
    finally:
        engine.drop(_MATCHED)
    return count
