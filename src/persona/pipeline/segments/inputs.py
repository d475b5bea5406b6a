"""What segments are made of: one row per consenting customer with every usable column.

The source joins the `features` table, the customer attributes expressions may read
(education, occupation, consents ...), the `tags` table and `profile_extras`: the extra
(unmapped) columns of profile sources, one column per extra attribute, holding the value of the
customer's most trusted profile record (sources in `identity.source_priority` order, else the
order of `sources`; the latest record of a source first). An extra attribute whose every
non-empty value reads as a number is a number, else text. Customers whose
`consent_profiling` is false are left out (DESIGN.md section 9); a missing consent is no
objection.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from persona.config import ProjectConfig
from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.model.errors import ConfigError, ProjectError
from persona.model.kinds import Kind
from persona.model.suggest import did_you_mean
from persona.pipeline.clean import cleaned_with
from persona.pipeline.features import FEATURES, feature_catalog
from persona.pipeline.features.refresh import links_digest
from persona.pipeline.features.surveys import survey_dimensions
from persona.pipeline.tags import TAGS, attribute_columns
from persona.privacy.suppression import forgotten_count

EXTRAS = "profile_extras"
_EXTRAS_KEY = "profile_extras_basis"
"""`_persona_meta` key: what the `profile_extras` table was made of."""

DEFAULT_FEATURES = (
    "frequency",
    "avg_order_value",
    "recency_days",
    "days_since_last_event",
    "discount_share",
    "avg_discount",
    "night_share",
    "tenure_days",
    "age",
    "household_size",
    "top_category",
    "gender",
    "top_channel",
)
"""The features segments are made of unless `segmentation.features` says otherwise: how
often and how much customers buy, how recently they bought and came, how much they rely on
discounts, when they are active, how long they have been customers, who they are (age,
gender, household) and what and where they buy; the ones without any value are skipped."""


@dataclass(frozen=True)
class Source:
    """The rows segments are made of.

    Attributes:
        sql: A subquery: ``customer_id`` and every usable column, consenting customers only.
        types: Column -> ``number``, ``boolean``, ``text`` or ``other`` (times, lists).
        tags: The columns that are tags (``tag('x')`` in rule expressions).
    """

    sql: str
    types: dict[str, str]
    tags: tuple[str, ...]

    def column(self, name: str) -> str:
        """The quoted column (for SQL over ``sql``)."""
        return quote_identifier(name)


def build_source(engine: Engine) -> Source:
    """The source relation (after `build_profile_extras`).

    Raises:
        ProjectError: before the features stage has run.
    """
    if not engine.table_exists(FEATURES):
        raise ProjectError("no features yet: run `persona build` first")
    feature_types = {spec.name: spec.type for spec in feature_catalog(survey_dimensions(engine))}
    features = [c for c in engine.table_columns(FEATURES) if c != "customer_id"]
    attributes = attribute_columns(features)
    tags = _columns(engine, TAGS)
    taken = {*features, *attributes, *tags}
    extras = [c for c in _columns(engine, EXTRAS) if c not in taken]
    selected = [f"f.{quote_identifier(c)}" for c in features]
    selected += [f"a.{quote_identifier(c)}" for c in attributes]
    selected += [f"t.{quote_identifier(c)}" for c in tags]
    selected += [f"e.{quote_identifier(c)}" for c in extras]
    joins = (
        "left join (select customer_id as _a_id, consent_profiling as _consent, "
        f"{', '.join(quote_identifier(c) for c in attributes) or 'null as _none'} "
        "from customers) a on a._a_id = f.customer_id"
    )
    if tags:
        joins += f" left join (select customer_id as _t_id, * exclude (customer_id) from {TAGS})"
        joins += " t on t._t_id = f.customer_id"
    if extras:
        joins += f" left join (select customer_id as _e_id, * exclude (customer_id) from {EXTRAS})"
        joins += " e on e._e_id = f.customer_id"
    sql = (
        f"(select f.customer_id, {', '.join(selected)} from {FEATURES} f {joins} "
        "where coalesce(a._consent, true))"
    )
    empty = engine.fetch_df(f"select * from {sql} s limit 0")
    types: dict[str, str] = {}
    for name, dtype in empty.dtypes.items():
        column = str(name)
        if column == "customer_id":
            continue
        if feature_types.get(column) in ("list", "timestamp"):
            types[column] = "other"
        elif pd.api.types.is_bool_dtype(dtype):
            types[column] = "boolean"
        elif pd.api.types.is_numeric_dtype(dtype):
            types[column] = "number"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            types[column] = "other"
        else:
            types[column] = "text"
    return Source(sql, types, tuple(tags))


def counts(engine: Engine, source: Source) -> tuple[int, int]:
    """Customers segmented (consenting) and left out for lack of profiling consent."""
    segmented = int(engine.fetch_all(f"select count(*) from {source.sql} s")[0][0])
    total = int(engine.fetch_all(f"select count(*) from {FEATURES}")[0][0])
    return segmented, total - segmented


def chosen_features(features: Sequence[str] | None, source: Source) -> list[str]:
    """The features to segment on: the configured ones (checked), else the defaults present.

    Raises:
        ConfigError: a configured feature does not exist or cannot be segmented on.
    """
    if features is None:
        return [f for f in DEFAULT_FEATURES if source.types.get(f) in ("number", "boolean", "text")]
    known = sorted(source.types)
    problems = []
    for name in features:
        kind = source.types.get(name)
        if kind is None:
            problems.append(
                f"segmentation.features: {name!r} is not a feature, tag or extra profile "
                f"attribute{did_you_mean(name, known)}"
            )
        elif kind == "other":
            problems.append(
                f"segmentation.features: {name!r} is a time or a list; segment on a number "
                "(e.g. recency_days instead of last_order_at) or a category"
            )
    if len(set(features)) != len(features):
        problems.append("segmentation.features lists a feature twice")
    if problems:
        raise ConfigError("\n".join(problems))
    return list(features)


def sample_frame(
    engine: Engine, source: Source, features: Sequence[str], size: int, seed: int
) -> pd.DataFrame:
    """Up to `size` customers in a random order fixed by `seed` (hash of id and seed)."""
    columns = ", ".join(source.column(f) for f in features)
    return engine.fetch_df(
        f"select customer_id, {columns} from {source.sql} s "
        f"order by hash(customer_id || {quote_literal(':' + str(seed))}), customer_id "
        f"limit {int(size)}"
    )


def build_profile_extras(engine: Engine, config: ProjectConfig) -> list[str]:
    """Rewrite `profile_extras`: customer_id and one column per extra profile attribute.

    Kept as it is when what it is made of has not changed since it was written (see
    `_extras_basis`).

    Returns:
        The extra attributes, in name order.
    """
    if not engine.table_exists("clean_profiles") or not engine.table_exists("identity_links"):
        engine.drop(EXTRAS)
        engine.execute(f"create table {EXTRAS} (customer_id VARCHAR)")
        return []
    priority = config.identity.source_priority or [
        s.name for s in config.sources if s.kind is Kind.PROFILES
    ]
    basis = _extras_basis(engine, priority)
    kept = engine.fetch_all("select value from _persona_meta where key = ?", [_EXTRAS_KEY])
    if engine.table_exists(EXTRAS) and kept and kept[0][0] == basis:
        return [c for c in engine.table_columns(EXTRAS) if c != "customer_id"]
    engine.drop(EXTRAS)
    keys = _write_extras(engine, priority)
    engine.execute("insert or replace into _persona_meta values (?, ?)", [_EXTRAS_KEY, basis])
    return keys


def _extras_basis(engine: Engine, priority: list[str]) -> str:
    """What `profile_extras` is made of, as one comparable string.

    The clean profiles (their number, last batch and cleaning settings), the identity links
    (their digest), the profile sources in priority order and the people forgotten (an
    erasure also redacts others' records).
    """
    rows, last = engine.fetch_all(
        "select count(*), coalesce(max(_batch_id), 0) from clean_profiles"
    )[0]
    return json.dumps(
        [
            int(rows),
            int(last),
            cleaned_with(engine),
            links_digest(engine),
            priority,
            forgotten_count(engine),
        ]
    )


def _write_extras(engine: Engine, priority: list[str]) -> list[str]:
    """Create `profile_extras` from the clean profiles; return its attributes.

    Each attribute comes from the most trusted source (first in `priority`), then its latest
    record.
    """
    keys = sorted(
        str(r[0])
        for r in engine.fetch_all(
            "select distinct unnest(json_keys(extra)) from clean_profiles where extra is not null"
        )
    )
    rank = " ".join(f"when {quote_literal(n)} then {i}" for i, n in enumerate(priority))
    # Most trusted source first, then its latest record (as the customers table's default).
    order = f"(case p._source {rank} else {len(priority)} end) * 1e15 - p._batch_id * 1e9 - p._line"
    values = {key: f"nullif(trim(p.extra ->> {quote_literal(key)}), '')" for key in keys}
    numeric = set()
    if keys:
        checks = ", ".join(
            f"count({v}) = count(try_cast({v} as double)) and count({v}) > 0"
            for v in values.values()
        )
        row = engine.fetch_all(f"select {checks} from clean_profiles p")[0]
        numeric = {key for key, flag in zip(keys, row, strict=True) if flag}
    chosen = [
        f"arg_min({v}, {order}) filter (where {v} is not null) as {quote_identifier(key)}"
        for key, v in values.items()
    ]
    typed = [
        f"try_cast({quote_identifier(k)} as double) as {quote_identifier(k)}"
        if k in numeric
        else quote_identifier(k)
        for k in keys
    ]
    engine.execute(
        f"create table {EXTRAS} as select customer_id{''.join(', ' + t for t in typed)} from ("
        f"select l.customer_id{''.join(', ' + c for c in chosen)} from identity_links l "
        "join clean_profiles p on l.node = 'rec:' || p._source || ':' || p._batch_id || ':' "
        "|| p._line where l.node_type = 'record' group by l.customer_id) order by customer_id"
    )
    return keys


def _columns(engine: Engine, table: str) -> list[str]:
    if not engine.table_exists(table):
        return []
    return [c for c in engine.table_columns(table) if c != "customer_id"]
