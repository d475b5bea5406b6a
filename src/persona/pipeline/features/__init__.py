"""The features stage: one wide per-customer table, `features`, computed inside the engine.

1. `records.build_records` gives every clean event, order line, answer and relation its
   customer (temp tables), leaving out anything after the as-of time;
2. each family (`transactions`, `events`, `surveys`, `social`, `profile`) makes its own temp
   table keyed by customer number, in SQL (PageRank and communities are the one Python step);
3. `features` is `customers` left-joined to every family, counts of absent kinds filled with 0.

Families are separate queries so that each can later be recomputed for the customers whose
records changed (incremental refresh). Definitions and conventions: docs/features.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from persona.config import ProjectConfig
from persona.engine.base import Engine
from persona.model.errors import ProjectError
from persona.pipeline.features.catalog import (
    FILLS,
    FeatureSpec,
    feature_catalog,
    survey_column,
)
from persona.pipeline.features.events import build_events
from persona.pipeline.features.profile import build_profile
from persona.pipeline.features.records import (
    CUSTOMERS,
    FeatureContext,
    build_records,
    drop_records,
)
from persona.pipeline.features.social import build_social
from persona.pipeline.features.surveys import build_surveys, survey_dimensions
from persona.pipeline.features.transactions import build_transactions

__all__ = [
    "FEATURES",
    "FeatureReport",
    "FeatureSpec",
    "feature_catalog",
    "latest_timestamp",
    "run_features",
    "survey_column",
]

FEATURES = "features"
_INPUTS = (
    "customers",
    "identity_links",
    "question_bank",
    "clean_profiles",
    "clean_events",
    "clean_transactions",
    "clean_surveys",
    "clean_relations",
)
_TIMES = (
    ("clean_events", "timestamp"),
    ("clean_transactions", "timestamp"),
    ("clean_surveys", "answered_at"),
    ("clean_relations", "since"),
    ("clean_profiles", "registered_at"),
)


@dataclass(frozen=True)
class FeatureReport:
    """What one features run made.

    Attributes:
        as_of: The as-of time used (aware); nothing after it was read.
        customers: Rows of the `features` table (one per customer).
        columns: The feature columns, in table order (customer_id first).
        seconds: Wall-clock time of the run.
    """

    as_of: datetime
    customers: int
    columns: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_features(
    engine: Engine, config: ProjectConfig, as_of: datetime | None = None
) -> FeatureReport:
    """Rewrite the `features` table: one row per customer, every feature of the catalog.

    Args:
        engine: The engine on the project's store (after the resolve stage).
        config: The project configuration (its time zone decides local hours and dates).
        as_of: Nothing after this time is used; a naive time is in the project time zone.
            Default: the latest timestamp in the data (see `latest_timestamp`).

    Returns:
        The as-of time, the customers, the columns and the seconds taken.

    Raises:
        ProjectError: the store has no customers yet (run the build first).

    Example:
        >>> report = run_features(project.engine, project.config)  # doctest: +SKIP
        >>> report.columns[:3]                                      # doctest: +SKIP
        ['customer_id', 'age', 'gender']
    """
    started = time.perf_counter()
    missing = [t for t in _INPUTS if not engine.table_exists(t)]
    if missing:
        raise ProjectError(
            f"the features stage needs {', '.join(missing)}, which the store does not have "
            "yet; run `persona build` first"
        )
    zone = ZoneInfo(config.timezone)
    if as_of is None:
        as_of = latest_timestamp(engine)
    elif as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=zone)
    as_of = as_of.astimezone(zone)
    ctx = FeatureContext(engine, as_of, config.timezone)
    build_records(ctx)
    try:
        transactions = build_transactions(ctx)
        families = {
            "profile": build_profile(ctx, transactions),
            "transactions": transactions,
            "events": build_events(ctx),
            "surveys": build_surveys(ctx),
            "social": build_social(ctx),
        }
        columns = _write_features(ctx, families)
    finally:
        drop_records(engine)
        for name in ("profile", "transactions", "events", "surveys", "social"):
            engine.drop(f"_ff_family_{name}")
    customers = int(engine.fetch_all(f"select count(*) from {FEATURES}")[0][0])
    return FeatureReport(as_of, customers, columns, round(time.perf_counter() - started, 3))


def latest_timestamp(engine: Engine) -> datetime:
    """The latest event, order, answer, relation or registration time, ignoring future ones.

    Times more than a day after now (a broken clock) are ignored, as in the quality report;
    without any time at all, now.
    """
    parts = " union all ".join(
        f"select max({column}) as t from {table} where {column} <= now() + interval 1 day"
        for table, column in _TIMES
        if engine.table_exists(table)
    )
    value = engine.fetch_all(f"select max(t) from ({parts})")[0][0] if parts else None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _write_features(ctx: FeatureContext, families: dict[str, str]) -> list[str]:
    """Create `features` from `customers` and the family tables; return its columns."""
    engine = ctx.engine
    holder: dict[str, int] = {}
    joins = []
    for alias, table in enumerate(families.values()):
        joins.append(f"left join {table} f{alias} on f{alias}.cid = k.cid")
        for column in engine.table_columns(table):
            holder.setdefault(column, alias)
    selected = []
    for spec in feature_catalog(survey_dimensions(engine)):
        value = f"f{holder[spec.name]}.{spec.name}"
        fill = FILLS.get(spec.name)
        selected.append(f"{f'coalesce({value}, {fill})' if fill else value} as {spec.name}")
    with engine.transaction():
        engine.drop(FEATURES)
        engine.execute(
            f"create table {FEATURES} as select k.customer_id, {', '.join(selected)} "
            f"from {CUSTOMERS} k {' '.join(joins)} order by k.cid"
        )
        engine.execute(
            "insert or replace into _persona_meta values ('features_as_of', ?)",
            [ctx.as_of.isoformat()],
        )
    return engine.table_columns(FEATURES)
