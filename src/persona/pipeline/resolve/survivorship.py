"""The unified `customers` table: one row per customer, attributes chosen by survivorship rules.

Per attribute (configurable in `identity.survivorship`):

- ``most_trusted`` (default): from the most trusted source (`identity.source_priority`, else the
  order of `sources`), its latest record first;
- ``most_recent``: from the latest loaded record;
- ``most_frequent``: the value most records agree on;
- ``first_non_empty``: from the earliest loaded record.

Fixed rules: ``registered_at`` is the earliest registration; a consent is the most restrictive
answer (one "no" is a no). Identifier lists, the sources and the coverage of the five data kinds
(does any record of that kind point at this customer) complete the row.
"""

from __future__ import annotations

from persona.config import ProjectConfig
from persona.engine.base import Engine, quote_literal
from persona.model.kinds import IDENTIFIERS, Kind, canonical_fields, identifier_fields

CUSTOMERS = "customers"

ATTRIBUTES = [
    f.name
    for f in canonical_fields(Kind.PROFILES)
    if f.name not in IDENTIFIERS and f.name != "registered_at" and not f.name.startswith("consent_")
]
CONSENTS = ("consent_analytics", "consent_profiling", "consent_marketing")
_PLURAL = {
    "customer_key": "customer_keys",
    "email": "emails",
    "phone": "phones",
    "device_id": "device_ids",
    "member_no": "member_nos",
    "unionid": "unionids",
    "id_number": "id_numbers",
}


def build_customers(engine: Engine, config: ProjectConfig) -> None:
    """Rewrite the `customers` table from `identity_links` and `clean_profiles`."""
    priority = config.identity.source_priority or [
        s.name for s in config.sources if s.kind is Kind.PROFILES
    ]
    rank = (
        "case p._source "
        + " ".join(f"when {quote_literal(name)} then {i}" for i, name in enumerate(priority))
        + f" else {len(priority)} end"
        if priority
        else "0"  # no profile source: nothing to rank (customers come from orders, events ...)
    )
    order = {
        "most_trusted": f"({rank}) * 1e15 - p._batch_id * 1e9 - p._line",
        "most_recent": "-(p._batch_id * 1e9 + p._line)",
        "first_non_empty": "p._batch_id * 1e9 + p._line",
    }
    attributes = []
    for name in ATTRIBUTES:
        rule = config.identity.survivorship.get(name, "most_trusted")
        if rule == "most_frequent":
            attributes.append(f"mode(p.{name}) as {name}")
        else:
            attributes.append(
                f"arg_min(p.{name}, {order[rule]}) filter (where p.{name} is not null) as {name}"
            )
    attributes.append("min(p.registered_at) as registered_at")
    attributes += [f"bool_and({c}) as {c}" for c in CONSENTS]
    attributes.append("count(*) as profile_records")
    identifiers = ", ".join(
        f"list_sort(list(distinct substr(node, strpos(node, ':') + 1)) filter "
        f"(where node_type = 'identifier' and node like {quote_literal(t + ':%')})) "
        f"as {_PLURAL[t]}"
        for t in IDENTIFIERS
    )
    coverage = ", ".join(
        f"c.customer_id in (select customer_id from {_kind_customers(kind)}) as has_{kind.value}"
        for kind in Kind
    )
    engine.drop(CUSTOMERS)
    engine.execute(
        f"create table {CUSTOMERS} as select c.customer_id, "
        f"{', '.join(f'a.{n}' for n in [*ATTRIBUTES, 'registered_at', *CONSENTS])}, "
        f"coalesce(a.profile_records, 0) as profile_records, c.* exclude (customer_id), "
        f"{coverage} from (select customer_id, {identifiers}, list_sort(list(distinct source) "
        "filter (where source is not null)) as sources from identity_links "
        "group by customer_id) c "
        f"left join (select l.customer_id, {', '.join(attributes)} from identity_links l "
        "join clean_profiles p on l.node = 'rec:' || p._source || ':' || p._batch_id || ':' "
        "|| p._line where l.node_type = 'record' group by l.customer_id) a "
        "on a.customer_id = c.customer_id order by c.customer_id"
    )


def _kind_customers(kind: Kind) -> str:
    """SQL of the customers some record of `kind` points at (through its identifiers)."""
    if kind is Kind.PROFILES:
        return "(select customer_id from identity_links where node_type = 'record')"
    nodes = " union ".join(
        f"select {quote_literal(field.removeprefix('src_').removeprefix('dst_') + ':')} "
        f"|| {field} as node from clean_{kind.value} where {field} is not null"
        for field in identifier_fields(kind)
    )
    return f"(select l.customer_id from identity_links l where l.node in ({nodes}))"
