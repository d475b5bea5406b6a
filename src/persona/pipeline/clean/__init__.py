"""The clean stage: standardised copies of loaded records, exact duplicates out, outliers flagged.

`clean_<kind>` holds every loaded record of `raw_<kind>` with its text fields standardised (see
`persona.pipeline.clean.rules`) and the same lineage columns; `raw_<kind>` is never changed, so
the raw value is always at hand. The stage is incremental: only batches loaded since the last run
are cleaned, unless the cleaning settings changed, which rebuilds the clean tables.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from persona.config import CleaningConfig
from persona.engine.base import Engine
from persona.model.geo_cn import city_aliases, province_aliases
from persona.model.kinds import TIME_FIELDS, Kind, canonical_fields, raw_table
from persona.pipeline.clean.outliers import flag_outliers
from persona.pipeline.clean.rules import (
    GEO_CITY_TABLE,
    GEO_PROVINCE_TABLE,
    clean_sql,
    province_of_city,
)

CLEAN_VERSION = 1
"""Bump when a rule's output changes, so existing clean tables are rebuilt."""
_FRESH = "_clean_fresh"
"""Temp table of the records of one kind being cleaned, before the duplicate check."""


@dataclass(frozen=True)
class CleanCounts:
    """What one clean run did for one source."""

    source: str
    kind: str
    cleaned: int
    duplicates: int


def clean_table(kind: Kind) -> str:
    """The store table holding a kind's cleaned records, e.g. ``clean_events``."""
    return f"clean_{kind.value}"


def cleaned_with(engine: Engine) -> str | None:
    """The fingerprint of the cleaning settings the clean records were made with.

    None before the first clean. Other stages' saved results depend on it.
    """
    rows = engine.fetch_all("select value from _persona_meta where key = 'clean_config'")
    return str(rows[0][0]) if rows else None


def run_clean(engine: Engine, config: CleaningConfig) -> list[CleanCounts]:
    """Clean the batches loaded since the last run (all of them if the settings changed).

    Returns:
        Per source, the records cleaned and the exact duplicates dropped in this run.
    """
    _load_geo(engine)
    fingerprint = _fingerprint(config)
    rebuild = cleaned_with(engine) != fingerprint
    counts: list[CleanCounts] = []
    with engine.transaction():
        for kind in Kind:
            counts += _clean_kind(engine, kind, config, rebuild)
        shapes = _shapes(engine)
        stored = engine.fetch_all("select value from _persona_meta where key = 'clean_shapes'")
        before = {} if rebuild or not stored else json.loads(str(stored[0][0]))
        flag_outliers(engine, config, [k for k in Kind if before.get(k.value) != shapes[k.value]])
        engine.execute(
            "insert or replace into _persona_meta values ('clean_shapes', ?)", [json.dumps(shapes)]
        )
        engine.execute(
            "insert or replace into _persona_meta values ('clean_config', ?)", [fingerprint]
        )
    return counts


def _shapes(engine: Engine) -> dict[str, list[int]]:
    """Per kind, the clean records and their last batch: what outlier flags depend on.

    Records removed (privacy erasure) or added change it, so the kind's flags are recomputed.
    """
    shapes = {}
    for kind in Kind:
        rows, last = engine.fetch_all(
            f"select count(*), coalesce(max(_batch_id), 0) from {clean_table(kind)}"
        )[0]
        shapes[kind.value] = [int(rows), int(last)]
    return shapes


def _clean_kind(
    engine: Engine, kind: Kind, config: CleaningConfig, rebuild: bool
) -> list[CleanCounts]:
    fields = [f.name for f in canonical_fields(kind)]
    target, source_table = clean_table(kind), raw_table(kind)
    if rebuild:
        engine.drop(target)
    if not engine.table_exists(target):
        engine.execute(
            f"create table {target} as select _batch_id, _source, _line, "
            f"{', '.join(fields)}, extra from {source_table} limit 0"
        )
    done = engine.fetch_all(f"select coalesce(max(_batch_id), 0) from {target}")[0][0]
    exprs = {
        name: clean_sql(
            kind,
            name,
            f"r.{name}",
            config.rules.get(name),
            email_provider_rules=config.email_provider_rules,
        )
        for name in fields
    }
    selected = ", ".join(f"{exprs[name]} as {name}" for name in fields)
    fresh = (
        f"select r._batch_id, r._source, r._line, {selected}, r.extra from {source_table} r "
        f"where r._batch_id > {int(done)} and r._problem is null and not r._skip"
    )
    if kind is Kind.PROFILES:
        # The province lookup reads the clean city of an inner select: nested inside the city
        # rule's own lookups it cannot become a join (40 s for 5,000 cities it does not know).
        outer = ", ".join(
            f"coalesce(p.province, {province_of_city('p.city')}) as province"
            if name == "province"
            else f"p.{name}"
            for name in fields
        )
        fresh = f"select p._batch_id, p._source, p._line, {outer}, p.extra from ({fresh}) p"
    before = _per_source(engine, target)
    incoming = _per_source(
        engine, source_table, f"_batch_id > {int(done)} and _problem is null and not _skip"
    )
    if config.drop_exact_duplicates:
        _insert_unique(engine, kind, target, fresh, [*fields, "extra"])
    else:
        engine.execute(f"insert into {target} {fresh}")
    after = _per_source(engine, target)
    return [
        CleanCounts(
            source=name,
            kind=kind.value,
            cleaned=after.get(name, 0) - before.get(name, 0),
            duplicates=rows - (after.get(name, 0) - before.get(name, 0)),
        )
        for name, rows in incoming.items()
    ]


def _insert_unique(
    engine: Engine, kind: Kind, target: str, fresh: str, compared: list[str]
) -> None:
    """Insert the records of `fresh` that are not exact duplicates (per source).

    The new records are put aside first, their duplicates among themselves dropped, then those
    already in `target` deleted by a join on every compared field, which the engine runs as a
    hash table of the new records probed by the stored ones; when every new record has a time,
    only stored records in the new ones' time range are read.
    """
    keys = ", ".join(f"n.{c}" for c in compared)
    engine.drop(_FRESH)
    engine.execute(
        f"create temp table {_FRESH} as select * from ({fresh}) n qualify row_number() over ("
        f"partition by n._source, {keys} order by n._batch_id, n._line) = 1"
    )
    time = TIME_FIELDS[kind]
    rows, timed = engine.fetch_all(f"select count(*), count({time}) from {_FRESH}")[0]
    if not rows:
        engine.drop(_FRESH)
        return
    window = (
        f"c.{time} between (select min({time}) from {_FRESH}) "
        f"and (select max({time}) from {_FRESH})"
        if timed == rows
        else "true"
    )
    same = " and ".join(f"c.{n} is not distinct from n.{n}" for n in compared)
    engine.execute(
        f"delete from {_FRESH} where rowid in (select n.rowid from {_FRESH} n "
        f"join (select * from {target} c where {window}) c "
        f"on c._source = n._source and {same})"
    )
    engine.execute(f"insert into {target} select * from {_FRESH}")
    engine.drop(_FRESH)


def _per_source(engine: Engine, table: str, where: str = "true") -> dict[str, int]:
    rows = engine.fetch_all(f"select _source, count(*) from {table} where {where} group by 1")
    return {str(name): int(n) for name, n in rows}


def _load_geo(engine: Engine) -> None:
    """Create the temp lookup tables of Chinese city and province names."""
    engine.drop(GEO_CITY_TABLE)
    engine.drop(GEO_PROVINCE_TABLE)
    engine.execute(
        f"create temp table {GEO_CITY_TABLE} (key varchar, city varchar, province varchar)"
    )
    engine.execute(f"create temp table {GEO_PROVINCE_TABLE} (key varchar, province varchar)")
    engine.insert_rows(GEO_CITY_TABLE, [(k, c, p) for k, (c, p) in city_aliases().items()])
    engine.insert_rows(GEO_PROVINCE_TABLE, list(province_aliases().items()))


def _fingerprint(config: CleaningConfig) -> str:
    text = json.dumps({"version": CLEAN_VERSION, **config.model_dump()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
