from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from persona.engine.base import quote_literal
from persona.engine.compile import to_sql
from persona.engine.duckdb import DuckDBEngine
from persona.model.errors import PersonaError
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

NAMES = ["orders_90d", "city", "last_order_at", "segment", "x", "i", "j", "s", "d", "b"]


def test_design_examples_parse_into_the_expected_trees() -> None:
    tree = parse("orders_90d >= 3 and city in ('上海', '北京') and not tag('churn_risk')", NAMES)
    assert tree == Binary(
        "and",
        Binary(
            "and",
            Binary(">=", Column("orders_90d"), Literal(3)),
            In(Column("city"), (Literal("上海"), Literal("北京"))),
        ),
        Unary("not", Call("tag", (Literal("churn_risk"),))),
    )
    tree = parse("days_since(last_order_at) between 30 and 90", NAMES)
    assert tree == Between(Call("days_since", (Column("last_order_at"),)), Literal(30), Literal(90))


@pytest.mark.parametrize(
    ("text", "explicit"),
    [
        ("x or i and j", "x or (i and j)"),
        ("not x and i", "(not x) and i"),
        ("not i = 1", "not (i = 1)"),
        ("i + j * 2 - 1", "(i + (j * 2)) - 1"),
        ("i - j - 1", "(i - j) - 1"),
        ("-i * 2", "(-i) * 2"),
        ("i + 1 between 2 and j * 3 and x", "((i + 1) between 2 and (j * 3)) and x"),
        ("i not in (1, 2) or s not like 'a%'", "(i not in (1, 2)) or (s not like 'a%')"),
        ("s is not null and s is null", "(s is not null) and (s is null)"),
        ("i == 1 AND NOT x", "i = 1 and not x"),
        ("i <> 1", "i != 1"),
        ("LOWER(s) = 'a'", "lower(s) = 'a'"),
    ],
)
def test_precedence_and_spelling(text: str, explicit: str) -> None:
    assert parse(text, NAMES) == parse(explicit, NAMES)


def test_literals() -> None:
    assert parse("s = 'it''s'", NAMES) == Binary("=", Column("s"), Literal("it's"))
    assert parse("i = 1.5e2", NAMES).right == Literal(150.0)  # type: ignore[union-attr]
    assert parse("i = .5", NAMES).right == Literal(0.5)  # type: ignore[union-attr]
    assert parse("TRUE", NAMES) == Literal(True)
    assert parse("Null", NAMES) == Literal(None)
    assert parse("城市 = '上海'", ["城市"]) == Binary("=", Column("城市"), Literal("上海"))


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("citty = 'x'", 0, "unknown column 'citty'; did you mean 'city'?"),
        ("i = 1 and ordrs_90d > 2", 10, "did you mean 'orders_90d'?"),
        ("lowr(s) = 'a'", 0, "unknown function 'lowr'; did you mean 'lower'?"),
        ("i between 1", 11, "expected 'and' between the two ends"),
        ("i in 1", 5, "expected '(' and a list of values"),
        ("i in (1, 2", 10, "expected ',' or ')'"),
        ("(i = 1", 6, "expected ')' to close the '(' at character 1"),
        ("i = 1 j", 6, "expected an operator or the end, found 'j'"),
        ("i = ", 4, "expected a value, a column or '('"),
        ("", 0, "the expression is empty"),
        ("s = 'abc", 4, "never closed"),
        ("i < j < 3", 6, "comparisons cannot be chained"),
        ("s is 1", 5, "expected 'null' after 'is'"),
        ("tag(s)", 0, "tag() takes the tag name in quotes"),
        ("abs(i, j)", 0, "abs() takes 1 argument(s), got 2"),
        ("coalesce(i)", 0, "coalesce() takes 2 to any number argument(s), got 1"),
        ("i = 3abc", 4, "followed by letters"),
        ("i = 99999999999999999999", 4, "too large"),
        ("i ! 1", 2, "character '!'"),
        ("i = １", 4, "full-width '１' is not allowed; use the plain '1'"),
    ],
)
def test_errors_name_the_position_and_the_fix(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text, NAMES)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, PersonaError)
    assert error.position == position and error.expression == text
    message = str(error)
    assert fragment in message
    assert f"at character {position + 1}:" in message
    shown, caret = message.splitlines()[-2:]
    assert caret.index("^") - 2 == position  # short ASCII text: the caret sits under the spot
    assert shown.strip() == text.strip()


def test_caret_accounts_for_wide_characters_and_long_text() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("city = '上海' and cty = 1", NAMES)
    assert caught.value.position == 16
    assert caught.value.args[0].splitlines()[-1] == "  " + " " * 18 + "^"
    with pytest.raises(ExpressionError, match=r"(?s)at character 401: .*…"):
        parse("i = 1 and " * 40 + "nope", NAMES)


def test_unknown_tag_suggests_a_known_one() -> None:
    with pytest.raises(ExpressionError, match="unknown tag 'vp'; did you mean 'vip'"):
        parse("tag('vp')", NAMES, tags=["vip", "churn_risk"])
    assert parse("tag('vip')", NAMES, tags=["vip"]) == Call("tag", (Literal("vip"),))


def test_limits_on_length_and_depth() -> None:
    with pytest.raises(ExpressionError, match="20,000 characters long; the limit is 10,000"):
        parse("x" * 20_000, NAMES)
    assert parse("(" * 99 + "i" + ")" * 99, NAMES) == Column("i")
    with pytest.raises(ExpressionError, match="nested deeper than 100"):
        parse("(" * 1000 + "i" + ")" * 1000, NAMES)
    with pytest.raises(ExpressionError, match="nested deeper than 100"):
        parse(" + ".join(["i"] * 500), NAMES)
    with pytest.raises(ExpressionError, match="nested deeper than 100"):
        parse("not " * 200 + "x", NAMES)


def test_to_sql_quotes_maps_and_refuses() -> None:
    tree = parse("days_since(last_order_at) > 3.5 and s like 'a''%' and i / 0 is null", NAMES)
    sql = to_sql(
        tree, {"last_order_at": 'last "at"', "s": "s", "i": "i"}, now_sql="DATE '2024-01-01'"
    )
    assert sql == (
        '((((date_diff(\'day\', "last ""at""", DATE \'2024-01-01\')) > CAST(3.5 AS DOUBLE))'
        " AND (\"s\" LIKE 'a''%')) AND ((\"i\" / NULLIF(0, 0)) IS NULL))"
    )
    with pytest.raises(ExpressionError, match="tag\\('vip'\\) cannot be used here"):
        to_sql(parse("tag('vip')", NAMES), {})
    with pytest.raises(ExpressionError, match="column 'i' is not available"):
        to_sql(parse("i = 1", NAMES), {})
    with pytest.raises(ExpressionError, match="not finite"):
        to_sql(Literal(math.inf), {})


# -- differential test: the engine and a Python evaluator agree on random expressions ----------

NOW = dt.date(2024, 6, 1)
COLUMNS = {name: name for name in ("i", "j", "s", "d", "b")}
ROWS: list[dict[str, Any]] = [
    {"id": 1, "i": 0, "j": 1, "s": "a", "d": dt.date(2024, 5, 1), "b": True, "vip": True},
    {"id": 2, "i": None, "j": -2, "s": "B上", "d": None, "b": False, "vip": False},
    {"id": 3, "i": 3, "j": 3, "s": None, "d": dt.date(2024, 5, 31), "b": None, "vip": True},
    {"id": 4, "i": -4, "j": 0, "s": "", "d": dt.date(2024, 4, 2), "b": True, "vip": False},
    {"id": 5, "i": 5, "j": None, "s": "a'%_", "d": dt.date(2024, 6, 1), "b": False, "vip": True},
    {"id": 6, "i": 2, "j": 2, "s": "上海", "d": dt.date(2024, 3, 1), "b": None, "vip": False},
]
TEXT = st.text(alphabet="aB上'%_", max_size=3)


@functools.cache
def ints(depth: int) -> st.SearchStrategy[Node]:
    leaves = st.one_of(
        st.sampled_from([Column("i"), Column("j"), Literal(None)]),
        st.integers(0, 5).map(Literal),
        st.just(Call("days_since", (Column("d"),))),
    )
    if depth == 0:
        return leaves
    sub = ints(depth - 1)
    return st.one_of(
        leaves,
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/", "%"]), sub, sub),
        st.builds(Unary, st.sampled_from(["-", "+"]), sub),
        sub.map(lambda a: Call("abs", (a,))),
        st.builds(lambda a, b: Call("coalesce", (a, b)), sub, sub),
        strs(depth - 1).map(lambda a: Call("length", (a,))),
    )


@functools.cache
def strs(depth: int) -> st.SearchStrategy[Node]:
    leaves = st.one_of(st.just(Column("s")), TEXT.map(Literal), st.just(Literal(None)))
    if depth == 0:
        return leaves
    sub = strs(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda f, a: Call(f, (a,)), st.sampled_from(["lower", "upper"]), sub),
        st.builds(lambda a, b: Call("coalesce", (a, b)), sub, sub),
    )


@functools.cache
def bools(depth: int) -> st.SearchStrategy[Node]:
    leaves = st.one_of(
        st.sampled_from([Column("b"), Literal(True), Literal(False), Literal(None)]),
        st.just(Call("tag", (Literal("vip"),))),
    )
    if depth == 0:
        return leaves
    sub, num, text = bools(depth - 1), ints(depth - 1), strs(depth - 1)
    comparison = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        leaves,
        st.builds(Binary, st.sampled_from(["and", "or"]), sub, sub),
        st.builds(Unary, st.just("not"), sub),
        st.builds(Binary, comparison, num, num),
        st.builds(Binary, comparison, text, text),
        st.builds(In, num, st.lists(num, min_size=1, max_size=3).map(tuple), st.booleans()),
        st.builds(In, text, st.lists(text, min_size=1, max_size=3).map(tuple), st.booleans()),
        st.builds(Between, num, num, num, st.booleans()),
        st.builds(Like, text, text, st.booleans()),
        st.builds(IsNull, st.one_of(num, text, sub), st.booleans()),
        st.builds(lambda a, b: Call("contains", (a, b)), text, TEXT.map(Literal)),
    )


def render(node: Node) -> str:
    """Write a tree back as expression text, every sub-expression in parentheses."""
    match node:
        case Column(name=name):
            return name
        case Literal(value=value):
            if isinstance(value, str):
                return "'" + value.replace("'", "''") + "'"
            return {None: "null", True: "true", False: "false"}.get(value, repr(value))  # type: ignore[arg-type]
        case Unary(op=op, operand=operand):
            return f"({op} {render(operand)})"
        case Binary(op=op, left=left, right=right):
            return f"({render(left)} {op} {render(right)})"
        case In(operand=operand, values=values, negated=negated):
            listed = ", ".join(render(v) for v in values)
            return f"({render(operand)} {'not ' * negated}in ({listed}))"
        case Between(operand=operand, low=low, high=high, negated=negated):
            return f"({render(operand)} {'not ' * negated}between {render(low)} and {render(high)})"
        case Like(operand=operand, pattern=pattern, negated=negated):
            return f"({render(operand)} {'not ' * negated}like {render(pattern)})"
        case IsNull(operand=operand, negated=negated):
            return f"({render(operand)} is {'not ' * negated}null)"
        case Call(function=function, args=args):
            return f"{function}({', '.join(render(a) for a in args)})"
    raise AssertionError(node)


def both(fn: Callable[..., Any], *values: Any) -> Any:
    return None if any(v is None for v in values) else fn(*values)


def and3(a: bool | None, b: bool | None) -> bool | None:
    return False if False in (a, b) else None if None in (a, b) else True


def or3(a: bool | None, b: bool | None) -> bool | None:
    return True if True in (a, b) else None if None in (a, b) else False


def not3(a: bool | None) -> bool | None:
    return None if a is None else not a


def divide(op: str, a: float, b: float) -> float | None:
    if b == 0:
        return None
    if op == "/":
        return a / b
    rest = math.fmod(a, b)
    return int(rest) if isinstance(a, int) and isinstance(b, int) else rest


OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}


def like(text: str, pattern: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def evaluate(node: Node, row: dict[str, Any]) -> Any:
    """SQL semantics (three-valued logic, null in -> null out) in plain Python."""
    value = functools.partial(evaluate, row=row)
    match node:
        case Column(name=name):
            return row[name]
        case Literal(value=literal):
            return literal
        case Unary(op="not", operand=operand):
            return not3(value(operand))
        case Unary(op=op, operand=operand):
            return both(lambda a: -a if op == "-" else a, value(operand))
        case Binary(op="and", left=left, right=right):
            return and3(value(left), value(right))
        case Binary(op="or", left=left, right=right):
            return or3(value(left), value(right))
        case Binary(op=("/" | "%") as op, left=left, right=right):
            return both(functools.partial(divide, op), value(left), value(right))
        case Binary(op=op, left=left, right=right):
            return both(OPS[op], value(left), value(right))
        case In(operand=operand, values=values, negated=negated):
            x, listed = value(operand), [value(v) for v in values]
            found = (
                None if x is None else True if x in listed else None if None in listed else False
            )
            return not3(found) if negated else found
        case Between(operand=operand, low=low, high=high, negated=negated):
            x = value(operand)
            inside = and3(both(OPS[">="], x, value(low)), both(OPS["<="], x, value(high)))
            return not3(inside) if negated else inside
        case Like(operand=operand, pattern=pattern, negated=negated):
            matched = both(like, value(operand), value(pattern))
            return not3(matched) if negated else matched
        case IsNull(operand=operand, negated=negated):
            return (value(operand) is None) != negated
        case Call(function="tag"):
            return row["vip"]
        case Call(function="days_since", args=(arg,)):
            return both(lambda d: (NOW - d).days, value(arg))
        case Call(function="coalesce", args=args):
            return next((v for v in map(value, args) if v is not None), None)
        case Call(function="contains", args=(a, b)):
            return both(lambda x, y: y in x, value(a), value(b))
        case Call(function=function, args=(arg,)):
            fn = {"abs": abs, "length": len, "lower": str.lower, "upper": str.upper}[function]
            return both(fn, value(arg))
    raise AssertionError(node)


@pytest.fixture(scope="module")
def table() -> Any:
    engine = DuckDBEngine(None)
    engine.execute(
        "create table t (id int, i bigint, j bigint, s varchar, d date, b boolean, vip boolean)"
    )
    engine.insert_rows("t", [list(row.values()) for row in ROWS])
    yield engine
    engine.close()


def tag_sql(name: str) -> str:
    return quote_literal(name) + " = 'vip' and vip"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=bools(3))
def test_engine_agrees_with_python_on_random_expressions(table: DuckDBEngine, tree: Node) -> None:
    text = render(tree)
    assert parse(text, list(COLUMNS)) == tree
    sql = to_sql(tree, COLUMNS, tag_sql=tag_sql, now_sql="DATE '2024-06-01'")
    got = [row[0] for row in table.fetch_all(f"select id from t where {sql} order by id")]
    expected = [row["id"] for row in ROWS if evaluate(tree, row) is True]
    assert got == expected, (text, sql)


# -- injection corpus: nothing outside the allow-list ever runs ---------------------------------

INJECTIONS: list[tuple[str, bool]] = [  # (text, parses into an allow-listed tree)
    ("read_csv('x')", False),
    ("read_csv_auto('/etc/passwd') = 1", False),
    ("1; drop table t", False),
    ("x = 1; drop table t", False),
    ("COPY t TO 'x'", False),
    ("ATTACH 'x'", False),
    ("x -- comment", False),
    ("x /* c */", False),
    ('"x"', False),
    ("`x`", False),
    ("‘x’", False),
    ("x = “a”", False),
    ("x ＝ 1", False),
    ("x = ＇a＇", False),
    ("x = ʼaʼ", False),
    ("х = 1", False),  # Cyrillic х
    ("x；drop table t", False),
    ("x = 1 union select 1", False),
    ("x::varchar = '1'", False),
    ("x = $$a$$", False),
    ("x = E'\\x27'", False),
    ("getvariable('x') = 1", False),
    ("x" * 20_000, False),
    ("(" * 1000 + "x" + ")" * 1000, False),
    ("pragma", False),
    ("pragma version", False),
    ("install httpfs", False),
    ("load httpfs", False),
    ("x = 'a\x00'", False),
    ("x = 'a'' or ''1''=''1'", True),
    ("x = '1'); drop table t; --'", False),
    ("x = '1''); drop table t; --'", True),
    ("x like '%'' or 1=1 --'", True),
    ("tag('vip''); drop table t; --')", True),
    ("x in ('a', 'b'' , read_csv(''x'')')", True),
]


@pytest.mark.parametrize(("text", "allowed"), INJECTIONS)
def test_injection_corpus_runs_nothing_outside_the_allow_list(
    text: str, allowed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = DuckDBEngine(None)
    engine.execute("create table t (x varchar, vip boolean)")
    engine.insert_rows("t", [["a", True], ["a' or '1'='1", False]])
    tables = engine.fetch_all("select table_name from duckdb_tables()")
    ran: list[str] = []
    run = engine._run
    monkeypatch.setattr(engine, "_run", lambda sql, params: ran.append(sql) or run(sql, params))
    try:
        tree = parse(text, ["x"])
    except ExpressionError as error:
        assert not allowed, error
        assert "at character" in str(error) and "^" in str(error)
    else:
        assert allowed, tree
        sql = to_sql(tree, {"x": "x"}, tag_sql=tag_sql)
        query = f"select count(*) from t where {sql}"
        statements = duckdb.extract_statements(query)
        assert [s.type for s in statements] == [duckdb.StatementType.SELECT]
        engine.fetch_all(query)
        assert ran == [query]
    assert ran in ([], [query] if allowed else [])
    monkeypatch.undo()
    assert engine.fetch_all("select table_name from duckdb_tables()") == tables
    assert engine.fetch_all("select count(*) from t") == [(2,)]
    assert os.listdir(tmp_path) == []
    engine.close()


def test_a_quote_inside_a_literal_stays_a_literal() -> None:
    tree = parse("x = 'a'' or ''1''=''1'", ["x"])
    assert tree == Binary("=", Column("x"), Literal("a' or '1'='1"))
