"""What the catalog says about each tag: coverage, distribution, lineage and accuracy.

Coverage is the share of customers a tag says something about: a value other than null, and
for a yes/no tag, yes. The null share is the share with no value at all.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from persona.engine.base import Engine, quote_identifier
from persona.model.tags import TagDefinition
from persona.pipeline.tags import TAGS, registry
from persona.pipeline.tags.definitions import Catalog
from persona.pipeline.tags.evaluate import value_type
from persona.pipeline.tags.sources import stage_references


def coverage(engine: Engine, catalog: Catalog) -> list[dict[str, Any]]:
    """Per tag: customers, covered, coverage, null share and distinct values."""
    total = int(engine.fetch_all(f"select count(*) from {TAGS}")[0][0])
    present = set(engine.table_columns(TAGS))
    rows = []
    for tag in catalog.tags:
        if tag.name not in present:
            continue
        column = quote_identifier(tag.name)
        yes = f"{column}" if value_type(tag) == "boolean" else f"{column} is not null"
        covered, nulls, distinct = engine.fetch_all(
            f"select count(*) filter (where {yes}), count(*) filter (where {column} is null), "
            f"count(distinct {column}) from {TAGS}"
        )[0]
        rows.append(
            {
                "tag": tag.name,
                "category": tag.category,
                "customers": total,
                "covered": int(covered),
                "coverage": round(int(covered) / total, 4) if total else 0.0,
                "null_share": round(int(nulls) / total, 4) if total else 0.0,
                "distinct": int(distinct),
            }
        )
    return rows


def listing(
    engine: Engine, catalog: Catalog, categories: dict[str, tuple[str, str]], lang: str
) -> list[dict[str, Any]]:
    """One row per tag: name, display name, category, kind, type, version, coverage."""
    cover = {c["tag"]: c for c in coverage(engine, catalog)}
    versions = registry.load(engine)
    return [
        {
            "tag": tag.name,
            "name": tag.display_name(lang),
            "category": tag.category,
            "category_name": categories[tag.category][0 if lang == "zh" else 1],
            "kind": tag.kind,
            "type": value_type(tag),
            "version": versions[tag.name].version if tag.name in versions else None,
            "coverage": cover[tag.name]["coverage"] if tag.name in cover else None,
            "null_share": cover[tag.name]["null_share"] if tag.name in cover else None,
            "defined_in": tag.origin,
        }
        for tag in catalog.tags
    ]


def distribution(engine: Engine, name: str, limit: int = 20) -> list[dict[str, Any]]:
    """A tag's most frequent values (null included) with counts and shares."""
    column = quote_identifier(name)
    rows = engine.fetch_all(
        f"select cast({column} as varchar), count(*), count(*) / sum(count(*)) over () "
        f"from {TAGS} group by 1 order by 2 desc, 1 nulls last limit ?",
        [limit],
    )
    return [
        {
            "value": None if value is None else str(value),
            "count": int(count),
            "share": round(float(share), 4),
        }
        for value, count, share in rows
    ]


def describe(engine: Engine, catalog: Catalog, name: str, lang: str) -> dict[str, Any]:
    """Everything about one tag: definition, version and dates, values, coverage, lineage."""
    tag = catalog.get(name)
    entry = registry.load(engine).get(name)
    cover = next((c for c in coverage(engine, catalog) if c["tag"] == name), None)
    values = distribution(engine, name) if cover else []
    for value in values:
        if value["value"] is not None:
            value["name"] = tag.value_name(value["value"], lang)
    definition = tag.model_dump(exclude_defaults=True, mode="json")
    return {
        "name": tag.name,
        "name_zh": tag.display_name("zh"),
        "name_en": tag.display_name("en"),
        "category": tag.category,
        "kind": tag.kind,
        "type": value_type(tag),
        "description": tag.description,
        "description_zh": tag.description_zh,
        "owner": tag.owner,
        "version": entry.version if entry else tag.version,
        "created_at": entry.created_at.isoformat() if entry else None,
        "updated_at": entry.updated_at.isoformat() if entry else None,
        "defined_in": tag.origin,
        "definition": definition,
        "fit": entry.params if entry else {},
        "coverage": cover,
        "values": values,
        "uses": catalog.uses.get(name, []),
    }


def accuracy(
    engine: Engine, tag: TagDefinition, labels: pd.DataFrame, where: str
) -> dict[str, Any]:
    """Precision and recall of each value of a tag against a labelled sample.

    Args:
        engine: The engine.
        tag: The tag.
        labels: Two columns: a customer reference (id or identifier) and the true value
            (yes/no tags: true/false, yes/no, 1/0, 是/否).
        where: The sample's name in messages.

    Returns:
        ``{"tag", "sample": {received, matched, unmatched, empty}, "accuracy",
        "values": [{"value", "precision", "recall", "support", "predicted"}]}``.
    """
    key, truth = str(labels.columns[0]), str(labels.columns[1])
    counts = stage_references(engine, labels, key, truth, "_tg_truth", where)
    name, yes_no = tag.name, value_type(tag) == "boolean"
    column = quote_identifier(name)
    frame = engine.fetch_df(
        f"select cast(t.{column} as varchar) as predicted, s.value as actual "
        f"from _tg_truth s join {TAGS} t using (customer_id)"
    )
    engine.drop("_tg_truth")
    for side in ("actual", "predicted"):
        frame[side] = frame[side].map(lambda v: _normalise(v, yes_no))
    rows = []
    for value in sorted(set(frame["actual"].dropna()) | set(frame["predicted"].dropna())):
        predicted = frame["predicted"] == value
        actual = frame["actual"] == value
        hits = int((predicted & actual).sum())
        rows.append(
            {
                "value": value,
                "precision": round(hits / int(predicted.sum()), 4) if predicted.any() else None,
                "recall": round(hits / int(actual.sum()), 4) if actual.any() else None,
                "support": int(actual.sum()),
                "predicted": int(predicted.sum()),
            }
        )
    agree = int((frame["predicted"] == frame["actual"]).sum())
    return {
        "tag": name,
        "sample": vars(counts),
        "accuracy": round(agree / len(frame), 4) if len(frame) else None,
        "values": rows,
    }


_TRUE = {"true", "yes", "y", "1", "是", "t"}
_FALSE = {"false", "no", "n", "0", "否", "f"}


def _normalise(value: object, yes_no: bool) -> str | None:
    """A value as text; for a yes/no tag, yes/no spellings as ``true``/``false``."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    text = str(value).strip()
    if not yes_no:
        return text
    lowered = text.lower()
    if lowered in _TRUE:
        return "true"
    if lowered in _FALSE:
        return "false"
    return text
