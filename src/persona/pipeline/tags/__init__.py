"""The tags stage: evaluate the tag catalog into `tags`, one row per customer, a column per tag.

1. the catalog (built-in and project tags) is validated against the features, the customer
   attributes and the survey dimensions, all problems at once, and ordered so that a tag comes
   after the tags it uses (`definitions`);
2. population-dependent tags (quantile bins, RFM) are fitted at a full run and the fit is kept
   in `tag_catalog`, which also versions every definition (`registry`);
3. sequence and imported tags get helper tables (`sources`);
4. one query computes every tag in layers (a layer per depth of tag-on-tag use), inside the
   engine; an incremental run recomputes only the given customers' rows;
5. customers who refused profiling (``consent_profiling`` false) keep only their basic
   (demographics, 基础属性) tags: every other tag is null for them (persona.privacy.consent).

Definitions and conventions: docs/tags.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from persona.config import ProjectConfig
from persona.engine.base import Engine, quote_identifier
from persona.model.errors import ProjectError
from persona.model.tags import TagDefinition
from persona.pipeline.features import FEATURES, feature_catalog
from persona.pipeline.features.records import drop_records
from persona.pipeline.features.surveys import survey_dimensions
from persona.pipeline.resolve.survivorship import ATTRIBUTES, CONSENTS
from persona.pipeline.tags import registry
from persona.pipeline.tags.definitions import Catalog, build_catalog, project_tags
from persona.pipeline.tags.evaluate import TagInputs, fit, needs_fit, value_sql
from persona.pipeline.tags.sources import ImportCounts, build_imported, build_sequence
from persona.privacy.consent import BASIC_CATEGORY, refused, refused_sql

__all__ = ["TAGS", "Catalog", "TagReport", "attribute_columns", "load_catalog", "run_tags"]

TAGS = "tags"
_HIDDEN = {
    "customer_id",
    "name",
    "given_name",
    "family_name",
    "address",
    "postcode",
    "birth_date",
    "sources",
    "profile_records",
}
"""Customer columns an expression may not read: ids and direct or quasi identifiers."""


@dataclass(frozen=True)
class TagReport:
    """What one tags run made.

    Attributes:
        tags: The tag columns, in evaluation order.
        customers: Customers whose tags were (re)computed.
        incremental: Whether only some customers were recomputed.
        imported: Per imported tag, how its file's rows were used.
        seconds: Wall-clock time of the run.
        profiling_refused: Customers who refused profiling: only their basic tags are set.
    """

    tags: list[str]
    customers: int
    incremental: bool = False
    imported: dict[str, ImportCounts] = field(default_factory=dict)
    seconds: float = 0.0
    profiling_refused: int = 0


def attribute_columns(features: list[str]) -> list[str]:
    """Customer attributes (not features) that expressions may use: education, consents ..."""
    return [
        name
        for name in [*ATTRIBUTES, "registered_at", *CONSENTS]
        if name not in _HIDDEN and name not in features
    ]


def load_catalog(engine: Engine, config: ProjectConfig, root: Path) -> Catalog:
    """The project's validated tag catalog.

    It needs only the question bank (for the survey dimensions), so a build checks the catalog
    right after ingesting, before the long stages.

    Raises:
        ConfigError: listing every problem of every definition.
    """
    dimensions = survey_dimensions(engine)
    features = [spec.name for spec in feature_catalog(dimensions)]
    columns = features + attribute_columns(features)
    categories = list(config.tagging.category_names())
    return build_catalog(project_tags(config, dimensions), columns, dimensions, root, categories)


def run_tags(
    engine: Engine,
    config: ProjectConfig,
    root: Path,
    *,
    affected: str | None = None,
) -> TagReport:
    """Evaluate the catalog into the `tags` table.

    Args:
        engine: The engine on the store (after the features stage).
        config: The project configuration.
        root: The project folder (for imported files).
        affected: A table of `customer_id`s: recompute only their rows, with the fits kept
            from the last full run. Without it (or when the catalog changed), a full run.

    Returns:
        The tag columns, the customers computed, whether it was incremental, import counts.

    Raises:
        ProjectError: before the features stage has run.
        ConfigError: a definition is invalid (every problem at once).
    """
    started = time.perf_counter()
    if not engine.table_exists(FEATURES):
        raise ProjectError("no features yet: run `persona build` first")
    catalog = load_catalog(engine, config, root)
    known = registry.load(engine)
    fingerprints = {t.name: registry.fingerprint(t, config, root) for t in catalog.tags}
    incremental = affected is not None and _same_catalog(engine, catalog, known, fingerprints)
    params: dict[str, dict[str, Any]] = {}
    for tag in catalog.tags:
        entry = known.get(tag.name)
        reuse = incremental and entry is not None
        if needs_fit(tag):
            params[tag.name] = (
                entry.params
                if reuse and entry
                else fit(engine, tag, FEATURES, config.tagging.rfm_bins)
            )
    as_of = _features_as_of(engine)
    inputs = TagInputs(
        as_of_date=as_of.date(),
        timezone=config.timezone,
        lifecycle=config.tagging.lifecycle,
        rfm_bins=config.tagging.rfm_bins,
    )
    helpers: dict[str, str] = {}
    imported: dict[str, ImportCounts] = {}
    try:
        for index, tag in enumerate(catalog.tags):
            if tag.kind == "sequence":
                helpers[tag.name] = f"_tg_h{index}"
                build_sequence(engine, tag, as_of, helpers[tag.name])
            elif tag.kind == "imported":
                helpers[tag.name] = f"_tg_h{index}"
                imported[tag.name] = build_imported(engine, root, tag, helpers[tag.name])
        select = _tags_query(
            engine, catalog, params, inputs, helpers, affected if incremental else None
        )
        with engine.transaction():
            if incremental:
                engine.execute(
                    f"delete from {TAGS} where customer_id in (select customer_id from {affected})"
                )
                engine.execute(f"insert into {TAGS} {select}")
            else:
                engine.drop(TAGS)
                engine.execute(f"create table {TAGS} as {select}")
            registry.save(engine, catalog, fingerprints, params, known)
    finally:
        for table in helpers.values():
            engine.drop(table)
        drop_records(engine)
    computed = f"select count(*) from {affected}" if incremental else f"select count(*) from {TAGS}"
    return TagReport(
        [t.name for t in catalog.tags],
        int(engine.fetch_all(computed)[0][0]),
        incremental,
        imported,
        round(time.perf_counter() - started, 3),
        refused(engine, "profiling"),
    )


def _same_catalog(
    engine: Engine, catalog: Catalog, known: dict[str, registry.Entry], fingerprints: dict[str, str]
) -> bool:
    """Whether the tags table exists with exactly these tags, each unchanged since."""
    if not engine.table_exists(TAGS):
        return False
    if engine.table_columns(TAGS) != ["customer_id", *(t.name for t in catalog.tags)]:
        return False
    return all(
        name in known and known[name].fingerprint == print_ for name, print_ in fingerprints.items()
    )


def _features_as_of(engine: Engine) -> datetime:
    row = engine.fetch_all("select value from _persona_meta where key = 'features_as_of'")
    if not row:
        raise ProjectError("no features yet: run `persona build` first")
    return datetime.fromisoformat(str(row[0][0]))


def _tags_query(
    engine: Engine,
    catalog: Catalog,
    params: dict[str, dict[str, Any]],
    inputs: TagInputs,
    helpers: dict[str, str],
    affected: str | None,
) -> str:
    """One SELECT of customer_id and every tag, in layers of tag-on-tag depth."""
    features = [c for c in engine.table_columns(FEATURES) if c != "customer_id"]
    attributes = attribute_columns(features)
    columns = {name: name for name in [*features, *attributes]}
    depth: dict[str, int] = {}
    for tag in catalog.tags:
        used = [u.removeprefix("tag:") for u in catalog.uses[tag.name] if u.startswith("tag:")]
        depth[tag.name] = 1 + max((depth[u] for u in used), default=-1)
    joins = " ".join(
        f"left join (select customer_id as _h{i}_id, value as _h{i}_value from {table}) "
        f"on _h{i}_id = f.customer_id"
        for i, table in enumerate(helpers.values())
    )
    helper_value = {name: f"_h{i}_value" for i, name in enumerate(helpers)}
    where = f"where f.customer_id in (select customer_id from {affected})" if affected else ""
    attribute_sql = ", ".join(f"a.{quote_identifier(a)}" for a in attributes)
    layers = [
        f"t0 as (select f.*{', ' + attribute_sql if attributes else ''}"
        f"{''.join(', ' + v for v in helper_value.values())} from {FEATURES} f "
        "left join (select customer_id as _a_id, * exclude (customer_id) from customers) a "
        f"on a._a_id = f.customer_id {joins} {where})"
    ]
    for level in range(max(depth.values(), default=-1) + 1):
        values = [
            f"{_value(tag, catalog, params, inputs, columns, helper_value)} as "
            f"{quote_identifier('tag:' + tag.name)}"
            for tag in catalog.tags
            if depth[tag.name] == level
        ]
        layers.append(f"t{level + 1} as (select *, {', '.join(values)} from t{level})")
    final = ", ".join(
        f"{_consented(t, quote_identifier('tag:' + t.name))} as {quote_identifier(t.name)}"
        for t in catalog.tags
    )
    return (
        f"with {', '.join(layers)} select customer_id{', ' + final if final else ''} "
        f"from t{len(layers) - 1} order by customer_id"
    )


def _consented(tag: TagDefinition, value: str) -> str:
    """A tag's value, null for profiling refusers unless the tag is a basic one."""
    if tag.category == BASIC_CATEGORY:
        return value
    return f"case when {refused_sql('profiling')} then null else {value} end"


def _value(
    tag: TagDefinition,
    catalog: Catalog,
    params: dict[str, dict[str, Any]],
    inputs: TagInputs,
    columns: dict[str, str],
    helper_value: dict[str, str],
) -> str:
    return value_sql(
        tag,
        catalog.rules.get(tag.name, []),
        params.get(tag.name, {}),
        inputs,
        columns,
        lambda name: quote_identifier("tag:" + name),
        helper=helper_value.get(tag.name),
    )
