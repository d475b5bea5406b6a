"""Helper tables of the tags that read more than the features: sequences and imported files.

Each helper is a temp table ``(customer_id, value)`` that the tags query left-joins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from persona.engine.base import Engine, quote_literal
from persona.model.errors import ProjectError
from persona.model.tags import SequenceStep, TagDefinition
from persona.pipeline.features.records import (
    CANCELLED,
    CUSTOMERS,
    REFUNDED,
    build_links,
    owner_sql,
    timestamp_literal,
)


@dataclass(frozen=True)
class ImportCounts:
    """How the rows of an imported tag file or labelled sample were used.

    received = matched + unmatched + empty, always.
    """

    received: int
    matched: int
    unmatched: int
    empty: int


def build_sequence(engine: Engine, tag: TagDefinition, as_of: datetime, table: str) -> None:
    """Create `table` with the customers who did step `first` then `then` within N days.

    For every occurrence of the second step, the latest occurrence of the first step at or
    before it is found (an as-of join); the pair counts when they are at most `within_days`
    apart. Records after `as_of` are not read.
    """
    assert tag.first is not None and tag.then is not None and tag.within_days is not None
    if not engine.table_exists(CUSTOMERS):
        build_links(engine)
    first = _step_sql(engine, tag.first, as_of)
    then = _step_sql(engine, tag.then, as_of)
    engine.drop(table)
    engine.execute(
        f"create temp table {table} as select distinct c.customer_id, true as value "
        f"from ({then}) b asof join ({first}) a on a.cid = b.cid and a.ts <= b.ts "
        f"join {CUSTOMERS} c on c.cid = b.cid "
        f"where b.ts <= a.ts + to_days({tag.within_days})"
    )


def _step_sql(engine: Engine, step: SequenceStep, as_of: datetime) -> str:
    """SQL of (cid, ts) of every record matching one step."""
    if step.order:
        table, alias = "clean_transactions", "t"
        excluded = ", ".join(quote_literal(s) for s in (*CANCELLED, *REFUNDED))
        conditions = [f"coalesce(lower(t.status), '') not in ({excluded})"]
    else:
        table, alias = "clean_events", "e"
        conditions = [f"lower(e.event) = {quote_literal(str(step.event).lower())}"]
    if step.category is not None:
        conditions.append(f"{alias}.category = {quote_literal(step.category)}")
    if step.channel is not None:
        conditions.append(f"{alias}.channel = {quote_literal(step.channel)}")
    conditions.append(f"{alias}.timestamp <= {timestamp_literal(as_of)}")
    joins, owner = owner_sql(engine, table, alias)
    return (
        f"select * from (select {owner} as cid, {alias}.timestamp as ts from {table} {alias} "
        f"{joins} where {' and '.join(conditions)}) where cid is not null"
    )


def read_table(path: Path) -> pd.DataFrame:
    """Read a small CSV, xlsx or parquet file as text columns.

    Raises:
        ProjectError: when the file is missing or unreadable.
    """
    if not path.is_file():
        raise ProjectError(f"{path} does not exist")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path).astype("string")
        if path.suffix.lower() in (".xlsx", ".xls"):
            return pd.read_excel(path, dtype=str, engine="calamine")
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read {path}: {exc}") from None


def stage_references(
    engine: Engine, frame: pd.DataFrame, key: str, value: str, table: str, where: str
) -> ImportCounts:
    """Create `table` (customer_id, value) from a file's rows of customer reference and value.

    A reference is a customer_id or any identifier value (customer key, phone, e-mail ... as
    the clean stage stores it). Rows whose reference names no customer are counted as
    unmatched; rows without a reference or value as empty. When one customer has several rows,
    the last one counts.

    Raises:
        ProjectError: when the file lacks the named columns.
    """
    missing = [c for c in (key, value) if c not in frame.columns]
    if missing:
        raise ProjectError(
            f"{where} has no column {', '.join(map(repr, missing))}; "
            f"its columns: {', '.join(map(str, frame.columns))}"
        )
    refs = pd.DataFrame(
        {
            "row": range(len(frame)),
            "ref": frame[key].astype("string").str.strip(),
            "value": frame[value].astype("string").str.strip(),
        }
    ).replace("", None)
    empty = int((refs["ref"].isna() | refs["value"].isna()).sum())
    refs = refs.dropna()
    staged = f"{table}_refs"
    engine.stage_arrow(staged, iter(pa.Table.from_pandas(refs, preserve_index=False).to_batches()))
    engine.drop(table)
    engine.execute(
        f"create temp table {table} as select customer_id, arg_max(value, row) as value from ("
        f"select r.row, r.value, coalesce(c.customer_id, l.customer_id) as customer_id "
        f"from {staged} r left join customers c on c.customer_id = r.ref "
        "left join (select substr(node, strpos(node, ':') + 1) as ref, "
        "min(customer_id) as customer_id from identity_links where node_type = 'identifier' "
        f"group by 1) l on l.ref = r.ref) where customer_id is not null group by customer_id"
    )
    matched = int(
        engine.fetch_all(
            f"select count(*) from {staged} r where exists (select 1 from customers c "
            "where c.customer_id = r.ref) or exists (select 1 from identity_links l "
            "where l.node_type = 'identifier' and substr(l.node, strpos(l.node, ':') + 1) = r.ref)"
        )[0][0]
    )
    engine.drop(staged)
    return ImportCounts(len(frame), matched, len(refs) - matched, empty)


def build_imported(engine: Engine, root: Path, tag: TagDefinition, table: str) -> ImportCounts:
    """Create `table` with an imported tag's values (see `stage_references`)."""
    path = root / str(tag.path)
    return stage_references(
        engine, read_table(path), str(tag.key), str(tag.value_column), table, str(tag.path)
    )
