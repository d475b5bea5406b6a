"""Compile an expression tree (`persona.model.expression`) to a DuckDB SQL expression.

Only validated column names (through `quote_identifier`) and literal values (through
`quote_literal`, `repr` of numbers) ever reach the SQL; operators and functions come from
fixed tables here, and every sub-expression is parenthesised, so the text of the
expression cannot change the shape of the statement it is put in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from persona.engine.base import quote_identifier, quote_literal
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
)

_OPERATORS = {
    "and": "AND",
    "or": "OR",
    "=": "=",
    "!=": "<>",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "+": "+",
    "-": "-",
    "*": "*",
}
_DIVISIONS = {"/": "/", "%": "%"}  # x / 0 and x % 0 give null, as in Spark, not an error
_FUNCTIONS = {
    "lower": "lower",
    "upper": "upper",
    "abs": "abs",
    "round": "round",
    "coalesce": "coalesce",
    "length": "length",
    "contains": "contains",
}


def to_sql(
    node: Node,
    columns: Mapping[str, str],
    *,
    tag_sql: Callable[[str], str] | None = None,
    now_sql: str = "now()",
) -> str:
    """Return the DuckDB SQL of an expression tree.

    Args:
        node: The tree from `persona.model.expression.parse`.
        columns: Expression column name -> SQL column name (quoted here).
        tag_sql: Turns a tag name into the SQL of its boolean value (trusted code, e.g. an
            ``exists (...)`` over the tag table); without it, ``tag(...)`` is an error.
        now_sql: The SQL of "now" for ``days_since`` (e.g. a fixed ``DATE '2024-06-30'``
            for a build ``--as-of`` a date).

    Returns:
        One SQL expression, parenthesised.

    Raises:
        ExpressionError: A column is not in `columns`, a number is not finite, or the tree
            uses ``tag()`` without `tag_sql`.

    Example:
        >>> from persona.model.expression import parse
        >>> to_sql(parse("n > 30", ["n"]), {"n": "orders_90d"})
        '("orders_90d" > 30)'
    """
    return _Compiler(columns, tag_sql, now_sql).sql(node)


class _Compiler:
    def __init__(
        self, columns: Mapping[str, str], tag_sql: Callable[[str], str] | None, now_sql: str
    ) -> None:
        self.columns = columns
        self.tag_sql = tag_sql
        self.now_sql = now_sql

    def sql(self, node: Node) -> str:
        match node:
            case Column(name=name):
                if name not in self.columns:
                    raise ExpressionError(f"column {name!r} is not available here")
                return quote_identifier(self.columns[name])
            case Literal(value=value):
                return _literal(value)
            case Unary(op="not", operand=operand):
                return f"(NOT {self.sql(operand)})"
            case Unary(op=("-" | "+") as op, operand=operand):
                return f"({op} {self.sql(operand)})"
            case Binary(op=op, left=left, right=right) if op in _OPERATORS:
                return f"({self.sql(left)} {_OPERATORS[op]} {self.sql(right)})"
            case Binary(op=op, left=left, right=right) if op in _DIVISIONS:
                return f"({self.sql(left)} {op} NULLIF({self.sql(right)}, 0))"
            case In(operand=operand, values=values, negated=negated):
                listed = ", ".join(self.sql(value) for value in values)
                return f"({self.sql(operand)} {_not(negated)}IN ({listed}))"
            case Between(operand=operand, low=low, high=high, negated=negated):
                ends = f"{self.sql(low)} AND {self.sql(high)}"
                return f"({self.sql(operand)} {_not(negated)}BETWEEN {ends})"
            case Like(operand=operand, pattern=pattern, negated=negated):
                return f"({self.sql(operand)} {_not(negated)}LIKE {self.sql(pattern)})"
            case IsNull(operand=operand, negated=negated):
                return f"({self.sql(operand)} IS {_not(negated)}NULL)"
            case Call():
                return self.call(node)
        raise ExpressionError(f"cannot compile {node!r}: not part of the expression language")

    def call(self, node: Call) -> str:
        args = [self.sql(arg) for arg in node.args]
        if node.function == "days_since":
            return f"(date_diff('day', {args[0]}, {self.now_sql}))"
        if node.function == "tag":
            name = node.args[0]
            if not isinstance(name, Literal) or not isinstance(name.value, str):
                raise ExpressionError("tag() takes the tag name in quotes, e.g. tag('vip')")
            if self.tag_sql is None:
                raise ExpressionError(f"tag({name.value!r}) cannot be used here: no tags")
            return f"({self.tag_sql(name.value)})"
        if node.function not in _FUNCTIONS:
            raise ExpressionError(f"function {node.function!r} is not allowed")
        return f"({_FUNCTIONS[node.function]}({', '.join(args)}))"


def _not(negated: bool) -> str:
    return "NOT " if negated else ""


def _literal(value: str | int | float | bool | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return quote_literal(value)
    if isinstance(value, int):
        return repr(value) if value >= 0 else f"({value!r})"
    if not math.isfinite(value):
        raise ExpressionError(f"number {value!r} is not finite")
    return f"CAST({value!r} AS DOUBLE)"


def nearest_centre_sql(
    relation: str,
    dimensions: Sequence[str],
    centres: Sequence[Sequence[float]],
    ids: Sequence[int],
    *,
    codes: Sequence[str] = (),
    modes: Sequence[Sequence[str]] = (),
    gamma: float = 0.0,
) -> str:
    """A SELECT of ``customer_id, segment_id, distance``: each row's nearest centre.

    The distance is the square root of the squared Euclidean distance over `dimensions`,
    plus `gamma` for each code that differs from the centre's mode (k-prototypes); a tie
    goes to the first centre, as numpy's argmin does.

    Args:
        relation: A subquery or table with ``customer_id`` and the columns the expressions
            read.
        dimensions: One SQL expression per transformed dimension (never NULL).
        centres: The centres, one value per dimension.
        ids: The segment id of each centre.
        codes: k-prototypes: one SQL expression per categorical feature (its code).
        modes: k-prototypes: the code of each centre per categorical feature.
        gamma: k-prototypes: the cost of one mismatching code.

    Example:
        >>> "list_position" in nearest_centre_sql("t", ["x"], [[0.0], [1.0]], [1, 2])
        True
    """
    columns = [f"{d} as _d{i}" for i, d in enumerate(dimensions)]
    columns += [f"{c} as _c{i}" for i, c in enumerate(codes)]
    terms: list[str] = []
    for j, centre in enumerate(centres):
        parts = [f"(_d{i} - {_float(v)}) * (_d{i} - {_float(v)})" for i, v in enumerate(centre)]
        if codes:
            mismatches = " + ".join(
                f"(case when _c{i} = {quote_literal(str(m))} then 0 else 1 end)"
                for i, m in enumerate(modes[j])
            )
            parts.append(f"{_float(gamma)} * ({mismatches})")
        terms.append(" + ".join(parts) or "0.0")
    listed = "[" + ", ".join(f"({t})" for t in terms) + "]"
    id_list = "[" + ", ".join(str(int(i)) for i in ids) + "]"
    inner = ", ".join(["customer_id", *columns])
    return (
        f"select customer_id, list_extract({id_list}, list_position(_dist, list_min(_dist))) "
        f"as segment_id, sqrt(greatest(list_min(_dist), 0)) as distance from ("
        f"select customer_id, {listed} as _dist from (select {inner} from {relation}) _z) _y"
    )


def _float(value: float) -> str:
    """A float literal that DuckDB reads as a DOUBLE."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    text = f"{float(value):.17e}"  # exponent notation: DuckDB reads a DOUBLE, not a DECIMAL
    return f"({text})" if value < 0 else text
