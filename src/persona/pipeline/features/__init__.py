"""The features stage: one wide per-customer table, `features`, computed inside the engine.

1. `records.build_records` gives every clean event, order line, answer and relation its
   customer (temp tables), leaving out anything after the as-of time;
2. each family (`transactions`, `events`, `surveys`, `social`, `profile`) makes its own temp
   table keyed by customer number, in SQL (the Python steps: PageRank and communities, and the
   keywords of distinct free-text answers);
3. `features` is `customers` left-joined to every family, counts of absent kinds filled with 0.

Families are separate queries so that each can later be recomputed for the customers whose
records changed (incremental refresh). Definitions and conventions: docs/features.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
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
    ONLY,
    FeatureContext,
    build_records,
    data_span,
    drop_records,
)
from persona.pipeline.features.refresh import AFFECTED, fingerprint, plan_refresh, save_state
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
        recomputed: Customers whose features were computed in this run.
        full_reason: Why every customer was recomputed; None for an incremental refresh.
    """

    as_of: datetime
    customers: int
    columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    recomputed: int = 0
    full_reason: str | None = None

    @property
    def incremental(self) -> bool:
        """Whether only the affected customers were recomputed."""
        return self.full_reason is None


def run_features(
    engine: Engine,
    config: ProjectConfig,
    as_of: datetime | None = None,
    *,
    incremental: bool = False,
) -> FeatureReport:
    """Rewrite the `features` table: one row per customer, every feature of the catalog.

    Args:
        engine: The engine on the project's store (after the resolve stage).
        config: The project configuration (its time zone decides local hours and dates).
        as_of: Nothing after this time is used; a naive time is in the project time zone.
            Default: the latest timestamp in the data (see `latest_timestamp`).
        incremental: Recompute only the customers new data touched, when possible (see
            `refresh`).

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
    ctx = FeatureContext(engine, as_of, config.timezone, span=data_span(engine, as_of))
    columns = [spec.name for spec in feature_catalog(survey_dimensions(engine))]
    print_ = fingerprint(config.timezone, columns)
    reason = plan_refresh(ctx, print_, FEATURES) if incremental else "a full run was asked for"
    if reason is None:
        ctx = replace(ctx, only=True)
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
        written = _write_features(ctx, families, print_)
        customers = int(engine.fetch_all(f"select count(*) from {FEATURES}")[0][0])
        recomputed = (
            int(engine.fetch_all(f"select count(*) from {ONLY}")[0][0]) if ctx.only else customers
        )
    finally:
        drop_records(engine)
        engine.drop(AFFECTED)
        for name in ("profile", "transactions", "events", "surveys", "social"):
            engine.drop(f"_ff_family_{name}")
    seconds = round(time.perf_counter() - started, 3)
    return FeatureReport(as_of, customers, written, seconds, recomputed, reason)


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


def _write_features(ctx: FeatureContext, families: dict[str, str], print_: str) -> list[str]:
    """Write `features` from `customers` and the family tables; return its columns.

    A full run recreates the table. An incremental one replaces the affected customers' rows
    and brings every customer's social features up to date (they are global).
    """
    engine = ctx.engine
    holder: dict[str, int] = {}
    joins = []
    for alias, table in enumerate(families.values()):
        joins.append(f"left join {table} f{alias} on f{alias}.cid = k.cid")
        for column in engine.table_columns(table):
            holder.setdefault(column, alias)
    values = {}
    for spec in feature_catalog(survey_dimensions(engine)):
        value = f"f{holder[spec.name]}.{spec.name}"
        fill = FILLS.get(spec.name)
        values[spec.name] = f"coalesce({value}, {fill})" if fill else value
    selected = ", ".join(f"{value} as {name}" for name, value in values.items())
    with engine.transaction():
        if ctx.only:
            engine.execute(
                f"delete from {FEATURES} where customer_id in (select customer_id from {AFFECTED})"
            )
            engine.execute(
                f"insert into {FEATURES} by name select k.customer_id, {selected} "
                f"from {CUSTOMERS} k {' '.join(joins)} where k.cid in (select cid from {ONLY})"
            )
            _update_social(ctx, families["social"], list(families).index("social"), values)
        else:
            engine.drop(FEATURES)
            engine.execute(
                f"create table {FEATURES} as select k.customer_id, {selected} "
                f"from {CUSTOMERS} k {' '.join(joins)} order by k.cid"
            )
        save_state(engine, ctx, print_)
    return engine.table_columns(FEATURES)


def _update_social(ctx: FeatureContext, social: str, index: int, values: dict[str, str]) -> None:
    """Set every customer's social features from the (whole) social family table `f<index>`."""
    engine = ctx.engine
    columns = [c for c in engine.table_columns(social) if c != "cid" and c in values]
    if not engine.fetch_all(f"select count(*) from {social}")[0][0]:
        # Nobody is in a relation: every value is its fill (or NULL); set only where not.
        empty = {c: values[c].replace(f"f{index}.{c}", "null") for c in columns}
        differ = " or ".join(f"{c} is distinct from {empty[c]}" for c in columns)
        if not engine.fetch_all(f"select count(*) from {FEATURES} where {differ}")[0][0]:
            return
    fresh = ", ".join(f"{values[c]} as {c}" for c in columns)
    changed = " or ".join(f"{FEATURES}.{c} is distinct from s.{c}" for c in columns)
    engine.execute(
        f"update {FEATURES} set {', '.join(f'{c} = s.{c}' for c in columns)} from "
        f"(select k.customer_id, {fresh} from {CUSTOMERS} k left join {social} f{index} "
        f"on f{index}.cid = k.cid) s where {FEATURES}.customer_id = s.customer_id and ({changed})"
    )
