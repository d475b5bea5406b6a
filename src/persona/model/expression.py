"""The expression language of tags and audiences: a tokenizer, a Pratt parser, a syntax tree.

`parse` turns text such as ``orders_90d >= 3 and not tag('churn_risk')`` into an immutable,
allow-listed tree (docs/expressions.md has the grammar). Nothing here knows SQL; the engine
compiles the tree late (`persona.engine.compile.to_sql`). Every mistake raises
`ExpressionError`, whose message shows the expression with a caret under the position.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace

from persona.model.errors import PersonaError
from persona.model.suggest import did_you_mean

MAX_LENGTH = 10_000
"""Longest expression accepted, in characters."""

MAX_DEPTH = 100
"""Deepest nesting accepted (parentheses, operators and calls inside one another)."""

FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "tag": (1, 1),
    "days_since": (1, 1),
    "lower": (1, 1),
    "upper": (1, 1),
    "abs": (1, 1),
    "round": (1, 2),
    "coalesce": (2, None),
    "length": (1, 1),
    "contains": (2, 2),
}
"""The allow-listed functions: name -> (fewest, most arguments; None = any number)."""

KEYWORDS = frozenset({"and", "or", "not", "in", "between", "like", "is", "null", "true", "false"})
"""Reserved words (case-insensitive); they cannot be used as column names."""

COMPARISONS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<="}
COMPARISONS |= {">": ">", ">=": ">="}

_OR, _AND, _NOT, _COMPARE, _ADD, _MULTIPLY, _SIGN = 10, 20, 30, 40, 50, 60, 70
_INFIX = {"+": _ADD, "-": _ADD, "*": _MULTIPLY, "/": _MULTIPLY, "%": _MULTIPLY}
_SYMBOLS = re.compile(r"==|!=|<>|<=|>=|[=<>+\-*/%(),]")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"  # CJK ideographs, for Chinese column names
_IDENTIFIER = re.compile(f"[A-Za-z_{_HAN}][A-Za-z0-9_{_HAN}]*")
_WHITESPACE = frozenset(" \t\r\n")
_REFUSED = {
    ";": "';' is not allowed: an expression is one condition, not a SQL statement",
    '"': "double quotes are not allowed; write text in single quotes ('text') and "
    "column names bare",
    "`": "backticks are not allowed; write column names bare",
    "‘": "typographic quote '‘' is not allowed; use a plain single quote (')",
    "’": "typographic quote '’' is not allowed; use a plain single quote (')",
    "“": "typographic quote '“' is not allowed; write text in plain single quotes (')",
    "”": "typographic quote '”' is not allowed; write text in plain single quotes (')",
}


class ExpressionError(ValueError, PersonaError):
    """An expression cannot be parsed or compiled; the message points at the position.

    Attributes:
        expression: The text of the expression, or None when not known.
        position: The 0-based character offset of the mistake, or None.
    """

    def __init__(self, message: str, expression: str | None = None, position: int | None = None):
        self.expression = expression
        self.position = position
        if expression is None or position is None:
            super().__init__(message)
            return
        line, caret = _excerpt(expression, position)
        super().__init__(
            f"expression error at character {position + 1}: {message}\n  {line}\n  {caret}^"
        )


def _excerpt(text: str, position: int) -> tuple[str, str]:
    """Return one display line around `position` and the padding that puts a caret under it."""
    start, end = max(0, position - 60), min(len(text), position + 40)
    shown = "".join(" " if ch in _WHITESPACE else ch for ch in text[start:end])
    before = shown[: position - start]
    if start > 0:
        shown, before = "…" + shown, "…" + before
    if end < len(text):
        shown += "…"
    # Wide (CJK, full-width) characters take two columns in a terminal.
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in before)
    return shown, " " * width


@dataclass(frozen=True)
class Column:
    """A column of the feature or tag table, by its validated name."""

    name: str


@dataclass(frozen=True)
class Literal:
    """A constant: text, a whole number, a decimal number, true/false, or null (None)."""

    value: str | int | float | bool | None


@dataclass(frozen=True)
class Unary:
    """``not x``, ``-x`` or ``+x``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    """``left op right`` with op one of and, or, =, !=, <, <=, >, >=, +, -, *, /, %."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class In:
    """``operand [not] in (values...)``."""

    operand: Node
    values: tuple[Node, ...]
    negated: bool = False


@dataclass(frozen=True)
class Between:
    """``operand [not] between low and high`` (both ends included)."""

    operand: Node
    low: Node
    high: Node
    negated: bool = False


@dataclass(frozen=True)
class Like:
    """``operand [not] like pattern`` (``%`` any text, ``_`` one character)."""

    operand: Node
    pattern: Node
    negated: bool = False


@dataclass(frozen=True)
class IsNull:
    """``operand is [not] null``."""

    operand: Node
    negated: bool = False


@dataclass(frozen=True)
class Call:
    """A call of an allow-listed function (`FUNCTIONS`), name in lower case."""

    function: str
    args: tuple[Node, ...]


Node = Column | Literal | Unary | Binary | In | Between | Like | IsNull | Call


def children(node: Node) -> tuple[Node, ...]:
    """Return the direct sub-expressions of `node`, in reading order."""
    match node:
        case Unary():
            return (node.operand,)
        case Binary():
            return (node.left, node.right)
        case In():
            return (node.operand, *node.values)
        case Between():
            return (node.operand, node.low, node.high)
        case Like():
            return (node.operand, node.pattern)
        case IsNull():
            return (node.operand,)
        case Call():
            return node.args
    return ()


def map_children(node: Node, change: Callable[[Node], Node]) -> Node:
    """Return `node` with `change` applied to each direct sub-expression (leaves as they are)."""
    match node:
        case Unary():
            return replace(node, operand=change(node.operand))
        case Binary():
            return replace(node, left=change(node.left), right=change(node.right))
        case In():
            values = tuple(change(v) for v in node.values)
            return replace(node, operand=change(node.operand), values=values)
        case Between():
            low, high = change(node.low), change(node.high)
            return replace(node, operand=change(node.operand), low=low, high=high)
        case Like():
            return replace(node, operand=change(node.operand), pattern=change(node.pattern))
        case IsNull():
            return replace(node, operand=change(node.operand))
        case Call():
            return replace(node, args=tuple(change(a) for a in node.args))
    return node


def walk(node: Node) -> Iterator[Node]:
    """Yield `node` and every sub-expression, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "string", "number", "symbol" or "end"
    text: str
    position: int
    value: str | int | float | None = None

    @property
    def word(self) -> str:
        """The lower-cased text of a name token ("" for other kinds)."""
        return self.text.lower() if self.kind == "name" else ""


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
        elif ch == "'":
            i = _string(text, i, tokens)
        elif text.startswith("--", i) or text.startswith("/*", i):
            raise ExpressionError(f"comments ({text[i : i + 2]}) are not allowed", text, i)
        elif match := _NUMBER.match(text, i):
            tokens.append(_number(text, match))
            i = match.end()
        elif match := _IDENTIFIER.match(text, i):
            tokens.append(_Token("name", match.group(), i))
            i = match.end()
        elif match := _SYMBOLS.match(text, i):
            tokens.append(_Token("symbol", match.group(), i))
            i = match.end()
        else:
            raise ExpressionError(_refusal(ch), text, i)
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _string(text: str, start: int, tokens: list[_Token]) -> int:
    parts, i = [], start + 1
    while True:
        end = text.find("'", i)
        if end < 0:
            raise ExpressionError("text in quotes is never closed; add a closing '", text, start)
        parts.append(text[i:end])
        if not text.startswith("''", end):
            break
        parts.append("'")
        i = end + 2
    value = "".join(parts)
    if "\x00" in value:
        raise ExpressionError("text contains a NUL character", text, start)
    tokens.append(_Token("string", text[start : end + 1], start, value))
    return end + 1


def _number(text: str, match: re.Match[str]) -> _Token:
    digits, start = match.group(), match.start()
    if _IDENTIFIER.match(text, match.end()) or text.startswith(".", match.end()):
        raise ExpressionError(f"{digits!r} is followed by letters; is it a number?", text, start)
    if digits.isdigit():
        if int(digits) >= 2**63:
            raise ExpressionError(f"number {digits} is too large", text, start)
        return _Token("number", digits, start, int(digits))
    value = float(digits)
    if value in (float("inf"), float("-inf")):
        raise ExpressionError(f"number {digits} is too large", text, start)
    return _Token("number", digits, start, value)


def _refusal(ch: str) -> str:
    if ch in _REFUSED:
        return _REFUSED[ch]
    plain = unicodedata.normalize("NFKC", ch)
    if plain.isspace():
        return f"space {ch!r} (U+{ord(ch):04X}) is not allowed; use a plain space"
    if plain != ch and plain.isascii() and plain.strip():
        return f"full-width {ch!r} is not allowed; use the plain {plain!r}"
    return f"character {ch!r} (U+{ord(ch):04X}) is not allowed here"


class _Parser:
    def __init__(self, text: str, names: Collection[str], tags: Collection[str] | None) -> None:
        self.text = text
        self.names = names
        self.tags = tags
        self.tokens = _tokens(text)
        self.index = 0
        self.nesting = 0
        self.depths: dict[int, int] = {}  # id(node) -> depth, to refuse over-deep trees

    def error(self, message: str, token: _Token | None = None) -> ExpressionError:
        token = token or self.peek()
        return ExpressionError(message, self.text, token.position)

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.index += 1
        return token

    def expect(self, text: str, what: str) -> _Token:
        token = self.peek()
        if token.text.lower() != text or token.kind not in ("symbol", "name"):
            raise self.error(f"expected {what}, found {_describe(token)}")
        return self.take()

    def node(self, node: Node, at: _Token) -> Node:
        depth = 1 + max((self.depths.get(id(c), 1) for c in children(node)), default=0)
        if depth > MAX_DEPTH:
            raise self.error(f"expression is nested deeper than {MAX_DEPTH} levels", at)
        self.depths[id(node)] = depth
        return node

    def expression(self, min_power: int = 0) -> Node:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.error(f"expression is nested deeper than {MAX_DEPTH} levels")
        left = self.prefix()
        compared = False
        while True:
            token = self.peek()
            power = self.infix_power(token)
            if power is None or power <= min_power:
                break
            if power == _COMPARE and compared:
                raise self.error("comparisons cannot be chained; join them with 'and'")
            compared = power == _COMPARE
            left = self.infix(left, power)
        self.nesting -= 1
        return left

    def infix_power(self, token: _Token) -> int | None:
        word = token.word
        if token.kind == "symbol" and token.text in COMPARISONS:
            return _COMPARE
        if token.kind == "symbol":
            return _INFIX.get(token.text)
        if word in ("in", "between", "like", "is"):
            return _COMPARE
        if word == "not" and self.peek(1).word in ("in", "between", "like"):
            return _COMPARE
        return {"and": _AND, "or": _OR}.get(word)

    def infix(self, left: Node, power: int) -> Node:
        token = self.take()
        word = token.word
        if word in ("and", "or") or token.text in _INFIX:
            right = self.expression(power)
            return self.node(Binary(word or token.text, left, right), token)
        if token.text in COMPARISONS:
            right = self.expression(_COMPARE)
            return self.node(Binary(COMPARISONS[token.text], left, right), token)
        if word == "is":
            negated = self.peek().word == "not"
            self.index += negated
            self.expect("null", "'null' after 'is'" + ("" if negated else " or 'is not'"))
            return self.node(IsNull(left, negated), token)
        negated = word == "not"
        if negated:
            token = self.take()
        if token.word == "in":
            return self.node(In(left, self.values(), negated), token)
        if token.word == "like":
            return self.node(Like(left, self.expression(_COMPARE), negated), token)
        low = self.expression(_COMPARE)
        self.expect("and", "'and' between the two ends of 'between'")
        return self.node(Between(left, low, self.expression(_COMPARE), negated), token)

    def values(self) -> tuple[Node, ...]:
        self.expect("(", "'(' and a list of values after 'in'")
        values = [self.expression()]
        while self.peek().text == ",":
            self.take()
            values.append(self.expression())
        self.expect(")", "',' or ')' to close the list of values")
        return tuple(values)

    def prefix(self) -> Node:
        token = self.take()
        word = token.word
        if token.kind in ("string", "number"):
            return Literal(token.value)
        if word in ("true", "false", "null"):
            return Literal({"true": True, "false": False, "null": None}[word])
        if word == "not":
            return self.node(Unary("not", self.expression(_NOT)), token)
        if token.text in ("-", "+") and token.kind == "symbol":
            return self.node(Unary(token.text, self.expression(_SIGN)), token)
        if token.text == "(" and token.kind == "symbol":
            inner = self.expression()
            self.expect(")", "')' to close the '(' at character " + str(token.position + 1))
            return inner
        if token.kind == "name" and word not in KEYWORDS:
            if self.peek().text == "(" and self.peek().kind == "symbol":
                return self.call(token)
            return self.column(token)
        raise self.error(f"expected a value, a column or '(', found {_describe(token)}", token)

    def column(self, token: _Token) -> Node:
        if token.text not in self.names:
            hint = did_you_mean(token.text, sorted(self.names))
            raise self.error(f"unknown column {token.text!r}{hint}", token)
        return Column(token.text)

    def call(self, token: _Token) -> Node:
        name = token.word
        if name not in FUNCTIONS:
            hint = did_you_mean(name, sorted(FUNCTIONS)) or "; the functions are " + ", ".join(
                sorted(FUNCTIONS)
            )
            raise self.error(f"unknown function {token.text!r}{hint}", token)
        self.take()
        args: list[Node] = []
        if self.peek().text != ")":
            args.append(self.expression())
            while self.peek().text == ",":
                self.take()
                args.append(self.expression())
        self.expect(")", f"',' or ')' to close the arguments of {name}()")
        fewest, most = FUNCTIONS[name]
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = str(fewest) if fewest == most else f"{fewest} to {most or 'any number'}"
            raise self.error(f"{name}() takes {wanted} argument(s), got {len(args)}", token)
        if name == "tag":
            self.check_tag(args[0], token)
        return self.node(Call(name, tuple(args)), token)

    def check_tag(self, arg: Node, token: _Token) -> None:
        if not isinstance(arg, Literal) or not isinstance(arg.value, str):
            raise self.error("tag() takes the tag name in quotes, e.g. tag('vip')", token)
        if self.tags is not None and arg.value not in self.tags:
            hint = did_you_mean(arg.value, sorted(self.tags))
            raise self.error(f"unknown tag {arg.value!r}{hint}", token)

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("the expression is empty")
        tree = self.expression()
        if self.peek().kind != "end":
            raise self.error(f"expected an operator or the end, found {_describe(self.peek())}")
        return tree


def _describe(token: _Token) -> str:
    return "the end of the expression" if token.kind == "end" else repr(token.text)


def parse(text: str, names: Collection[str], *, tags: Collection[str] | None = None) -> Node:
    """Parse an expression into an allow-listed syntax tree.

    Args:
        text: The expression, e.g. ``orders_90d >= 3 and city in ('上海', '北京')``.
        names: The column names the expression may use (case-sensitive).
        tags: The known tag names; when given, ``tag('x')`` must name one of them.

    Returns:
        The root `Node` of the tree.

    Raises:
        ExpressionError: The text is too long, too deep, uses a character or name outside the
            language, or breaks the grammar; the message shows where.

    Example:
        >>> parse("a >= 3", ["a"])
        Binary(op='>=', left=Column(name='a'), right=Literal(value=3))
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}",
            text,
            MAX_LENGTH,
        )
    return _Parser(text, names, tags).parse()
