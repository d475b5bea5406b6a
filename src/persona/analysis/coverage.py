"""Coverage and hit rate (覆盖率/命中率) of an audience against a list of known customers.

The list (e.g. last campaign's converters) is a csv, xlsx, parquet or txt file of customer ids,
customer keys, phones or e-mails. Its entries are cleaned with the rules of the clean stage
and looked up among the identity graph's nodes in the engine, in one statement, so a list of
millions resolves as fast as a small one. Then:

- coverage = in both / list customers: the share of the list inside the audience;
- hit rate (precision) = in both / audience: the share of the audience on the list;
- lift = hit rate / (list customers / population): how much richer in list customers the
  audience is than the customers as a whole.

Marketing opt-outs are left out of the audience and of the list customers alike (as
`Audiences.select_into` does), unless `include_opted_out`. Counts below `privacy.k` are shown
as None (``<k``), and so are the ratios computed from them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from persona.analysis import saved
from persona.engine.base import Engine
from persona.model.errors import ProjectError
from persona.model.kinds import IDENTIFIERS, Kind
from persona.pipeline.clean.rules import clean_sql
from persona.pipeline.tags.sources import read_table
from persona.privacy.kanon import shown_count

if TYPE_CHECKING:
    from persona.config import CleaningConfig
    from persona.project import Project

LIST, REFS, MATCHED = "_coverage_list", "_coverage_refs", "_coverage_matched"
AUDIENCE = "_coverage_audience"
SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".parquet")
ID_COLUMNS = (
    "customer_id",
    "customer_key",
    "phone",
    "mobile",
    "email",
    "e-mail",
    "mail",
    "member_no",
    "客户id",
    "客户编号",
    "手机",
    "手机号",
    "手机号码",
    "电话",
    "邮箱",
    "电子邮箱",
    "会员号",
)
"""Column names (lower case) that name the customers of a list, for `--column` auto-detection."""
_LOOKS_LIKE_AN_ID = re.compile(r"\+?[\d\s\-()]{7,}|[^@\s]+@[^@\s]+|cust_\d+")


def coverage(
    project: Project,
    audience: str,
    list_path: Path,
    *,
    column: str | None = None,
    include_opted_out: bool = False,
) -> dict[str, Any]:
    """Coverage, hit rate and lift of an audience on a list of known customers.

    Args:
        project: An open, built project.
        audience: An expression, or the name of a saved audience.
        list_path: A csv, xlsx, parquet or txt file (one entry per line, no header).
        column: The list's column naming the customers (default: the only column, or the one
            named like customer_id, customer_key, phone, email, 手机, 邮箱 ...).
        include_opted_out: Keep customers who refused marketing (analytics only).

    Returns:
        ``{"audience", "expression", "list": {"file", "column", "received", "matched",
        "unmatched", "ambiguous", "empty", "duplicate"}, "list_customers", "audience_size",
        "population", "in_both", "coverage", "hit_rate", "lift", "k", "left_out":
        {"marketing_opt_out", "list_marketing_opt_out"}}``. ``received = matched + unmatched +
        empty + duplicate`` (``ambiguous`` rows, naming several customers, are part of
        ``unmatched``); a customer count below k and the ratios made from it are None.

    Raises:
        ProjectError: the file is missing, unreadable, empty or of an unknown type; the column
            is unknown or cannot be chosen; before a build.
        ExpressionError: the expression is invalid.
    """
    name, expression = saved.resolve(project.engine, audience)
    entries, chosen = read_list(list_path, column)
    engine = project.engine
    sizes = project.audiences.select_into(expression, AUDIENCE, include_opted_out=include_opted_out)
    rows = resolve_entries(engine, entries, project.config.cleaning)
    keep = "true" if include_opted_out else "not coalesce(c.consent_marketing = false, false)"
    compared, list_opted_out, in_both = engine.fetch_all(
        f"select count(*) filter (where {keep}), count(*) filter (where not {keep}), "
        f"count(*) filter (where {keep} and a.customer_id is not null) from {MATCHED} m "
        "join customers c on c.customer_id = m.customer_id "
        f"left join {AUDIENCE} a on a.customer_id = m.customer_id"
    )[0]
    for table in (LIST, REFS, MATCHED, AUDIENCE):
        engine.drop(table)
    k = project.config.privacy.k
    return {
        "audience": name,
        "expression": expression,
        "list": {"file": str(list_path), "column": chosen, **rows},
        **ratios(int(compared), sizes["count"], sizes["population"], int(in_both), k),
        "k": k,
        "left_out": {
            "marketing_opt_out": shown_count(sizes["opted_out"], k),
            "list_marketing_opt_out": shown_count(int(list_opted_out), k),
        },
    }


def ratios(listed: int, audience: int, population: int, in_both: int, k: int) -> dict[str, Any]:
    """The k-protected counts and the coverage, hit rate and lift made from them.

    Example:
        >>> ratios(listed=200, audience=1000, population=10000, in_both=50, k=10)["lift"]
        2.5
    """
    visible = shown_count(in_both, k) is not None and shown_count(listed, k) is not None
    visible = visible and shown_count(audience, k) is not None
    coverage_ = in_both / listed if visible and listed else None
    hit_rate = in_both / audience if visible and audience else None
    base = listed / population if population else 0.0
    lift = hit_rate / base if hit_rate is not None and base else None
    return {
        "list_customers": shown_count(listed, k),
        "audience_size": shown_count(audience, k),
        "population": shown_count(population, k),
        "in_both": shown_count(in_both, k),
        "coverage": _rounded(coverage_),
        "hit_rate": _rounded(hit_rate),
        "lift": _rounded(lift),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def read_list(path: Path, column: str | None = None) -> tuple[pd.Series, str | None]:
    """The entries of a list file as text (None for empty cells), and the column they came from.

    A txt file has one entry per line and no header. A csv with one column whose header looks
    like an entry (a phone, an e-mail, a customer id) has no header either.

    Raises:
        ProjectError: the file is missing, unreadable or of an unknown type, or the column
            is unknown or ambiguous.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ProjectError(
            f"list {path}: unknown file type {suffix or '(none)'!r}; use a .csv, .txt, .xlsx "
            "or .parquet file with one customer id, customer key, phone or e-mail per row"
        )
    if suffix == ".txt":
        if not path.is_file():
            raise ProjectError(f"list {path} does not exist")
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ProjectError(f"cannot read list {path}: {exc}") from None
        return _clean(pd.Series(lines, dtype="string")), None
    frame = read_table(path)
    chosen = _choose_column(frame, column, path)
    values = frame[chosen].astype("string")
    if suffix == ".csv" and frame.shape[1] == 1 and _LOOKS_LIKE_AN_ID.fullmatch(chosen.strip()):
        values = pd.concat([pd.Series([chosen], dtype="string"), values], ignore_index=True)
        return _clean(values), None
    return _clean(values), chosen


def _clean(values: pd.Series) -> pd.Series:
    return values.str.strip().replace("", None).reset_index(drop=True)


def _choose_column(frame: pd.DataFrame, column: str | None, path: Path) -> str:
    columns = [str(c) for c in frame.columns]
    if column is not None:
        if column not in columns:
            raise ProjectError(
                f"list {path} has no column {column!r}; its columns: {', '.join(columns)}"
            )
        return column
    if len(columns) == 1:
        return columns[0]
    named = [c for c in columns if c.strip().lower() in ID_COLUMNS]
    if len(named) == 1:
        return named[0]
    reason = "several columns could name the customers" if named else "no column is named"
    raise ProjectError(
        f"list {path}: {reason} ({', '.join(named or columns)}); choose one with --column, "
        "e.g. --column phone"
    )


def resolve_entries(engine: Engine, entries: pd.Series, cleaning: CleaningConfig) -> dict[str, int]:
    """Resolve list entries to customers in the engine; the customers go to temp `MATCHED`.

    An entry is a customer_id (a retired one leads to its successor) or an identifier value
    (customer_key, phone, e-mail, member_no, device_id, unionid, id_number) in any format the
    clean stage accepts. An entry naming several customers is ambiguous (unmatched); a
    customer named by an earlier entry too makes a duplicate.

    Returns:
        ``{"received", "matched", "unmatched", "ambiguous", "empty", "duplicate"}`` with
        received = matched + unmatched + empty + duplicate.
    """
    table = pa.table(
        {"entry": pa.array(range(len(entries)), pa.int64()), "ref": pa.array(entries, pa.string())}
    )
    if len(entries) == 0:
        table = pa.table({"entry": pa.array([0], pa.int64()), "ref": pa.array([None], pa.string())})
    engine.stage_arrow(LIST, iter(table.to_batches()))
    if len(entries) == 0:
        engine.execute(f"delete from {LIST}")
    nodes = " union all ".join(
        f"select entry, '{kind}:' || {_clean_sql(kind, cleaning)} as node from {LIST} "
        "where ref is not null"
        for kind in IDENTIFIERS
    )
    engine.execute(
        f"create or replace temp table {REFS} as with recursive chain(start, current, depth) as "
        "(select customer_id, successor, 1 from customer_ids where status = 'retired' "
        "and successor is not null union all select chain.start, i.successor, chain.depth + 1 "
        "from chain join customer_ids i on i.customer_id = chain.current "
        "where i.status = 'retired' and i.successor is not null and chain.depth < 100), "
        "found as ("
        f"select l.entry, c.customer_id from {LIST} l join customers c on c.customer_id = l.ref "
        f"union all select l.entry, chain.current from {LIST} l join chain on chain.start = l.ref "
        "join customers c on c.customer_id = chain.current "
        f"union all select n.entry, i.customer_id from ({nodes}) n join identity_links i "
        "on i.node = n.node and i.node_type = 'identifier') "
        "select entry, min(customer_id) as customer_id, count(distinct customer_id) as customers "
        "from found group by entry"
    )
    engine.execute(
        f"create or replace temp table {MATCHED} as select customer_id from {REFS} "
        "where customers = 1 group by customer_id"
    )
    received, empty, named, ambiguous = engine.fetch_all(
        f"select (select count(*) from {LIST}), (select count(*) from {LIST} where ref is null), "
        f"(select count(*) from {REFS} where customers = 1), "
        f"(select count(*) from {REFS} where customers > 1)"
    )[0]
    matched = int(engine.fetch_all(f"select count(*) from {MATCHED}")[0][0])
    return {
        "received": int(received),
        "matched": matched,
        "unmatched": int(received) - int(empty) - int(named),
        "ambiguous": int(ambiguous),
        "empty": int(empty),
        "duplicate": int(named) - matched,
    }


def _clean_sql(kind: str, cleaning: CleaningConfig) -> str:
    """SQL of the list entry ``ref`` cleaned as the clean stage cleans identifier `kind`."""
    return clean_sql(
        Kind.PROFILES,
        kind,
        "ref",
        cleaning.rules.get(kind),
        email_provider_rules=cleaning.email_provider_rules,
    )
