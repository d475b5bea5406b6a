"""What an audience expression may read, and the one SELECT that evaluates it in the engine.

The selectable columns are every feature, every tag (as ``tag('name')`` and, when the name
is not also a feature, bare), the segment (``segment`` by name, ``segment_id``) and the
customer attributes. Only the tables an expression needs are joined. The user's text reaches
SQL only through `persona.engine.compile.to_sql`; column names come from the store.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from persona.config import ProjectConfig
from persona.engine.base import Engine, quote_identifier, quote_literal
from persona.engine.compile import to_sql
from persona.engine.duckdb import LockedReader
from persona.model.errors import ProjectError
from persona.model.expression import (
    Between,
    Binary,
    Call,
    Column,
    ExpressionError,
    In,
    Literal,
    Node,
    map_children,
    parse,
)
from persona.model.suggest import did_you_mean
from persona.pipeline.tags import attribute_columns

BASE, CELLS, CELL = "audience_base", "audience_cells", "_cell"
"""The table audiences are counted on (a derived cache in `AUDIENCE_FILE`, see `write_base`);
the combinations of breakdown values and consent, numbered by `CELL` in both, so a breakdown
groups by one integer."""
CODES, META = "audience_codes", "audience_meta"
AUDIENCE_FILE = "audience.duckdb"
"""The audience file in the project's ``.persona`` folder: derived, made again when stale,
deleted by `persona forget`."""
CODE_PREFIX = "code:"
MAX_CODES = 65_536
"""Text columns with more distinct values than this are compared as text."""
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


def compile_expression(
    text: str, columns: Selectable, codes: dict[str, list[str]] | None = None
) -> tuple[str, set[str]]:
    """Parse and compile an audience expression.

    Args:
        text: The expression, e.g. ``orders_90d >= 3 and not tag('churn_risk')``.
        columns: The project's selectable columns.
        codes: The coded text columns of `BASE` (`AudienceBase.codes`): comparisons with
            them become integer comparisons (`encode`).

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
    if codes:
        code_columns: set[str] = set()
        tree = encode(tree, columns, codes, code_columns)
        names |= {c: c for c in code_columns}
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

    return map_children(node, lambda child: _normalise(child, columns, used, text))


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


@dataclass(frozen=True)
class AudienceBase:
    """What the audience file holds besides `BASE`, read once per process.

    Attributes:
        fingerprint: What the file was made from (see `fingerprint`).
        codes: Coded text column of `BASE` -> its values in order (a value's code is its
            index), for `encode`.
        cells: One row per `CELL`: the breakdown values, `OPT_OUT` and ``customers``.
    """

    fingerprint: str
    codes: dict[str, list[str]]
    cells: pd.DataFrame


def write_base(engine: Engine, columns: Selectable, fingerprint: str, path: Path) -> None:
    """Write the audience file: `BASE`, `CELLS`, `CODES` and the fingerprint.

    `BASE` has one row per customer with `OPT_OUT`, every selectable column, an integer
    code column (``code:<column>``) for each text column of at most `MAX_CODES` values
    (and each breakdown column), and `CELL`, the number of the customer's combination of
    breakdown values and consent (a mixed-radix number of their codes). Counting then scans
    one table of integers instead of joining four tables and comparing strings; the file is
    read through a locked connection (`LockedReader`).
    """
    for legacy in (BASE, CELLS):  # kept in the store itself before Persona 0.6
        engine.drop(legacy)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    sources = _sources(engine, columns)
    selected = [f"coalesce(c.consent_marketing = false, false) as {OPT_OUT}"]
    selected += [f"{sql} as {quote_identifier(name)}" for name, (sql, _, _) in sources.items()]
    joins = ["left join features f on f.customer_id = c.customer_id"]
    if columns.tags:
        joins.append("left join tags t on t.customer_id = c.customer_id")
    if columns.segments:
        name = "name_zh" if columns.language == "zh" else "name_en"
        selected.append("g.segment_id")
        joins.append(
            f"left join (select m.customer_id, m.segment_id, s.{name} as segment "
            "from segment_members m join segments s on s.segment_id = m.segment_id) g "
            "on g.customer_id = c.customer_id"
        )
    dimensions = [columns.column(d) for d in breakdown(columns)]
    coded = _codable(engine, sources, dimensions)
    engine.execute(f"attach {quote_literal(str(path))} as _audience")
    try:
        sizes = _write_codes(engine, sources, coded)
        for i, column in enumerate(coded):
            selected.append(f"_d{i}.code as {quote_identifier(code_column(column))}")
            joins.append(
                f"left join (select value, code from _audience.{CODES} where column_name = "
                f"{quote_literal(column)}) _d{i} on _d{i}.value = {sources[column][0]}"
            )
        engine.execute(
            f"create table _audience.{BASE} as select *, {_cell_sql(dimensions, sizes)} as "
            f"{CELL} from (select c.customer_id, {', '.join(selected)} from customers c "
            f"{' '.join(joins)})"
        )
        shown = "".join(quote_identifier(d) + ", " for d in dimensions)
        engine.execute(
            f"create table _audience.{CELLS} as select {CELL}, {shown}{OPT_OUT}, "
            f"count(*) as customers from _audience.{BASE} group by all order by {CELL}"
        )
        engine.execute(
            f"create table _audience.{META} as select ?::VARCHAR as fingerprint", [fingerprint]
        )
    finally:
        engine.execute("detach _audience")


def _sources(engine: Engine, columns: Selectable) -> dict[str, tuple[str, str, str]]:
    """Each selectable column of `BASE` -> (its SQL in the base query, table, table column).

    The base query joins customers ``c``, features ``f``, tags ``t`` and segments ``g``.
    """
    found: dict[str, tuple[str, str, str]] = {}
    for name in columns.features:
        found[name] = (f"f.{quote_identifier(name)}", "features", name)
    for name in columns.attributes:
        found[name] = (f"c.{quote_identifier(name)}", "customers", name)
    for name in columns.tags:
        found["tag:" + name] = (f"t.{quote_identifier(name)}", "tags", name)
    if columns.segments:
        label = "name_zh" if columns.language == "zh" else "name_en"
        found["segment"] = ("g.segment", "segments", label)
    return found


def _codable(
    engine: Engine, sources: dict[str, tuple[str, str, str]], dimensions: list[str]
) -> list[str]:
    """The text columns to code: at most `MAX_CODES` distinct values, or a breakdown column."""
    text = {
        (str(table), str(column))
        for table, column in engine.fetch_all(
            "select table_name, column_name from duckdb_columns() where data_type = 'VARCHAR' "
            "and schema_name = 'main' and table_name in "
            "('features', 'customers', 'tags', 'segments')"
        )
    }
    by_table: dict[str, list[str]] = {}
    for name, (_, table, column) in sources.items():
        if (table, column) in text:
            by_table.setdefault(table, []).append(name)
    coded: list[str] = []
    for table, names in by_table.items():
        counts = engine.fetch_all(
            "select "
            + ", ".join(f"approx_count_distinct({quote_identifier(sources[n][2])})" for n in names)
            + f" from {quote_identifier(table)}"
        )[0]
        coded += [
            n for n, c in zip(names, counts, strict=True) if int(c) <= MAX_CODES or n in dimensions
        ]
    return coded


def _write_codes(
    engine: Engine, sources: dict[str, tuple[str, str, str]], coded: list[str]
) -> dict[str, int]:
    """Write the dictionary of every coded column (its values numbered in order from 0).

    Returns:
        Coded column -> how many values it has.
    """
    parts = [
        f"select {quote_literal(name)} as column_name, value, (row_number() over "
        f"(order by value) - 1)::INTEGER as code from (select distinct "
        f"{quote_identifier(sources[name][2])} as value from "
        f"{quote_identifier(sources[name][1])} where value is not null)"
        for name in coded
    ]
    if not parts:
        parts = ["select ''::VARCHAR as column_name, ''::VARCHAR as value, 0 as code limit 0"]
    engine.execute(f"create table _audience.{CODES} as {' union all '.join(parts)}")
    sizes = engine.fetch_all(
        f"select column_name, count(*) from _audience.{CODES} group by column_name"
    )
    return dict.fromkeys(coded, 0) | {str(n): int(size) for n, size in sizes}


def _cell_sql(dimensions: list[str], sizes: dict[str, int]) -> str:
    """The SQL of `CELL`: a mixed-radix number of the breakdown codes and the consent.

    A missing value is digit 0 and a value digit code + 1, so every combination has its
    own number and no sort is needed.
    """
    terms = [f"{OPT_OUT}::BIGINT"]
    weight = 2
    for dimension in reversed(dimensions):
        digit = f"coalesce({quote_identifier(code_column(dimension))} + 1, 0)::BIGINT"
        terms.append(f"{digit} * {weight}")
        weight *= sizes[dimension] + 1
    if weight >= 2**62:
        raise ProjectError(
            "too many combinations of breakdown values to count audiences by "
            f"({', '.join(dimensions)}); contact the maintainers with your data's shape"
        )
    return " + ".join(terms)


def read_base(reader: LockedReader) -> AudienceBase | None:
    """The fingerprint, codes and cells of an audience file (None if it is incomplete)."""
    tables = {str(r[0]) for r in reader.fetch_all("select table_name from duckdb_tables()")}
    if not {BASE, CELLS, CODES, META} <= tables:
        return None
    made_from = str(reader.fetch_all(f"select fingerprint from {META}")[0][0])
    codes: dict[str, list[str]] = {}
    for column, values in reader.fetch_all(
        f"select column_name, list(value order by code) from {CODES} group by column_name"
    ):
        listed = [str(v) for v in values]
        if listed == sorted(listed):  # the engine's order is Python's (code points)
            codes[str(column)] = listed
    cells = reader.fetch_df(f"select * from {CELLS}").set_index(CELL)
    return AudienceBase(made_from, codes, cells)


def code_column(column: str) -> str:
    """The integer code column of a text column of `BASE`."""
    return CODE_PREFIX + column


_FLIPPED = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def encode(node: Node, columns: Selectable, codes: dict[str, list[str]], used: set[str]) -> Node:
    """Compare coded text columns by their integer codes instead of their text.

    ``city in ('上海', '北京')`` becomes ``code:city in (17, 3)``; an ordering comparison
    with a value not in the column uses the code it would sit at, and equality with one
    never matches (-1), so the result is the same as comparing the text. Other uses of a
    text column (``like``, functions, comparing two columns) keep the text. The code
    columns used are added to `used`.
    """

    def coded(operand: Node) -> list[str] | None:
        if isinstance(operand, Column):
            return codes.get(columns.column(operand.name))
        return None

    def code_of(operand: Node) -> Column:
        assert isinstance(operand, Column)
        name = code_column(columns.column(operand.name))
        used.add(name)
        return Column(name)

    match node:
        case Binary(op=op, left=left, right=Literal(value=str(text))) if (
            op in _FLIPPED and (known := coded(left)) is not None
        ):
            return Binary(op, code_of(left), Literal(_code(known, op, text)))
        case Binary(op=op, left=Literal(value=str(text)), right=right) if (
            op in _FLIPPED and (known := coded(right)) is not None
        ):
            flipped = _FLIPPED[op]
            return Binary(flipped, code_of(right), Literal(_code(known, flipped, text)))
        case In(operand=operand, values=listed) if (known := coded(operand)) is not None and all(
            isinstance(v, Literal) and (v.value is None or isinstance(v.value, str)) for v in listed
        ):
            found: list[Node] = []
            for item in listed:
                assert isinstance(item, Literal)
                if item.value is None:
                    found.append(item)
                elif (code := _code(known, "=", str(item.value))) >= 0:
                    found.append(Literal(code))
            return replace(node, operand=code_of(operand), values=tuple(found or [Literal(-1)]))
        case Between(operand=operand, low=Literal(value=str(first)), high=Literal(value=str(last))):
            if (known := coded(operand)) is not None:
                return replace(
                    node,
                    operand=code_of(operand),
                    low=Literal(_code(known, ">=", first)),
                    high=Literal(_code(known, "<=", last)),
                )

    return map_children(node, lambda child: encode(child, columns, codes, used))


def _code(values: list[str], op: str, value: str) -> int:
    """The code to compare with for ``column <op> value`` over a column's ordered values."""
    at = bisect.bisect_left(values, value)
    if at < len(values) and values[at] == value:
        return at
    if op in ("=", "!="):
        return -1  # no customer has it: = never matches, != always does (nulls aside)
    # Not a value of the column: it sits between codes at - 1 and at.
    return at if op in ("<", ">=") else at - 1


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
