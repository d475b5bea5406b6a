"""Retention: raw and clean records older than the configured days are deleted at each build.

``privacy.retention_days: 365`` keeps a year of events; ``privacy.retention: {transactions:
1095}`` sets days per kind (events, transactions, surveys). A record is older when its time
(``timestamp``; ``answered_at`` for surveys) is before the build's as-of date (or now) minus
the days. Profiles and relations are kept: they describe who someone is, not what they did.
The build runs this step right after ingest, counts what it removed and records it in the
audit log (``retention``); features are then recomputed for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from persona.config import RETENTION_TIME_FIELDS, PrivacyConfig
from persona.engine.base import Engine
from persona.model.kinds import Kind, raw_table
from persona.pipeline.clean import clean_table
from persona.privacy import audit


@dataclass(frozen=True)
class RetentionReport:
    """What one retention step removed.

    Attributes:
        cutoffs: Per kind, the time before which records were deleted.
        removed: Rows deleted per table (``raw_events``, ``clean_events`` ...).
    """

    cutoffs: dict[str, datetime] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Raw records deleted (their clean copies are not counted twice)."""
        return sum(n for table, n in self.removed.items() if table.startswith("raw_"))


def apply_retention(
    engine: Engine, privacy: PrivacyConfig, as_of: datetime | None = None
) -> RetentionReport | None:
    """Delete the records older than the retention rules allow; None when there are no rules.

    Args:
        engine: The project's engine.
        privacy: The project's privacy settings (``retention_days``, ``retention``).
        as_of: The build's as-of time (default: now).
    """
    days = privacy.retention_for()
    if not days:
        return None
    reference = as_of or datetime.now(UTC)
    report = RetentionReport()
    with engine.transaction():
        for kind_name, kept_days in sorted(days.items()):
            kind = Kind(kind_name)
            cutoff = reference - timedelta(days=kept_days)
            report.cutoffs[kind_name] = cutoff
            time_field = RETENTION_TIME_FIELDS[kind_name]
            for table in (raw_table(kind), clean_table(kind)):
                if not engine.table_exists(table):
                    continue
                where = f"{time_field} < ?"
                count = int(
                    engine.fetch_all(f"select count(*) from {table} where {where}", [cutoff])[0][0]
                )
                if count:
                    engine.execute(f"delete from {table} where {where}", [cutoff])
                    report.removed[table] = count
            engine.execute(
                f"delete from outliers o where o.kind = ? and not exists (select 1 from "
                f"{raw_table(kind)} r where r._source = o.source and r._batch_id = o.batch_id "
                "and r._line is not distinct from o.line)",
                [kind.value],
            )
    if report.removed:
        audit.record(
            engine,
            "retention",
            None,
            {
                "days": days,
                "cutoffs": {k: v.isoformat() for k, v in report.cutoffs.items()},
                "removed": report.removed,
            },
        )
    return report
