"""How well resolution recovers known identities: pairwise and cluster-level scores.

The truth is a table of profile records (source, customer_key, entity_id): the record of that
source whose key is customer_key belongs to the true person entity_id. A source's key is the
first of its identifier fields in `KEY_ORDER` that it maps (customer_key for a CRM export,
member_no for a member system ...).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from persona.config import ProjectConfig
from persona.engine.base import Engine
from persona.model.errors import MappingError, ProjectError
from persona.model.kinds import Kind

KEY_ORDER = ("customer_key", "member_no", "unionid", "id_number", "device_id", "email", "phone")


@dataclass(frozen=True)
class Evaluation:
    """Pairwise precision/recall/F1 over truth records, and cluster-level agreement."""

    precision: float
    recall: float
    f1: float
    records: int
    matched_records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    exact_clusters: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `persona identity evaluate --json`."""
        return asdict(self)


def read_truth(path: Path) -> pd.DataFrame:
    """Read a truth CSV (source, customer_key, entity_id) as text.

    Raises:
        ProjectError: when the file is missing or not CSV.
    """
    if not path.is_file():
        raise ProjectError(f"truth file {path} does not exist")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read truth file {path} as CSV: {exc}") from None


def source_key(config: ProjectConfig, source_name: str) -> str:
    """The identifier field that keys a profile source's records."""
    source = config.source(source_name)
    mapped = set(source.columns)
    for field in KEY_ORDER:
        if field in mapped:
            return field
    return KEY_ORDER[0]


def evaluate(engine: Engine, config: ProjectConfig, truth: pd.DataFrame) -> Evaluation:
    """Score the current resolution against `truth` (columns source, customer_key, entity_id).

    Raises:
        MappingError: when the truth lacks a column or names an unknown source.
    """
    missing = {"source", "customer_key", "entity_id"} - set(truth.columns)
    if missing:
        raise MappingError(
            f"the truth file needs columns source, customer_key, entity_id; "
            f"missing: {', '.join(sorted(missing))}"
        )
    predicted = []
    for name in sorted(truth["source"].astype(str).unique()):
        if config.source(name).kind is not Kind.PROFILES:
            continue
        key = source_key(config, name)
        frame = engine.fetch_df(
            f"select p.{key}::varchar as customer_key, any_value(l.customer_id) as customer_id "
            "from clean_profiles p join identity_links l on l.node = 'rec:' || p._source || ':' "
            f"|| p._batch_id || ':' || p._line where p._source = ? and p.{key} is not null "
            "group by 1",
            [name],
        )
        frame["source"] = name
        predicted.append(frame)
    found = (
        pd.concat(predicted)
        if predicted
        else pd.DataFrame(columns=["customer_key", "customer_id", "source"])
    )
    truth = truth.astype({"source": str, "customer_key": str, "entity_id": str})
    joined = truth.merge(found, on=["source", "customer_key"], how="left")
    records = len(joined)
    # Records the resolution does not know (never loaded) stand alone.
    joined["customer_id"] = joined["customer_id"].fillna(
        "missing:" + joined["source"] + ":" + joined["customer_key"]
    )
    true_pairs = _pairs(joined.groupby("entity_id").size())
    predicted_pairs = _pairs(joined.groupby("customer_id").size())
    correct = _pairs(joined.groupby(["entity_id", "customer_id"]).size())
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # A true person is recovered exactly when all their records, and only theirs, share an id.
    ids_per_entity = joined.groupby("entity_id")["customer_id"].nunique()
    entities_per_id = joined.groupby("customer_id")["entity_id"].nunique()
    single = joined[joined["entity_id"].isin(ids_per_entity[ids_per_entity == 1].index)]
    exact = single[single["customer_id"].map(entities_per_id) == 1]["entity_id"].nunique()
    people = len(ids_per_entity)
    return Evaluation(
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        records=records,
        matched_records=int(joined["customer_id"].str.startswith("cust_").sum()),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct,
        exact_clusters=round(exact / people, 4) if people else 1.0,
    )


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())
