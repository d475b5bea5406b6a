"""The store: `.persona/store.duckdb` in the project folder, and its versioned schema.

Each migration is a list of statements applied in one transaction; the store records its schema
version, so a store written by an older Persona is upgraded on open (with a message), and one
written by a newer Persona is refused with a clear error instead of being damaged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from persona.engine.base import Engine
from persona.model.errors import StoreError
from persona.model.kinds import FieldType, Kind, canonical_fields, raw_table

STORE_DIR = ".persona"
STORE_FILE = "store.duckdb"

SQL_TYPES = {
    FieldType.TEXT: "VARCHAR",
    FieldType.NUMBER: "DOUBLE",
    FieldType.INTEGER: "BIGINT",
    FieldType.BOOLEAN: "BOOLEAN",
    FieldType.DATE: "DATE",
    FieldType.TIMESTAMP: "TIMESTAMPTZ",
    FieldType.JSON: "VARCHAR",
}


def _raw_table_ddl(kind: Kind) -> str:
    fields = ",\n  ".join(f"{f.name} {SQL_TYPES[f.type]}" for f in canonical_fields(kind))
    return (
        f"create table {raw_table(kind)} (\n"
        "  _batch_id BIGINT not null,\n  _source VARCHAR not null,\n  _line BIGINT,\n"
        f"  {fields},\n  extra VARCHAR,\n"
        # Working columns of a load: set on bad and skipped rows, which leave before commit.
        "  _problem VARCHAR,\n  _skip BOOLEAN\n)"
    )


MIGRATIONS: list[list[str]] = [
    # v1: batches, quarantine, one raw table per kind, the question bank, builds.
    [
        "create table _persona_meta (key VARCHAR primary key, value VARCHAR)",
        """create table batches (
          batch_id BIGINT primary key, source VARCHAR not null, kind VARCHAR not null,
          file VARCHAR not null, size BIGINT, mtime_ns BIGINT, content_hash VARCHAR,
          encoding VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
          received BIGINT, loaded BIGINT, quarantined BIGINT, skipped BIGINT)""",
        """create table quarantine (
          batch_id BIGINT not null, source VARCHAR not null, file VARCHAR, line BIGINT,
          column_name VARCHAR, value VARCHAR, reason VARCHAR not null, record VARCHAR)""",
        *(_raw_table_ddl(kind) for kind in Kind),
        """create table question_bank (
          source VARCHAR not null, question_id VARCHAR not null, text VARCHAR,
          type VARCHAR, dimension VARCHAR, extra VARCHAR)""",
        """create table builds (
          build_id BIGINT primary key, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
          stages VARCHAR)""",
    ],
    # v2: the clean stage's outlier flags (clean_<kind> tables are made by the stage itself).
    [
        """create table outliers (
          kind VARCHAR, source VARCHAR, batch_id BIGINT, line BIGINT, field VARCHAR,
          value DOUBLE, score DOUBLE, method VARCHAR)""",
    ],
    # v3: identity resolution: ids and links (customers is made by the stage; human decisions
    # live in the project folder, see persona.pipeline.resolve.decisions).
    [
        """create table customer_ids (
          customer_id VARCHAR primary key, seq BIGINT, minted_at TIMESTAMPTZ,
          status VARCHAR, successor VARCHAR, parent VARCHAR)""",
        """create table identity_links (
          node VARCHAR primary key, node_type VARCHAR, customer_id VARCHAR, source VARCHAR,
          reason VARCHAR, score DOUBLE)""",
        """create table identity_excluded (node VARCHAR, reason VARCHAR)""",
    ],
    # v4: the tag registry and the snapshots of each build (their rows live in
    # snapshot_<id> tables, see persona.pipeline.tags.snapshots).
    [
        """create table tag_catalog (
          name VARCHAR primary key, version BIGINT, fingerprint VARCHAR, definition VARCHAR,
          params VARCHAR, created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ)""",
        """create table snapshots (
          snapshot_id BIGINT primary key, build_id BIGINT, created_at TIMESTAMPTZ,
          as_of TIMESTAMPTZ, incremental BOOLEAN, customers BIGINT, recomputed BIGINT,
          tags VARCHAR)""",
    ],
    # v5: saved audiences and their size at every refresh (persona.analysis.saved).
    [
        """create table audiences (
          name VARCHAR primary key, expression VARCHAR not null, created_at TIMESTAMPTZ,
          updated_at TIMESTAMPTZ, version BIGINT)""",
        """create table audience_history (
          name VARCHAR, version BIGINT, expression VARCHAR, refreshed_at TIMESTAMPTZ,
          size BIGINT, snapshot_id BIGINT)""",
    ],
    # v6: privacy: the export registry (where customer data went, persona.privacy.registry)
    # and the audit log of privacy-relevant actions (persona.privacy.audit).
    [
        """create table exports (
          export_id BIGINT primary key, exported_at TIMESTAMPTZ, audience VARCHAR,
          expression VARCHAR, format VARCHAR, target VARCHAR, fields VARCHAR, count BIGINT,
          file_hash VARCHAR, masked BOOLEAN, pseudonymised BOOLEAN, forgotten BIGINT)""",
        "create table export_members (export_id BIGINT, customer_id VARCHAR)",
        """create table audit_log (
          entry_id BIGINT primary key, logged_at TIMESTAMPTZ, action VARCHAR, subject VARCHAR,
          detail VARCHAR, actor VARCHAR)""",
    ],
    # v7: the suppression list of `persona forget`: keyed hashes (persona.privacy.pseudonym) of
    # a forgotten person's identifiers, so a later ingest does not bring them back.
    ["create table forgotten (hash VARCHAR primary key, forgotten_at TIMESTAMPTZ)"],
]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass
class MigrationReport:
    """What opening the store did to its schema."""

    from_version: int
    to_version: int
    messages: list[str] = field(default_factory=list)


def store_path(project_dir: Path) -> Path:
    """Return the store file of a project folder."""
    return project_dir / STORE_DIR / STORE_FILE


def schema_version(engine: Engine) -> int:
    """Return the store's schema version (0 for an empty store)."""
    if not engine.table_exists("_persona_meta"):
        return 0
    rows = engine.fetch_all("select value from _persona_meta where key = 'schema_version'")
    return int(rows[0][0]) if rows else 0


def migrate(engine: Engine, migrations: list[list[str]] | None = None) -> MigrationReport:
    """Bring the store's schema up to date, one version per transaction.

    Args:
        engine: An open engine on the store.
        migrations: The migration list (tests pass their own); defaults to `MIGRATIONS`.

    Raises:
        StoreError: when the store was written by a newer Persona.
    """
    steps = MIGRATIONS if migrations is None else migrations
    current = schema_version(engine)
    report = MigrationReport(current, len(steps))
    if current > len(steps):
        raise StoreError(
            f"the store was written by a newer Persona (schema v{current}; this version "
            f"knows up to v{len(steps)}); upgrade Persona (`pip install -U persona`) "
            "or use a store of your own version"
        )
    for version in range(current + 1, len(steps) + 1):
        with engine.transaction():
            for statement in steps[version - 1]:
                engine.execute(statement)
            engine.execute(
                "insert or replace into _persona_meta values ('schema_version', ?)", [str(version)]
            )
        if current > 0:
            report.messages.append(f"upgraded the store schema from v{version - 1} to v{version}")
    return report
