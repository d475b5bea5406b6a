"""The identity graph: nodes (profile records, identifier values) and the edges that link them.

Nodes are strings: ``rec:<source>:<batch>:<line>`` for a profile record and ``<type>:<value>``
for a clean identifier value (``phone:+8613812345678``). Edges, each with its reason:

- a profile record and each of its identifiers (``record``);
- (no edge) an identifier of an event, order or answer names a person on its own: a customer
  key, member number, phone ... on an order makes a customer even without a profile; a device
  alone does not (an anonymous device), nor does the other side of a relation;
- two identifiers on one event, order, answer or one side of a relation (``together in <kind>``),
  e.g. an anonymous device and the member who logs in on it;
- two profiles that probably describe one person (``match``, with its probability);
- human decisions (``decision: link``).

Guardrails: placeholder values (13800000000, test@test.com, unknown ...) never become nodes, and
an identifier seen with more distinct keys of one kind than allowed (a shop's phone, a family
tablet) stops linking; both are listed in `identity_excluded` with the reason.
"""

from __future__ import annotations

from persona.config import IdentityConfig
from persona.engine.base import Engine, quote_literal
from persona.model.kinds import IDENTIFIERS, Kind, identifier_fields

NODES = "_identity_nodes"
EDGES = "_identity_edges"
EXCLUDED = "identity_excluded"

ANCHORS = ("customer_key", "member_no", "unionid", "id_number")
"""Identifier types that name one account each: the units the cap counts."""

BUILT_IN_BLOCKED = (
    "unknown",
    "null",
    "none",
    "n/a",
    "na",
    "-",
    "--",
    "0",
    "test",
    "未知",
    "无",
    "空",
    "+8613800000000",
    "+8613800138000",
    "+8613888888888",
    "+8613900000000",
    "+8612345678901",
    "+8611111111111",
    "test@test.com",
    "test@example.com",
    "a@a.com",
    "noemail@noemail.com",
    "null@null.com",
)


def identifier_rows(kind: Kind) -> list[tuple[str, str]]:
    """(field, base type) of a kind's identifier fields; relations' src_/dst_ prefixes dropped."""
    return [(f, f.removeprefix("src_").removeprefix("dst_")) for f in identifier_fields(kind)]


def value_of(node: str) -> str:
    """SQL: the value part of a node (after the first colon; values may hold colons)."""
    return f"substr({node}, strpos({node}, ':') + 1)"


def _node(type_: str, column: str) -> str:
    return f"{quote_literal(type_ + ':')} || {column}"


def build_graph(engine: Engine, config: IdentityConfig) -> None:
    """Create temp tables `NODES` (node, node_type, source) and `EDGES` (a, b, reason, score).

    Also rewrite `identity_excluded` with the blocked and shared identifier values.
    """
    linked = [t for t in IDENTIFIERS if t in config.link_on]
    blocked = blocked_sql(config)
    engine.drop(EDGES)
    engine.execute(
        f"create temp table {EDGES} (a varchar, b varchar, reason varchar, score double)"
    )
    occurrences = []  # (record or row key, identifier node, type, source)
    for field, type_ in identifier_rows(Kind.PROFILES):
        if type_ in linked:
            occurrences.append(
                f"select 'rec:' || _source || ':' || _batch_id || ':' || _line as rec, "
                f"{_node(type_, field)} as node, {quote_literal(type_)} as type, _source as source "
                f"from clean_profiles where {field} is not null"
            )
    engine.drop("_identity_occurrences")
    engine.execute(
        "create temp table _identity_occurrences as "
        + (
            " union all ".join(occurrences)
            or "select null::varchar as rec, null::varchar as node, "
            "null::varchar as type, null::varchar as source limit 0"
        )
    )
    engine.execute(
        f"delete from _identity_occurrences where lower({value_of('node')}) in ({blocked}) "
        f"or length({value_of('node')}) = 0"
    )
    _co_occurrence_edges(engine, linked, blocked)
    _exclude(engine, config, blocked)
    engine.execute(
        f"insert into {EDGES} select rec, node, 'record', null from _identity_occurrences "
        f"where node not in (select node from {EXCLUDED})"
    )
    engine.execute(
        f"delete from {EDGES} where a in (select node from {EXCLUDED}) "
        f"or b in (select node from {EXCLUDED})"
    )
    engine.drop(NODES)
    engine.execute(
        f"create temp table {NODES} as "
        "select rec as node, 'record' as node_type, any_value(source) as source "
        "from _identity_occurrences group by rec "
        "union all select 'rec:' || _source || ':' || _batch_id || ':' || _line, 'record', _source "
        "from clean_profiles where 'rec:' || _source || ':' || _batch_id || ':' || _line "
        "not in (select rec from _identity_occurrences) "
        f"union all select node, 'identifier', min(source) from (select a as node, source "
        f"from _identity_pairs union all select b, source from _identity_pairs "
        f"union all select node, source from _identity_occurrences "
        f"union all {_person_identifiers(linked, blocked)}) "
        f"where node not in (select node from {EXCLUDED}) group by node"
    )


def blocked_sql(config: IdentityConfig) -> str:
    """SQL list of the lower-cased placeholder values that never link (built-in and configured)."""
    return ", ".join(quote_literal(v.lower()) for v in (*BUILT_IN_BLOCKED, *config.blocked_values))


def new_records_link(engine: Engine, config: IdentityConfig, where: str) -> bool:
    """Whether the event, order and answer records matching `where` could change the graph.

    They cannot when no two linked identifiers appear together on one of them and each
    identifier that names a person on its own is already a node (or excluded) with a source
    that sorts first: then they add no node and no edge, and change no node's source.
    """
    linked = [t for t in IDENTIFIERS if t in config.link_on]
    blocked = blocked_sql(config)
    pairs = _pair_queries(linked, blocked, where)
    if pairs and engine.fetch_all(f"select exists ({' union all '.join(pairs)})")[0][0]:
        return True
    # An identifier's source is the smallest source naming it: a smaller new one changes it.
    unknown = engine.fetch_all(
        f"select exists (select 1 from ({_person_identifiers(linked, blocked, where)}) n "
        "where not exists (select 1 from identity_links l where l.node = n.node "
        "and l.node_type = 'identifier' and l.source <= n.source) "
        f"and n.node not in (select node from {EXCLUDED}))"
    )
    return bool(unknown[0][0])


def _person_identifiers(linked: list[str], blocked: str, where: str = "true") -> str:
    """SQL (node, source): identifiers of a person's own records that name them even when alone.

    Events, orders and answers; every type but a device (an anonymous device is nobody yet).
    Relations do not make customers: a referred phone is somebody else's record of a person.
    `where` narrows the records read (e.g. to new batches).
    """
    parts = []
    for kind in (Kind.EVENTS, Kind.TRANSACTIONS, Kind.SURVEYS):
        for field, type_ in identifier_rows(kind):
            if type_ in linked and type_ != "device_id":
                parts.append(
                    f"select distinct {_node(type_, field)} as node, _source as source "
                    f"from clean_{kind.value} where {field} is not null and length({field}) > 0 "
                    f"and lower({field}) not in ({blocked}) and {where}"
                )
    return " union all ".join(parts) or "select null::varchar, null::varchar limit 0"


def _co_occurrence_edges(engine: Engine, linked: list[str], blocked: str) -> None:
    """Temp `_identity_pairs`: identifiers that appear together on one non-profile record."""
    pairs = _pair_queries(linked, blocked)
    engine.drop("_identity_pairs")
    if pairs:
        engine.execute(
            "create temp table _identity_pairs as select a, b, min(source) as source, "
            f"min(kind) as kind from ({' union all '.join(pairs)}) group by a, b"
        )
    else:
        engine.execute(
            "create temp table _identity_pairs (a varchar, b varchar, source varchar, kind varchar)"
        )
    engine.execute(
        f"insert into {EDGES} select a, b, 'together in ' || kind, null from _identity_pairs"
    )


def _pair_queries(linked: list[str], blocked: str, where: str = "true") -> list[str]:
    """SQL queries (a, b, source, kind) of identifiers together on one non-profile record."""
    pairs = []
    for kind in (Kind.EVENTS, Kind.TRANSACTIONS, Kind.SURVEYS, Kind.RELATIONS):
        # The two sides of a relation are two people: only ids of one side go together.
        sides = ["src_", "dst_"] if kind is Kind.RELATIONS else [""]
        for side in sides:
            fields = [
                (f, t) for f, t in identifier_rows(kind) if f.startswith(side) and t in linked
            ]
            for i, (f1, t1) in enumerate(fields):
                pairs += [
                    f"select {_node(t1, f1)} as a, {_node(t2, f2)} as b, _source as source, "
                    f"{quote_literal(kind.value)} as kind from clean_{kind.value} "
                    f"where {f1} is not null and {f2} is not null "
                    f"and lower({f1}) not in ({blocked}) and lower({f2}) not in ({blocked}) "
                    f"and {where}"
                    for f2, t2 in fields[i + 1 :]
                ]
    return pairs


def _exclude(engine: Engine, config: IdentityConfig, blocked: str) -> None:
    """Rewrite `identity_excluded`: shared identifiers past the cap."""
    engine.execute(f"delete from {EXCLUDED}")
    # Every (identifier, anchor) the identifier was seen with: on one profile record, or together.
    engine.drop("_identity_anchor_seen")
    anchor_types = ", ".join(quote_literal(a) for a in ANCHORS)
    engine.execute(
        "create temp table _identity_anchor_seen as "
        "select o.node, a.node as anchor, a.type as anchor_type from _identity_occurrences o "
        f"join _identity_occurrences a on a.rec = o.rec and a.type in ({anchor_types}) "
        "and a.node <> o.node "
        f"union select a, b, split_part(b, ':', 1) from _identity_pairs "
        f"where split_part(b, ':', 1) in ({anchor_types}) "
        f"union select b, a, split_part(a, ':', 1) from _identity_pairs "
        f"where split_part(a, ':', 1) in ({anchor_types})"
    )
    caps = " ".join(
        f"when {quote_literal(t)} then {int(n)}" for t, n in config.max_people_by_type.items()
    )
    cap = f"case split_part(node, ':', 1) {caps} else {int(config.max_people_per_identifier)} end"
    if not caps:
        cap = str(int(config.max_people_per_identifier))
    engine.execute(
        f"insert into {EXCLUDED} select node, 'seen with ' || max(n) || ' different ' || "
        f"arg_max(anchor_type, n) || ' values (more than ' || any_value(cap) || "
        "'): probably shared, so it does not link' from ("
        f"select node, anchor_type, count(distinct anchor) as n, {cap} as cap "
        "from _identity_anchor_seen where split_part(node, ':', 1) <> anchor_type "
        "group by node, anchor_type) where n > cap group by node"
    )
