"""What an audience expression may read, and the one SELECT that evaluates it in the engine.

The selectable columns are every feature, every tag (as ``tag('name')`` and, when the name
is not also a feature, bare), the segment (``segment`` by name, ``segment_id``) and the
customer attributes. Only the tables an expression needs are joined. The user's text reaches
SQL only through `persona.engine.compile.to_sql`; column names come from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from persona.config import ProjectConfig
from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.engine.compile import to_sql
from persona.model.errors import ProjectError
from persona.model.expression import (
    Between,
    Binary,
    Call,
    Column,
    ExpressionError,
    In,
    IsNull,
    Like,
    Literal,
    Node,
    Unary,
    parse,
)
from persona.model.suggest import did_you_mean
from persona.pipeline.tags import attribute_columns

BASE, CELLS, CELL = "audience_base", "audience_cells", "_cell"
"""The table audiences are counted on (a derived cache, see `relation`); the combinations of
breakdown values, numbered by `CELL` in both, so a breakdown groups by one integer."""
BREAKDOWN = ("segment", "city", "gender", "lifecycle")
OPT_OUT = "_opted_out"
"""The column of the selection relation: the customer refused marketing (consent false)."""


@dataclass(frozen=True)
class Selectable:
    """The columns of a built project that audience expressions may read.

    Attributes:
        features: Feature column -> its DuckDB type.
        tags: Tag column -> its DuckDB type.
        attributes: Customer attribute columns (not features).
        segments: Segment name (Chinese and English) -> the name in the project language;
            empty when the project has no segments.
        language: The project language (``zh`` or ``en``).
        as_of: The features' as-of time (the "now" of ``days_since``).
    """

    features: dict[str, str]
    tags: dict[str, str]
    attributes: list[str]
    segments: dict[str, str]
    language: str
    as_of: datetime

    @property
    def names(self) -> list[str]:
        """Every bare column name an expression may use."""
        bare_tags = [t for t in self.tags if t not in self.features]
        segment = ["segment", "segment_id"] if self.segments else []
        return [*self.features, *bare_tags, *self.attributes, *segment]

    def column(self, name: str) -> str:
        """The column of `BASE` holding an expression name (tags are ``tag:<name>``)."""
        if name.startswith("tag:") or name in self.features or name not in self.tags:
            return name
        return "tag:" + name


def selectable(engine: Engine, config: ProjectConfig) -> Selectable:
    """Read the selectable columns of a built project from its store.

    Raises:
        ProjectError: before `persona build` made features and tags.
    """
    tables: dict[str, dict[str, str]] = {}
    for table, column, type_name in engine.fetch_all(
        "select table_name, column_name, data_type from duckdb_columns() where table_name in "
        "('features', 'tags', 'customers', 'segments', 'segment_members') "
        "and schema_name = 'main' and not internal order by table_name, column_index"
    ):
        if column != "customer_id":
            tables.setdefault(str(table), {})[str(column)] = str(type_name)
    if "features" not in tables or "customers" not in tables:
        raise ProjectError("no features yet: run `persona build` first")
    features = tables["features"]
    segments: dict[str, str] = {}
    if "segments" in tables and "segment_members" in tables:
        for zh, en in engine.fetch_all("select name_zh, name_en from segments"):
            shown = zh if config.language == "zh" else en
            segments |= {zh: shown, en: shown}
    as_of = engine.fetch_all("select value from _persona_meta where key = 'features_as_of'")
    return Selectable(
        features=features,
        tags=tables.get("tags", {}),
        attributes=attribute_columns(list(features)),
        segments=segments,
        language=config.language,
        as_of=datetime.fromisoformat(str(as_of[0][0])),
    )


def compile_expression(text: str, columns: Selectable) -> tuple[str, set[str]]:
    """Parse and compile an audience expression.

    Args:
        text: The expression, e.g. ``orders_90d >= 3 and not tag('churn_risk')``.
        columns: The project's selectable columns.

    Returns:
        The SQL condition over the selection relation, and the relation columns it reads.

    Raises:
        ExpressionError: with the position and a did-you-mean for unknown names.

    Example:
        >>> # compile_expression("monetary > 100", columns)
        >>> # ('("monetary" > CAST(100.0 AS DOUBLE))', {'monetary'})
    """
    tree = parse(text, columns.names, tags=list(columns.tags))
    used: set[str] = set()
    tree = _normalise(tree, columns, used, text)
    for name in sorted(n.removeprefix("tag:") for n in used if n.startswith("tag:")):
        if columns.tags[name] != "BOOLEAN":
            raise ExpressionError(
                f"tag({name!r}) is not a yes/no tag (its values are {columns.tags[name]}); "
                f"compare its value instead, e.g. {name} = '...'"
            )
    names = {n: columns.column(n) for n in used if not n.startswith("tag:")}
    now = f"CAST({quote_literal(columns.as_of.isoformat())} AS TIMESTAMPTZ)"
    sql = to_sql(tree, names, tag_sql=lambda n: quote_identifier("tag:" + n), now_sql=now)
    return sql, {columns.column(n) for n in used}


def _normalise(node: Node, columns: Selectable, used: set[str], text: str) -> Node:
    """Record the columns a tree reads; write segment names in the project language."""
    match node:
        case Column(name=name):
            used.add(name)
            return node
        case Call(function="tag", args=(Literal(value=str(name)),)):
            used.add("tag:" + name)
            return node
        case Binary(op="=" | "!=", left=Column(name="segment"), right=Literal()):
            used.add("segment")
            return replace(node, right=_segment_literal(node.right, columns, text))
        case In(operand=Column(name="segment")):
            used.add("segment")
            values = tuple(_segment_literal(v, columns, text) for v in node.values)
            return replace(node, values=values)

    def again(child: Node) -> Node:
        return _normalise(child, columns, used, text)

    match node:
        case Unary():
            return replace(node, operand=again(node.operand))
        case Binary():
            return replace(node, left=again(node.left), right=again(node.right))
        case In():
            values = tuple(again(v) for v in node.values)
            return replace(node, operand=again(node.operand), values=values)
        case Between():
            low, high = again(node.low), again(node.high)
            return replace(node, operand=again(node.operand), low=low, high=high)
        case Like():
            return replace(node, operand=again(node.operand), pattern=again(node.pattern))
        case IsNull():
            return replace(node, operand=again(node.operand))
        case Call():
            return replace(node, args=tuple(again(a) for a in node.args))
    return node


def _segment_literal(node: Node, columns: Selectable, text: str) -> Node:
    if not isinstance(node, Literal) or not isinstance(node.value, str):
        return node
    if node.value not in columns.segments:
        raise ExpressionError(
            f"there is no segment {node.value!r}"
            f"{did_you_mean(node.value, list(columns.segments))}; see `persona segments list`",
            text,
            max(0, text.find(node.value)),
        )
    return Literal(columns.segments[node.value])


def relation(engine: Engine, columns: Selectable, fingerprint: str) -> str:
    """The table of one row per customer with `OPT_OUT`, every selectable column and `CELL`.

    It is `BASE`, a join of customers, features, tags and segments made on first use and
    made again whenever a build or a segments run changed them (`fingerprint`), so that a
    count scans one table instead of joining four.
    """
    known = engine.fetch_all("select value from _persona_meta where key = ?", [BASE])
    if known and known[0][0] == fingerprint and engine.table_exists(CELLS):
        return BASE
    selected = [f"coalesce(c.consent_marketing = false, false) as {OPT_OUT}"]
    selected += [f"f.{quote_identifier(n)}" for n in columns.features]
    selected += [f"c.{quote_identifier(n)}" for n in columns.attributes]
    selected += [f"t.{quote_identifier(n)} as {quote_identifier('tag:' + n)}" for n in columns.tags]
    joins = ["left join features f on f.customer_id = c.customer_id"]
    if columns.tags:
        joins.append("left join tags t on t.customer_id = c.customer_id")
    if columns.segments:
        name = "name_zh" if columns.language == "zh" else "name_en"
        selected += ["g.segment", "g.segment_id"]
        joins.append(
            f"left join (select m.customer_id, m.segment_id, s.{name} as segment "
            "from segment_members m join segments s on s.segment_id = m.segment_id) g "
            "on g.customer_id = c.customer_id"
        )
    dimensions = ", ".join(quote_identifier(columns.column(d)) for d in breakdown(columns))
    cell = f"dense_rank() over (order by {dimensions})" if dimensions else "1"
    with engine.transaction():
        engine.execute(
            f"create or replace table {BASE} as select *, {cell} as {CELL} from (select "
            f"c.customer_id, {', '.join(selected)} from customers c {' '.join(joins)})"
        )
        engine.execute(
            f"create or replace table {CELLS} as select distinct {CELL}"
            f"{', ' + dimensions if dimensions else ''} from {BASE} order by {CELL}"
        )
        engine.execute("insert or replace into _persona_meta values (?, ?)", [BASE, fingerprint])
    return BASE


def breakdown(columns: Selectable) -> list[str]:
    """The columns counts are broken down by: segment, city, gender, lifecycle (if present)."""
    return [d for d in BREAKDOWN if d in columns.names]


def fingerprint(engine: Engine) -> str:
    """What the audience base was made from: the last build, snapshot and segments run."""
    parts = [
        "select 'build', max(build_id)::VARCHAR from builds",
        "select 'snapshot', max(snapshot_id)::VARCHAR from snapshots",
        "select 'as_of', max(value) from _persona_meta where key = 'features_as_of'",
        "select 'tags', max(updated_at)::VARCHAR from tag_catalog",
    ]
    if engine.table_exists("segment_runs"):
        parts.append("select 'segments', max(run_id)::VARCHAR from segment_runs")
    rows = engine.fetch_all(" union all ".join(parts))
    return ";".join(f"{k}={v}" for k, v in sorted(rows))
