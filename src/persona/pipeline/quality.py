"""The data-quality report: per source and field, how complete, valid, unique and fresh data is.

Computed from the store on demand (and at the end of every build). Every figure but two is
recomputed each time in one scan per source; raw counts (which need each clean record's raw
record) and distinct counts are carried over from the last report for the records it covered,
and only newer records are read for them (`STATE_KEY`):

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
import json
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
from persona.pipeline.clean import clean_table, cleaned_with

PERSONAL = {*IDENTIFIERS, "name", "given_name", "family_name", "address", "birth_date"}
"""Fields whose values are personal data: never listed as top values."""

TOP_DISTINCT = 100_000
"""Fields with more distinct values than this get no top values."""
STATE_KEY = "quality_state"
"""`_persona_meta` key of the counts a report carries over to the next one."""


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
    """Compute the data-quality report of every configured source.

    Raw counts, distinct counts, min and max and the fields with values are carried over
    from the last report (`STATE_KEY`) for the records it covered, when none of them changed
    since (see `_carried`); only newer records are read for them.
    """
    previous = _load_state(engine)
    basis = cleaned_with(engine)
    carried = previous.get("sources", {}) if previous.get("basis") == basis else {}
    sources, kept = [], {}
    for source in config.sources:
        quality, counts = _source_quality(engine, source, carried.get(source.name))
        sources.append(quality)
        if counts is not None:
            kept[source.name] = counts
    engine.execute(
        "insert or replace into _persona_meta values (?, ?)",
        [STATE_KEY, json.dumps({"basis": basis, "sources": kept})],
    )
    records = sum(s.records for s in sources)
    score = sum(s.score * s.records for s in sources) / records if records else 0.0
    return QualityReport(round(score, 1), sources, _coverage(engine))


def _load_state(engine: Engine) -> dict[str, Any]:
    rows = engine.fetch_all("select value from _persona_meta where key = ?", [STATE_KEY])
    return dict(json.loads(str(rows[0][0]))) if rows else {}


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


def _source_quality(
    engine: Engine, source: Source, previous: dict[str, Any] | None
) -> tuple[SourceQuality, dict[str, Any] | None]:
    """One source's figures, and the counts to carry over to the next report."""
    kind = source.kind
    clean = clean_table(kind)
    if not engine.table_exists(clean):
        return SourceQuality(source.name, kind.value, 0, 0.0, None, None), None
    where = f"c._source = {quote_literal(source.name)}"
    types = {f.name: f.type for f in canonical_fields(kind)}
    carried = _carried(engine, clean, where, previous)
    present = _present(engine, clean, where, list(types), carried)
    if carried and any(n not in carried["raw"] or n not in carried["distinct"] for n in present):
        carried = None  # a field got its first values: count it from the start
    # Values and plausible values (when more than "has a value") in one scan.
    counted = ["count(*)", "coalesce(max(c._batch_id), 0)"]
    for name in present:
        plausible = _plausible(f"c.{name}", name, types[name])
        counted += [
            f"count(c.{name})",
            f"count(c.{name}) filter (where {plausible})"
            if plausible != f"c.{name} is not null"
            else "null",
        ]
    row = engine.fetch_all(f"select {', '.join(counted)} from {clean} c where {where}")[0]
    shown = [n for n in present if not (n in PERSONAL and types[n] is FieldType.TEXT)]
    bounds = _bounds(engine, clean, where, shown, carried)
    figures = {
        name: (
            row[2 + 2 * i],
            row[2 + 2 * i] if row[3 + 2 * i] is None else row[3 + 2 * i],
            *bounds.get(name, (None, None)),
        )
        for i, name in enumerate(present)
    }
    last = int(row[1])
    raw_counts = _raw_counts(engine, source, present, carried)
    distinct = _distinct(engine, clean, where, present, carried)
    records = int(raw_counts[0])
    if records == 0:
        return SourceQuality(source.name, kind.value, 0, 0.0, None, None), None
    fields = []
    for i, name in enumerate(present):
        raw_count = raw_counts[1 + i]
        cleaned, plausible, low, high = figures[name]
        fields.append(
            FieldQuality(
                field=name,
                completeness=round(int(raw_count) / records, 4),
                validity=round(int(plausible) / int(raw_count), 4) if raw_count else 0.0,
                uniqueness=round(distinct[name] / int(cleaned), 4) if cleaned else 0.0,
                distinct=distinct[name],
                min=low,
                max=high,
                top=_top_values(engine, clean, where, name, types[name])
                if distinct[name] <= TOP_DISTINCT
                else [],
            )
        )
    score = 100 * sum(f.completeness * f.validity for f in fields) / len(fields) if fields else 0
    newest, days = _freshness(engine, kind, clean, where)
    counts = {
        "watermark": last,
        "rows": int(row[0]),
        "records": records,
        "raw": dict(zip(present, (int(n) for n in raw_counts[1:]), strict=True)),
        "distinct": distinct,
        "bounds": bounds,
    }
    quality = SourceQuality(source.name, kind.value, records, round(score, 1), newest, days, fields)
    return quality, counts


def _carried(
    engine: Engine, clean: str, where: str, previous: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The last report's counts, if they still hold for the records it covered.

    They do when its records (batches up to its watermark) are all still there, unchanged in
    number (retention or erasure removes some; a redaction also drops the state, see
    `persona.privacy.forget`) and the cleaning settings are the same (checked by the caller).
    """
    if previous is None:
        return None
    rows = engine.fetch_all(
        f"select count(*) from {clean} c where {where} "
        f"and c._batch_id <= {int(previous['watermark'])}"
    )[0][0]
    return previous if int(rows) == int(previous["rows"]) else None


def _present(
    engine: Engine, clean: str, where: str, names: list[str], carried: dict[str, Any] | None
) -> list[str]:
    """The fields with a clean value: those the carried counts had, and any a newer record has.

    Without carried counts, every field is counted over the whole table.
    """
    newer = f" and c._batch_id > {int(carried['watermark'])}" if carried else ""
    known = set(carried["raw"]) if carried else set()
    unknown = [n for n in names if n not in known]
    # "Any value": the engine skips row groups its statistics say hold none.
    hits = (
        engine.fetch_all(
            "select "
            + ", ".join(
                f"exists (select 1 from {clean} c where {where}{newer} and c.{n} is not null)"
                for n in unknown
            )
        )[0]
        if unknown
        else []
    )
    found = known | {n for n, hit in zip(unknown, hits, strict=True) if hit}
    return [n for n in names if n in found]


def _bounds(
    engine: Engine, clean: str, where: str, shown: list[str], carried: dict[str, Any] | None
) -> dict[str, tuple[str | None, str | None]]:
    """Min and max clean value (as text) of each shown field (personal text has none shown).

    With carried bounds, only newer records are read and compared with them, in the field's
    type (text of a number or a time does not sort like it).
    """
    if not shown:
        return {}
    kept = carried.get("bounds", {}) if carried else {}
    types = dict(engine.fetch_all(f"select column_name, column_type from (describe {clean})"))
    parts, params = [], []
    for name in shown:
        low, high = kept.get(name, (None, None))
        if carried and name in kept:
            parts.append(
                f"least(min(c.{name}), cast(? as {types[name]}))::varchar, "
                f"greatest(max(c.{name}), cast(? as {types[name]}))::varchar"
            )
            params += [low, high]
        else:
            parts.append(f"min(c.{name})::varchar, max(c.{name})::varchar")
    fresh = all(name in kept for name in shown) and carried
    newer = f" and c._batch_id > {int(carried['watermark'])}" if fresh and carried else ""
    row = engine.fetch_all(
        f"select {', '.join(parts)} from {clean} c where {where}{newer}", params
    )[0]
    return {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(shown)}


def _raw_counts(
    engine: Engine, source: Source, present: list[str], carried: dict[str, Any] | None
) -> list[int]:
    """Records, and per present field the raw values, of the records in the clean table.

    Each clean record is compared with its own raw record (batch and line; the source on both
    sides), so both counts cover the same rows; only records after the carried watermark are
    read when counts are carried.
    """
    raw, clean = raw_table(source.kind), clean_table(source.kind)
    newer = f" and c._batch_id > {int(carried['watermark'])}" if carried else ""
    name = quote_literal(source.name)
    row = engine.fetch_all(
        f"select count(*), {', '.join(f'count(r.{n})' for n in present) or '0'} from {clean} c "
        f"join {raw} r on r._batch_id = c._batch_id and r._line = c._line "
        f"where c._source = {name} and r._source = {name}{newer}"
    )[0]
    counts = [int(n) for n in row[: 1 + len(present)]]
    if carried:
        counts[0] += int(carried["records"])
        for i, field_name in enumerate(present):
            counts[1 + i] += int(carried["raw"][field_name])
    return counts


def _distinct(
    engine: Engine, clean: str, where: str, present: list[str], carried: dict[str, Any] | None
) -> dict[str, int]:
    """Distinct clean values per present field.

    With carried counts: the carried distinct values plus the new records' values that no
    earlier record has (a semi-join probing the earlier records with the new values).
    """
    if not present:
        return {}
    if carried is None:
        row = engine.fetch_all(
            f"select {', '.join(f'count(distinct c.{n})' for n in present)} from {clean} c "
            f"where {where}"
        )[0]
        return {name: int(n) for name, n in zip(present, row, strict=True)}
    watermark = int(carried["watermark"])
    result = {}
    for name in present:
        fresh = (
            f"select distinct c.{name} as v from {clean} c where {where} "
            f"and c._batch_id > {watermark} and c.{name} is not null"
        )
        new, known = engine.fetch_all(
            f"select (select count(*) from ({fresh})), (select count(distinct c.{name}) "
            f"from {clean} c where {where} and c._batch_id <= {watermark} "
            f"and c.{name} in (select v from ({fresh})))"
        )[0]
        result[name] = int(carried["distinct"][name]) + int(new) - int(known)
    return result


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
