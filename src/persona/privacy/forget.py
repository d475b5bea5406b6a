"""`persona forget`: remove one person from every table, snapshot and the export registry.

What belongs to the person is found in the identity graph: their customer_id (and the ids
merged into it), every record and identifier node linked to them. Then, in one transaction:

- ``raw_<kind>`` and ``clean_<kind>`` rows whose record or any identifier (standardised as
  identity resolution sees it; either end of a relation) is theirs, and the outlier flags of
  those rows; their identifier values left in text columns of other rows (``extra``, properties,
  a referrer's note ...) are replaced by ``[forgotten]``; quarantined records holding one of
  their identifier values are removed;
- every row of every table with a ``customer_id`` column (customers, features, tags, every
  ``snapshot_<id>``, segment members, profile extras, identity links ... found by listing the
  store, so tables added later are covered too), and nodes of theirs in tables keyed by
  ``node`` (identity_excluded);
- their rows of ``export_members``, counted in each export's ``forgotten``: the file already
  left, so the result lists those exports to be recalled.

Their identifiers' keyed hashes go to the suppression list (`persona.privacy.suppression`) so a
later ingest does not bring them back, and the identity decisions that name them are removed
from the project folder's decisions file. The audit entry holds counts only.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from persona.config import CleaningConfig
from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.model.kinds import Kind, identifier_fields, raw_table
from persona.pipeline.clean import clean_table
from persona.pipeline.quality import STATE_KEY as QUALITY_STATE
from persona.pipeline.resolve.control import find_nodes
from persona.pipeline.resolve.decisions import DECISIONS_FILE
from persona.pipeline.resolve.incremental import STATE_KEY
from persona.privacy import audit
from persona.privacy.pseudonym import project_secret
from persona.privacy.suppression import identifier_nodes, suppress
from persona.store import STORE_DIR

_IDS = "_forget_ids"
_NODES = "_forget_nodes"
_ROWS = "_forget_rows"
_VALUES = "_forget_values"
REDACTED = "[forgotten]"
MIN_SCANNED_LENGTH = 4
"""Identifier values shorter than this are matched in identifier columns only, not in free text
(a member number ``12`` would match too much)."""


@dataclass
class ForgetResult:
    """What `forget_customer` removed.

    Attributes:
        customer_id: The forgotten customer.
        removed: Rows removed per table (tables with none left out).
        exports_holding: Exports whose file held the person: export_id, exported_at, format,
            target, to be deleted or recalled where they went.
        redacted: Rows of others (or of nobody known) whose text columns mentioned one of the
            person's identifiers, replaced by ``[forgotten]``, per table.
        suppressed_identifiers: Identifier hashes added to the suppression list.
        decisions_removed: Identity decisions (link/split) removed from the decisions file.
    """

    customer_id: str
    removed: dict[str, int] = field(default_factory=dict)
    exports_holding: list[dict[str, Any]] = field(default_factory=list)
    redacted: dict[str, int] = field(default_factory=dict)
    suppressed_identifiers: int = 0
    decisions_removed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (the `persona forget --json` output)."""
        return {
            "customer_id": self.customer_id,
            "removed": dict(self.removed),
            "exports_holding": list(self.exports_holding),
            "redacted": dict(self.redacted),
            "suppressed_identifiers": self.suppressed_identifiers,
            "decisions_removed": self.decisions_removed,
        }


def forget_customer(
    engine: Engine, project_dir: Path, customer_id: str, cleaning: CleaningConfig
) -> ForgetResult:
    """Remove one customer from the store and the project's decisions; suppress them.

    Args:
        engine: The project's engine.
        project_dir: The project folder (decisions file, project secret).
        customer_id: The surviving customer_id (see `persona.pipeline.resolve.control`).
        cleaning: The project's cleaning settings (to standardise raw identifiers).

    Returns:
        Counts per table, the exports that held them, the suppressed identifiers.
    """
    ids = _merged_ids(engine, customer_id)
    marks = ", ".join("?" for _ in ids)
    linked = engine.fetch_all(
        f"select node, node_type from identity_links where customer_id in ({marks})", ids
    )
    nodes = {str(n) for n, _ in linked}
    identifiers = sorted(str(n) for n, t in linked if t == "identifier")
    decisions = _decisions_without(engine, project_dir, set(ids), nodes)
    secret = project_secret(project_dir / STORE_DIR)
    result = ForgetResult(customer_id)
    try:
        with engine.transaction():
            _temp(engine, _IDS, "customer_id", ids)
            _temp(engine, _NODES, "node", sorted(nodes))
            _temp_rows(engine)
            _collect_values(engine, identifiers, cleaning)
            for kind in Kind:
                _collect_rows(engine, kind)
            values = _identifier_values(engine, identifiers)
            pattern = _pattern(values)
            _add_row_nodes(engine)
            removed = result.removed
            for kind in Kind:
                for table in (raw_table(kind), clean_table(kind)):
                    _count(removed, table, _delete_rows(engine, table, kind))
                    if pattern is not None:
                        _count(result.redacted, table, _redact(engine, table, kind, pattern))
            _count(removed, "outliers", _delete_outliers(engine))
            _count(removed, "quarantine", _delete_quarantine(engine, values, pattern))
            result.exports_holding = _mark_exports(engine)
            for table, column in _tables_with(engine):
                _count(removed, table, _delete_keyed(engine, table, column))
                if column == "customer_id":
                    _clear_references(engine, table)
            result.suppressed_identifiers = suppress(engine, identifiers, secret)
            # The saved resolve state quotes stale decisions, which may name the person; the
            # next build then resolves in full (the rows changed anyway). The quality report's
            # carried counts no longer hold for redacted records either.
            for key in (STATE_KEY, QUALITY_STATE):
                engine.execute("delete from _persona_meta where key = ?", [key])
    finally:
        for table in (_IDS, _NODES, _ROWS, _VALUES):
            engine.drop(table)
    if decisions is not None:
        result.decisions_removed = _rewrite_decisions(project_dir, decisions)
    audit.record(
        engine,
        "forget",
        None,
        {
            "removed": result.removed,
            "exports_holding": len(result.exports_holding),
            "redacted": result.redacted,
            "suppressed_identifiers": result.suppressed_identifiers,
            "decisions_removed": result.decisions_removed,
        },
    )
    return result


def _merged_ids(engine: Engine, customer_id: str) -> list[str]:
    """The customer_id and every retired id whose merges lead to it."""
    ids = [customer_id]
    frontier = [customer_id]
    while frontier:
        marks = ", ".join("?" for _ in frontier)
        found = [
            str(r[0])
            for r in engine.fetch_all(
                f"select customer_id from customer_ids where successor in ({marks})", frontier
            )
        ]
        frontier = [i for i in found if i not in ids]
        ids += frontier
    return ids


def _temp(engine: Engine, table: str, column: str, values: list[str]) -> None:
    engine.execute(f"create or replace temp table {table} ({column} VARCHAR)")
    engine.insert_rows(table, [(v,) for v in values])


def _temp_rows(engine: Engine) -> None:
    engine.execute(
        f"create or replace temp table {_ROWS} (kind VARCHAR, source VARCHAR, batch_id BIGINT, "
        "line BIGINT)"
    )


def _collect_values(engine: Engine, identifiers: list[str], cleaning: CleaningConfig) -> None:
    """Fill `_VALUES` (kind, field, value): each identifier column's values that are theirs.

    Raw columns are standardised once per distinct value (not per row); clean columns hold
    the standardised value itself.
    """
    engine.execute(
        f"create or replace temp table {_VALUES} (kind VARCHAR, field VARCHAR, value VARCHAR)"
    )
    standard: dict[str, list[str]] = {}  # identifier type -> their standardised values
    for node in identifiers:
        type_, value = node.split(":", 1)
        standard.setdefault(type_, []).append(value)
    for kind in Kind:
        fields = identifier_fields(kind)
        engine.insert_rows(
            _VALUES,
            [
                (f"clean:{kind.value}", name, value)
                for name in fields
                for value in standard.get(name.removeprefix("src_").removeprefix("dst_"), [])
            ],
        )
        table = raw_table(kind)
        if not engine.table_exists(table):
            continue
        nodes = identifier_nodes(kind, cleaning, alias="d")
        for name, node in zip(fields, nodes, strict=True):
            engine.execute(
                f"insert into {_VALUES} select ?, ?, d.{name} from (select distinct r.{name} "
                f"from {table} r where r.{name} is not null) d where {node} in "
                f"(select node from {_NODES})",
                [f"raw:{kind.value}", name],
            )


def _collect_rows(engine: Engine, kind: Kind) -> None:
    """Add the kind's raw and clean rows whose record or an identifier is the person's.

    Only profile records are graph nodes (``rec:<source>:<batch>:<line>``).
    """
    record = "'rec:' || r._source || ':' || r._batch_id || ':' || r._line"
    for table, stage in ((raw_table(kind), "raw"), (clean_table(kind), "clean")):
        if not engine.table_exists(table):
            continue
        records = [f"{record} in (select node from {_NODES})"] if kind is Kind.PROFILES else []
        hits = records + [
            f"r.{name} in (select value from {_VALUES} where kind = "
            f"{quote_literal(f'{stage}:{kind.value}')} and field = {quote_literal(name)})"
            for name in identifier_fields(kind)
        ]
        engine.execute(
            f"insert into {_ROWS} select distinct ?, r._source, r._batch_id, r._line "
            f"from {table} r where {' or '.join(hits)}",
            [kind.value],
        )


def _identifier_values(engine: Engine, identifiers: list[str]) -> list[str]:
    """Every spelling of the person's identifiers: standardised, as loaded, and phones' digits."""
    values = {str(r[0]) for r in engine.fetch_all(f"select distinct value from {_VALUES}")}
    for node in identifiers:
        if node.startswith("phone:+86"):
            values.add(node.removeprefix("phone:+86"))
    return sorted(v for v in values if v.strip())


MAX_REDACTION_PASSES = 64
"""Passes of `_redact` over a table; a text holding the value more often keeps the rest."""


def _pattern(values: list[str]) -> str | None:
    """A case-insensitive regular expression matching any value as a whole token."""
    long = [re.escape(v) for v in values if len(v) >= MIN_SCANNED_LENGTH]
    if not long:
        return None
    return f"(?i)(^|[^0-9a-z])({'|'.join(long)})($|[^0-9a-z])"


def _text_columns(engine: Engine, table: str) -> list[str]:
    rows = engine.fetch_all(
        "select column_name from information_schema.columns where table_name = ? "
        "and table_catalog = current_database() and data_type = 'VARCHAR' "
        "and column_name not in ('_source', '_problem') order by ordinal_position",
        [table],
    )
    return [str(r[0]) for r in rows]


def _redact(engine: Engine, table: str, kind: Kind, pattern: str) -> int:
    """Replace the person's identifier values left in the table's text columns; count rows.

    Identifier columns are left to the row matching (a row with their identifier is theirs).
    """
    if not engine.table_exists(table):
        return 0
    skipped = set(identifier_fields(kind))
    columns = [quote_identifier(c) for c in _text_columns(engine, table) if c not in skipped]
    if not columns:
        return 0
    hit = " or ".join(f"regexp_matches({c}, ?)" for c in columns)
    params = [pattern] * len(columns)

    def left() -> int:
        return int(engine.fetch_all(f"select count(*) from {table} where {hit}", params)[0][0])

    count = remaining = left()
    assignments = ", ".join(
        f"{c} = regexp_replace({c}, ?, '\\1{REDACTED}\\3', 'g')" for c in columns
    )
    # A match takes the delimiter after it, so "x,x" needs a second pass for the second x
    # (RE2 has no look-ahead); each pass replaces at least every other occurrence.
    for _ in range(MAX_REDACTION_PASSES):
        if not remaining:
            break
        engine.execute(f"update {table} set {assignments} where {hit}", params + params)
        remaining = left()
    return count


def _add_row_nodes(engine: Engine) -> None:
    """Add the identifiers on the person's rows that no other customer is linked to."""
    for kind in Kind:
        table = clean_table(kind)
        if not engine.table_exists(table):
            continue
        for expr in identifier_nodes(kind, None, raw=False):
            engine.execute(
                f"insert into {_NODES} select distinct {expr} from {table} r join {_ROWS} f "
                "on f.kind = ? and f.source = r._source and f.batch_id = r._batch_id "
                f"and f.line is not distinct from r._line where {expr} is not null "
                f"and {expr} not in (select node from {_NODES}) and {expr} not in ("
                f"select node from identity_links where customer_id not in "
                f"(select customer_id from {_IDS}))",
                [kind.value],
            )


def _delete_rows(engine: Engine, table: str, kind: Kind) -> int:
    if not engine.table_exists(table):
        return 0
    match = (
        f"exists (select 1 from {_ROWS} f where f.kind = {quote_literal(kind.value)} "
        f"and f.source = {table}._source and f.batch_id = {table}._batch_id "
        f"and f.line is not distinct from {table}._line)"
    )
    return _delete_where(engine, table, match)


def _delete_outliers(engine: Engine) -> int:
    return _delete_where(
        engine,
        "outliers",
        f"exists (select 1 from {_ROWS} f where f.kind = outliers.kind and f.source = "
        "outliers.source and f.batch_id = outliers.batch_id and f.line is not distinct from "
        "outliers.line)",
    )


def _delete_quarantine(engine: Engine, values: list[str], pattern: str | None) -> int:
    if not values:
        return 0
    marks = ", ".join("?" for _ in values)
    where = f"value in ({marks})"
    params: list[Any] = list(values)
    if pattern is not None:
        where += " or regexp_matches(value, ?) or regexp_matches(record, ?)"
        params += [pattern, pattern]
    return _delete_where(engine, "quarantine", where, params)


def _mark_exports(engine: Engine) -> list[dict[str, Any]]:
    """Count the person in each export that held them; return those exports."""
    held = engine.fetch_all(
        "select e.export_id, e.exported_at, e.format, e.target, count(*) from exports e "
        f"join export_members m on m.export_id = e.export_id where m.customer_id in "
        f"(select customer_id from {_IDS}) group by all order by e.export_id"
    )
    for export_id, *_, n in held:
        engine.execute(
            "update exports set forgotten = coalesce(forgotten, 0) + ? where export_id = ?",
            [int(n), int(export_id)],
        )
    return [
        {"export_id": int(i), "exported_at": at, "format": fmt, "target": target}
        for i, at, fmt, target, _ in held
    ]


def _tables_with(engine: Engine) -> list[tuple[str, str]]:
    """(table, key column) of every store table keyed by customer_id, else by identity node."""
    rows = engine.fetch_all(
        "select c.table_name, list(c.column_name) from information_schema.columns c "
        "join information_schema.tables t on t.table_name = c.table_name "
        "and t.table_catalog = c.table_catalog and t.table_schema = c.table_schema "
        "where c.table_catalog = current_database() and t.table_type = 'BASE TABLE' "
        "and c.column_name in ('customer_id', 'node') group by c.table_name order by 1"
    )
    return [(str(t), "customer_id" if "customer_id" in cols else "node") for t, cols in rows]


def _delete_keyed(engine: Engine, table: str, column: str) -> int:
    source = (
        f"select customer_id from {_IDS}"
        if column == "customer_id"
        else (f"select node from {_NODES}")
    )
    return _delete_where(engine, table, f"{quote_identifier(column)} in ({source})")


def _clear_references(engine: Engine, table: str) -> None:
    """Empty the other text columns that name the person's id (a merge's parent, a community)."""
    for column in _text_columns(engine, table):
        if column != "customer_id":
            name = quote_identifier(column)
            engine.execute(
                f"update {quote_identifier(table)} set {name} = null "
                f"where {name} in (select customer_id from {_IDS})"
            )


def _delete_where(engine: Engine, table: str, where: str, params: list[Any] | None = None) -> int:
    name = quote_identifier(table)
    count = int(engine.fetch_all(f"select count(*) from {name} where {where}", params)[0][0])
    if count:
        engine.execute(f"delete from {name} where {where}", params)
    return count


def _count(removed: dict[str, int], table: str, n: int) -> None:
    if n:
        removed[table] = removed.get(table, 0) + n


def _decisions_without(
    engine: Engine, project_dir: Path, ids: set[str], nodes: set[str]
) -> list[str] | None:
    """The decisions file's lines without those naming the person (None: nothing to drop)."""
    path = project_dir / DECISIONS_FILE
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not _names_person(engine, line, ids, nodes)]
    return kept if len(kept) < len(lines) else None


def _names_person(engine: Engine, line: str, ids: set[str], nodes: set[str]) -> bool:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return False
    if not isinstance(data, dict):
        return False
    refs = [str(r) for r in (data.get("ref1"), data.get("ref2")) if r is not None]
    if any(r.strip() in ids for r in refs) or nodes & {str(n) for n in data.get("nodes", [])}:
        return True
    return any(nodes & set(find_nodes(engine, r)) for r in refs)


def _rewrite_decisions(project_dir: Path, kept: list[str]) -> int:
    """Replace the decisions file atomically; return how many lines were dropped."""
    path = project_dir / DECISIONS_FILE
    before = len(path.read_text(encoding="utf-8").splitlines())
    scratch = path.with_suffix(".jsonl.tmp")
    scratch.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    os.replace(scratch, path)
    return before - len(kept)
