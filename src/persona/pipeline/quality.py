"""The data-quality report: per source and field, how complete, valid, unique and fresh data is.

Computed from the store on demand (and at the end of every build) in one query per source:

- completeness: share of loaded records with a value (raw, before cleaning);
- validity: share of those values that survive cleaning and are plausible (a phone that is a
  phone number, a birth date between 1900 and today, a timestamp not in the future ...);
- uniqueness: distinct clean values / clean values; distinct count; min and max;
- top values: the five most frequent clean values, only for fields that are not personal data
  and have at most `TOP_DISTINCT` distinct values (an id-like field has no meaningful top);
- freshness: the newest event time of the source and the days since then;
- score: the mean of completeness x validity over the source's fields, 0-100, and overall the
  mean weighted by records.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

from persona.config import ProjectConfig, Source
from persona.engine.base import Engine, quote_literal
from persona.model.kinds import (
    IDENTIFIERS,
    TIME_FIELDS,
    FieldType,
    Kind,
    canonical_fields,
    raw_table,
)
from persona.pipeline.clean import clean_table

PERSONAL = {*IDENTIFIERS, "name", "given_name", "family_name", "address", "birth_date"}
"""Fields whose values are personal data: never listed as top values."""

TOP_DISTINCT = 100_000
"""Fields with more distinct values than this get no top values."""


@dataclass
class FieldQuality:
    """Quality figures of one canonical field of one source."""

    field: str
    completeness: float
    validity: float
    uniqueness: float
    distinct: int
    min: str | None
    max: str | None
    top: list[tuple[str, int]] = dataclasses.field(default_factory=list)


@dataclass
class SourceQuality:
    """Quality figures of one source."""

    name: str
    kind: str
    records: int
    score: float
    newest: str | None
    days_since_newest: float | None
    fields: list[FieldQuality] = dataclasses.field(default_factory=list)


@dataclass
class QualityReport:
    """The whole report; `to_dict` is what `persona quality --json` prints.

    `coverage` (once the resolve stage has run): per data kind, the share of customers with a
    profile who have records of that kind, and how many of them have 1, 2 ... 5 kinds.
    """

    score: float
    sources: list[SourceQuality]
    coverage: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def quality_report(engine: Engine, config: ProjectConfig) -> QualityReport:
    """Compute the data-quality report of every configured source."""
    sources = [_source_quality(engine, s) for s in config.sources]
    records = sum(s.records for s in sources)
    score = sum(s.score * s.records for s in sources) / records if records else 0.0
    return QualityReport(round(score, 1), sources, _coverage(engine))


def _coverage(engine: Engine) -> dict[str, Any]:
    """Which of the five data kinds the customers with a profile have (the seed's dimensions)."""
    if not engine.table_exists("customers"):
        return {}
    flags = [f"has_{kind.value}" for kind in Kind]
    row = engine.fetch_all(
        f"select count(*), {', '.join(f'avg({f}::int)' for f in flags)} from customers "
        "where profile_records > 0"
    )[0]
    if not row[0]:
        return {}
    kinds = engine.fetch_all(
        f"select {' + '.join(f'{f}::int' for f in flags)} as n, count(*) from customers "
        "where profile_records > 0 group by 1 order by 1"
    )
    return {
        "customers": int(row[0]),
        "share_with": {k.value: round(float(v), 4) for k, v in zip(Kind, row[1:], strict=True)},
        "customers_by_kinds": {str(int(n)): int(c) for n, c in kinds},
    }


def _source_quality(engine: Engine, source: Source) -> SourceQuality:
    kind = source.kind
    raw, clean = raw_table(kind), clean_table(kind)
    if not engine.table_exists(clean):
        return SourceQuality(source.name, kind.value, 0, 0.0, None, None)
    where = f"c._source = {quote_literal(source.name)}"
    types = {f.name: f.type for f in canonical_fields(kind)}
    present = _fields_with_values(engine, kind, clean, where)
    # Raw values of the records that reached the clean table, each against its own raw record
    # (batch and line; the source on both sides), so both counts cover the same rows.
    raw_counts = engine.fetch_all(
        f"select count(*), {', '.join(f'count(r.{n})' for n in present) or '0'} from {clean} c "
        f"join {raw} r on r._batch_id = c._batch_id and r._line = c._line "
        f"where {where} and r._source = {quote_literal(source.name)}"
    )[0]
    # The clean figures need no join: one scan of the clean table.
    aggregates = ["count(*)"]
    for name in present:
        aggregates += [
            f"count(c.{name}) filter (where {_plausible('c.' + name, name, types[name])})",
            f"count(c.{name})",
            f"count(distinct c.{name})",
            f"min(c.{name})::varchar",
            f"max(c.{name})::varchar",
        ]
    figures = engine.fetch_all(f"select {', '.join(aggregates)} from {clean} c where {where}")[0]
    records = int(raw_counts[0])
    if records == 0:
        return SourceQuality(source.name, kind.value, 0, 0.0, None, None)
    fields = []
    for i, name in enumerate(present):
        raw_count = raw_counts[1 + i]
        plausible, cleaned, distinct, low, high = figures[1 + 5 * i : 6 + 5 * i]
        personal_text = name in PERSONAL and types[name] is FieldType.TEXT
        fields.append(
            FieldQuality(
                field=name,
                completeness=round(int(raw_count) / records, 4),
                validity=round(int(plausible) / int(raw_count), 4) if raw_count else 0.0,
                uniqueness=round(int(distinct) / int(cleaned), 4) if cleaned else 0.0,
                distinct=int(distinct),
                min=None if personal_text else low,
                max=None if personal_text else high,
                top=_top_values(engine, clean, where, name, types[name])
                if distinct <= TOP_DISTINCT
                else [],
            )
        )
    score = 100 * sum(f.completeness * f.validity for f in fields) / len(fields) if fields else 0
    newest, days = _freshness(engine, kind, clean, where)
    return SourceQuality(source.name, kind.value, records, round(score, 1), newest, days, fields)


def _fields_with_values(engine: Engine, kind: Kind, table: str, where: str) -> list[str]:
    names = [f.name for f in canonical_fields(kind)]
    counts = engine.fetch_all(
        f"select {', '.join(f'count({n})' for n in names)} from {table} c where {where}"
    )[0]
    return [n for n, c in zip(names, counts, strict=True) if c]


def _top_values(
    engine: Engine, table: str, where: str, name: str, type_: FieldType
) -> list[tuple[str, int]]:
    """The five most frequent values; none for personal data or non-categorical fields."""
    if name in PERSONAL or type_ not in (FieldType.TEXT, FieldType.BOOLEAN):
        return []
    return [
        (str(v), int(n))
        for v, n in engine.fetch_all(
            f"select c.{name}::varchar, count(*) from {table} c where {where} "
            f"and c.{name} is not null group by 1 order by 2 desc, 1 limit 5"
        )
    ]


def _plausible(column: str, name: str, type_: FieldType) -> str:
    """SQL condition: the clean value exists and is plausible for its field.

    Cleaning already turned impossible phones, e-mails and genders into NULL; negative amounts
    are refunds, not errors.
    """
    if name == "birth_date":
        return f"{column} between date '1900-01-01' and current_date"
    if name == "age":
        return f"{column} between 0 and 120"
    if type_ is FieldType.TIMESTAMP:
        return f"{column} between timestamptz '1990-01-01' and now() + interval 1 day"
    return f"{column} is not null"


def _freshness(
    engine: Engine, kind: Kind, clean: str, where: str
) -> tuple[str | None, float | None]:
    column = TIME_FIELDS[kind]
    newest, days = engine.fetch_all(
        f"select max({column})::varchar, "
        f"round(epoch(now() - max({column})) / 86400, 1) from {clean} c where {where}"
    )[0]
    return (None, None) if newest is None else (str(newest), float(days))
