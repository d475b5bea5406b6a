"""Differential test: 1,000 random expressions over the demo, counted by the engine and by an
independent pandas evaluation with SQL's three-valued logic; every count must agree."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pandas as pd
import pytest

from persona import Project
from persona.demo import generate_demo
from persona.model.expression import ExpressionError

Clause = tuple[str, pd.Series]
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "DOUBLE", "FLOAT")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("audience-demo")
    generate_demo(root, customers=1000, seed=7)
    with Project.open(root) as project:
        project.build()
        yield project


def _table(project: Project, sql: str) -> pd.DataFrame:
    return project.engine.fetch_df(sql).set_index("customer_id")


def _types(project: Project, table: str) -> dict[str, str]:
    rows = project.engine.fetch_all(
        "select column_name, data_type from information_schema.columns where table_name = ?",
        [table],
    )
    return {str(n): str(t) for n, t in rows if n != "customer_id"}


class Data:
    """The demo's customers with every selectable column, as nullable pandas columns."""

    def __init__(self, project: Project) -> None:
        customers = _table(project, "select * from customers")
        features = _table(project, "select * from features")
        tags = _table(project, "select * from tags")
        segments = _table(
            project,
            "select m.customer_id, s.name_zh as segment, m.segment_id from segment_members m "
            "join segments s using (segment_id)",
        )
        self.english = dict(project.engine.fetch_all("select name_en, name_zh from segments"))
        ftypes, ttypes = _types(project, "features"), _types(project, "tags")
        attributes = ["education", "occupation", "consent_marketing", "consent_analytics"]
        bare_tags = tags[[c for c in tags.columns if c not in features.columns]]
        frame = customers[attributes].join(features).join(bare_tags).join(segments)
        self.numeric = [c for c, t in ftypes.items() if t in NUMERIC]
        self.numeric += [c for c, t in ttypes.items() if t in NUMERIC] + ["segment_id"]
        self.text = [c for c, t in ftypes.items() if t == "VARCHAR"]
        self.text += [c for c, t in ttypes.items() if t == "VARCHAR" and c not in ftypes]
        self.text += ["education", "occupation", "segment"]
        self.flags = [c for c, t in ftypes.items() if t == "BOOLEAN"] + ["consent_marketing"]
        self.tags = [c for c, t in ttypes.items() if t == "BOOLEAN"]
        self.columns = {c: frame[c].astype("Float64") for c in self.numeric}
        self.columns |= {c: frame[c].astype("string") for c in self.text}
        self.columns |= {c: frame[c].astype("boolean") for c in self.flags}
        tagged = customers[[]].join(tags)
        self.columns |= {f"tag:{c}": tagged[c].astype("boolean") for c in self.tags}
        self.raw = frame


def _literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _observed(data: Data, column: str, rng: random.Random, n: int = 1) -> list[object]:
    values = data.columns[column].dropna().unique().tolist()
    return [rng.choice(values) for _ in range(n)]


def _clause(data: Data, rng: random.Random) -> Clause:
    text, hit = _some_clause(data, rng)
    return text, hit.astype("boolean")


def _some_clause(data: Data, rng: random.Random) -> Clause:
    kind = rng.choice(
        ["compare", "compare", "between", "in", "text", "order", "null", "tag", "flag"]
    )
    if kind == "order":
        return _text_order(data, rng)
    if kind in ("compare", "between"):
        column = rng.choice(data.numeric)
        series = data.columns[column]
        if kind == "between":
            low, high = sorted(float(v) for v in _observed(data, column, rng, 2))  # type: ignore[arg-type]
            text = f"{column} between {_literal(low)} and {_literal(high)}"
            return text, (series >= low) & (series <= high)
        (value,) = _observed(data, column, rng)
        op = rng.choice(["<", "<=", ">", ">=", "=", "!="])
        compare: dict[str, Callable[[pd.Series], pd.Series]] = {
            "<": lambda s: s < value,
            "<=": lambda s: s <= value,
            ">": lambda s: s > value,
            ">=": lambda s: s >= value,
            "=": lambda s: s == value,
            "!=": lambda s: s != value,
        }
        return f"{column} {op} {_literal(value)}", compare[op](series)
    if kind in ("in", "text"):
        column = rng.choice(data.text)
        series = data.columns[column]
        values = _observed(data, column, rng, rng.randint(1, 3))
        shown = values
        if column == "segment" and rng.random() < 0.5:  # the English name selects the same
            by_zh = {zh: en for en, zh in data.english.items()}
            shown = [by_zh[v] for v in values]
        if kind == "text":
            op = rng.choice(["=", "!="])
            hit = series == values[0] if op == "=" else series != values[0]
            return f"{column} {op} {_literal(shown[0])}", hit
        negated = rng.random() < 0.3
        inside = series.isin(values).astype("boolean").mask(series.isna())
        listed = ", ".join(_literal(v) for v in shown)
        return f"{column} {'not ' if negated else ''}in ({listed})", ~inside if negated else inside
    if kind == "null":
        column = rng.choice([*data.numeric, *data.text])
        negated = rng.random() < 0.5
        missing = data.columns[column].isna().astype("boolean")
        return f"{column} is {'not ' if negated else ''}null", ~missing if negated else missing
    if kind == "tag":
        name = rng.choice(data.tags)
        return f"tag('{name}')", data.columns[f"tag:{name}"]
    column = rng.choice(data.flags)
    return column, data.columns[column]


def _text_order(data: Data, rng: random.Random) -> Clause:
    """Ordering of text (counted on integer codes): values seen, unseen, and on the left."""
    column = rng.choice([c for c in data.text if c != "segment"])
    series = data.columns[column]

    def value() -> str:
        (seen,) = _observed(data, column, rng)
        return rng.choice([str(seen), str(seen) + "~", str(seen)[:1], "", "\uffff"])

    if rng.random() < 0.3:
        low, high = value(), value()
        return f"{column} between {_literal(low)} and {_literal(high)}", (series >= low) & (
            series <= high
        )
    text = value()
    op = rng.choice(["<", "<=", ">", ">=", "=", "!="])
    compare: dict[str, Callable[[pd.Series], pd.Series]] = {
        "<": lambda s: s < text,
        "<=": lambda s: s <= text,
        ">": lambda s: s > text,
        ">=": lambda s: s >= text,
        "=": lambda s: s == text,
        "!=": lambda s: s != text,
    }
    if rng.random() < 0.5:  # the value on the left: 'x' < column is column > 'x'
        flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}[op]
        return f"{_literal(text)} {flipped} {column}", compare[op](series)
    return f"{column} {op} {_literal(text)}", compare[op](series)


def _expression(data: Data, rng: random.Random) -> Clause:
    text, series = _clause(data, rng)
    for _ in range(rng.randint(0, 4)):
        other_text, other = _clause(data, rng)
        if rng.random() < 0.2:
            other_text, other = f"not ({other_text})", ~other
        if rng.random() < 0.5:
            text, series = f"({text}) and {other_text}", series & other
        else:
            text, series = f"({text}) or {other_text}", series | other
    return text, series


def test_engine_counts_equal_pandas_for_1000_random_expressions(demo: Project) -> None:
    data = Data(demo)
    rng = random.Random(20240630)
    mismatches = []
    checked = 0
    while checked < 1000:
        text, series = _expression(data, rng)
        expected = int(series.fillna(False).astype(bool).sum())
        try:
            counted = demo.audiences.raw_count(text, include_opted_out=True)
        except ExpressionError as error:  # a generated expression must always be valid
            pytest.fail(f"{text}: {error}")
        if counted["count"] != expected:
            mismatches.append((text, counted["count"], expected))
        assert counted["population"] == len(data.raw)
        checked += 1
    assert not mismatches, mismatches[:5]


def test_segments_by_either_name_and_k_on_the_demo(demo: Project) -> None:
    english, chinese = demo.engine.fetch_all("select name_en, name_zh from segments limit 1")[0]
    by_en = demo.audiences.count(f"segment = '{english}'")
    assert by_en["count"] == demo.audiences.count(f"segment = '{chinese}'")["count"] > 0
    assert [c["value"] for c in by_en["breakdown"]["segment"]] == [chinese]  # project language
    with pytest.raises(ExpressionError, match=f"did you mean '{english}'"):
        demo.audiences.count(f"segment = '{english[:-1]}x'")
    result = demo.audiences.count("monetary > 0")
    assert result["k"] == 10 and set(result["breakdown"]) == {
        "segment",
        "city",
        "gender",
        "lifecycle",
    }
    cells = [cell for column in result["breakdown"].values() for cell in column]
    assert all(cell["count"] is None or cell["count"] >= 10 for cell in cells)
    assert sum(c["count"] or 0 for c in result["breakdown"]["city"]) <= result["count"]
    regions = demo.audiences.overlap("tag('night_owl')", "monetary > 5000")["regions"]
    assert all(r["count"] is None or r["count"] == 0 or r["count"] >= 10 for r in regions)
    rows = demo.audiences.preview("monetary > 0", rows=20)
    opted_out = {
        str(r[0])
        for r in demo.engine.fetch_all(
            "select customer_id from customers where consent_marketing = false"
        )
    }
    assert len(rows) == 20 and not set(rows["customer_id"]) & opted_out
