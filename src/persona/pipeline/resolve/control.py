"""Finding customers by any reference, explaining their links, and recording human decisions.

A REF is a `customer_id` (a retired one leads to its successor), a record node
(``rec:crm:1:12``) or any identifier value (a customer_key, a phone in any format, an e-mail
...): identifier values are cleaned with the same rules as the data before they are looked up.
"""

from __future__ import annotations

from typing import Any

from persona.engine.base import Engine, quote_literal
from persona.model.errors import UnknownReferenceError
from persona.model.kinds import IDENTIFIERS, Kind
from persona.pipeline.clean.rules import clean_sql
from persona.pipeline.resolve.graph import ANCHORS


def find_nodes(engine: Engine, ref: str, nodes_table: str = "identity_links") -> list[str]:
    """The graph nodes a REF names (empty when none), looked up in `nodes_table`."""
    ref = ref.strip()
    if ref.startswith("rec:"):
        found = engine.fetch_all(f"select 1 from {nodes_table} where node = ?", [ref])
        return [ref] if found else []
    candidates = []
    for type_ in IDENTIFIERS:
        value = engine.fetch_all(f"select {clean_sql(Kind.PROFILES, type_, quote_literal(ref))}")
        if value and value[0][0]:
            candidates.append(f"{type_}:{value[0][0]}")
    if not candidates:
        return []
    marks = ", ".join("?" for _ in candidates)
    return [
        str(r[0])
        for r in engine.fetch_all(
            f"select distinct node from {nodes_table} where node in ({marks}) order by node",
            candidates,
        )
    ]


def find_customer(engine: Engine, ref: str) -> str:
    """The customer_id a REF names.

    Raises:
        UnknownReferenceError: when it names no customer or several.
    """
    ref = ref.strip()
    if ref.startswith("cust_"):
        current = ref
        for _ in range(100):  # follow merges to the surviving id
            row = engine.fetch_all(
                "select status, successor from customer_ids where customer_id = ?", [current]
            )
            if not row:
                break
            status, successor = row[0]
            if status != "retired" or successor is None:
                return current
            current = str(successor)
        raise UnknownReferenceError(f"no customer {ref!r}; ids look like cust_00000042")
    nodes = find_nodes(engine, ref)
    if not nodes:
        raise UnknownReferenceError(
            f"no customer has {ref!r} as an id, record or identifier (customer_key, phone, "
            "e-mail, member_no, device_id, unionid, id_number); check the value, or run "
            "`persona build` if it was loaded recently"
        )
    marks = ", ".join("?" for _ in nodes)
    customers = sorted(
        {
            str(r[0])
            for r in engine.fetch_all(
                f"select customer_id from identity_links where node in ({marks})", nodes
            )
        }
    )
    if len(customers) > 1:
        raise UnknownReferenceError(
            f"{ref!r} names several customers ({', '.join(customers)}): it is a value of "
            f"several identifier types ({', '.join(nodes)}); give the customer_id or a more "
            "specific value"
        )
    return customers[0]


def explain(engine: Engine, customer_id: str) -> dict[str, Any]:
    """Every node of a customer with the reason it belongs, and the customer's history."""
    links = engine.fetch_df(
        "select node, node_type, source, reason, score from identity_links "
        "where customer_id = ? order by node_type desc, node",
        [customer_id],
    )
    history = engine.fetch_df(
        "select customer_id, status, successor, parent from customer_ids "
        "where customer_id = ? or successor = ? or parent = ?",
        [customer_id, customer_id, customer_id],
    )
    links = links.astype(object).where(links.notna(), None)
    history = history.astype(object).where(history.notna(), None)
    return {
        "customer_id": customer_id,
        "links": links.to_dict(orient="records"),
        "history": history.to_dict(orient="records"),
    }


def decision_nodes(
    engine: Engine, action: str, refs: list[str], nodes_table: str = "identity_links"
) -> list[str]:
    """The graph nodes a decision's REFs name: a split of a key names its record(s).

    Raises:
        UnknownReferenceError: when a REF names no node.
    """
    nodes = []
    for ref in refs:
        found = find_nodes(engine, ref, nodes_table)
        if not found and ref.startswith("cust_"):
            customer = find_customer(engine, ref)
            found = [
                str(r[0])
                for r in engine.fetch_all(
                    "select node from identity_links where customer_id = ? "
                    "order by node_type desc, node limit 1",
                    [customer],
                )
            ]
        if not found:
            raise UnknownReferenceError(
                f"{ref!r} names no record or identifier; see `persona identity explain`"
            )
        if action == "split":
            found = _records_keyed_by(engine, found[0]) or found
        nodes.append(found[0])
    return nodes


def _records_keyed_by(engine: Engine, node: str) -> list[str]:
    """The profile records whose key (customer_key, member_no ...) is this identifier node.

    Splitting a key means splitting its record away; splitting a phone or an e-mail means that
    value stops linking.
    """
    type_, _, value = node.partition(":")
    if type_ not in ANCHORS:
        return []
    return [
        str(r[0])
        for r in engine.fetch_all(
            "select 'rec:' || _source || ':' || _batch_id || ':' || _line from clean_profiles "
            f"where {type_} = ? order by 1",
            [value],
        )
    ]


def health(engine: Engine) -> dict[str, Any]:
    """Graph health: cluster sizes, the largest clusters (possible over-merging), singletons."""
    sizes = engine.fetch_df(
        "select customer_id, count(*) filter (where node_type = 'record') as records, "
        "count(*) as nodes from identity_links group by 1"
    )
    with_records = sizes[sizes["records"] > 0]
    distribution = with_records["records"].value_counts().sort_index()
    largest = with_records.sort_values(["records", "nodes"], ascending=False).head(5)
    total = len(with_records)
    return {
        "customers": len(sizes),
        "customers_with_profiles": int(total),
        "singleton_share": round(float((with_records["records"] == 1).mean()), 4) if total else 0,
        "records_per_customer": {str(k): int(v) for k, v in distribution.items()},
        "largest": [
            {"customer_id": c, "records": int(r), "nodes": int(n)}
            for c, r, n in largest[["customer_id", "records", "nodes"]].itertuples(index=False)
        ],
        "excluded": int(engine.fetch_all("select count(*) from identity_excluded")[0][0]),
    }
