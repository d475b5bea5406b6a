"""Lookalikes on the demo (1,000 customers, seed 7): a partial seed of a planted archetype
finds the rest of it, the expected precision is close to the true one, results are
deterministic, consent is respected, the in-engine score is the model's, and errors are clear."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from persona import Project
from persona.analysis.lookalike import Term, lookalike
from persona.cli import app
from persona.demo import generate_demo
from persona.model.errors import ProjectError
from persona.model.expression import ExpressionError
from persona.privacy import audit
from persona.privacy.registry import exports
from tests.demo.truth import customer_archetypes

ARCHETYPES = {"high_value_active": "高价值活跃", "night_owl_high_wtp": "夜间活跃"}
"""Archetype -> the segment named after it; the seed is that segment's even ages."""


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lookalike-demo")
    generate_demo(root, customers=1000, seed=7)
    with Project.open(root) as project:
        project.build()
    return root


@pytest.fixture
def demo(demo_root: Path) -> Iterator[Project]:
    with Project.open(demo_root) as project:
        yield project


@pytest.fixture(scope="module")
def archetypes(demo_root: Path) -> pd.Series:
    """customer_id -> the one archetype of the true people merged into it."""
    with Project.open(demo_root) as project:
        return customer_archetypes(project)


def _members(project: Project, expression: str) -> set[str]:
    project.audiences.select_into(expression, "_test_seed", include_opted_out=True)
    return {str(r[0]) for r in project.engine.fetch_all("select customer_id from _test_seed")}


@pytest.mark.parametrize("archetype", sorted(ARCHETYPES))
def test_a_partial_seed_finds_the_rest_of_its_archetype(
    demo: Project, archetypes: pd.Series, archetype: str
) -> None:
    expression = f"segment = '{ARCHETYPES[archetype]}' and age % 2 = 0"
    result = lookalike(demo, expression, 40, random_state=1)
    seed = _members(demo, expression)
    chosen = result.members["customer_id"]
    assert len(chosen) == 40 and not set(chosen) & seed
    found = chosen.map(archetypes)
    candidates = archetypes[~archetypes.index.isin(seed)]
    chance = (candidates == archetype).mean()
    measured = (found == archetype).mean()
    assert chance < 0.1 and measured >= 0.6, (measured, chance)
    expected = result.summary["expected_precision"]
    assert abs(expected - measured) <= 0.2, (expected, measured)
    assert result.summary["auc"] > 0.85 and 0 < result.summary["holdout_recall"] <= 1
    assert list(result.members["rank"]) == list(range(1, 41))
    assert result.members["score"].is_monotonic_decreasing
    top = result.summary["features"]
    assert top and all(f["weight"] > 0 and f["label_zh"] and f["label_en"] for f in top)


def test_same_seed_same_result(demo: Project) -> None:
    expression = "monetary > 3000"
    first = lookalike(demo, expression, 30, random_state=3)
    again = lookalike(demo, expression, 30, random_state=3)
    assert first.summary == again.summary
    pd.testing.assert_frame_equal(first.members, again.members)


def test_consent_is_respected_and_counted(demo: Project) -> None:
    expression = "frequency >= 5"
    result = lookalike(demo, expression, 10_000)
    consent = demo.engine.fetch_df(
        "select customer_id, consent_profiling, consent_marketing from customers"
    ).set_index("customer_id")
    chosen = consent.loc[result.members["customer_id"]]
    assert not chosen["consent_profiling"].eq(False).any()
    assert not chosen["consent_marketing"].eq(False).any()
    seed = _members(demo, expression)
    refused = consent["consent_profiling"].eq(False).fillna(False)
    opted_out = consent["consent_marketing"].eq(False).fillna(False)
    outside = ~consent.index.isin(seed)
    # Asking for more than there are gives every candidate.
    assert result.summary["size"] == int((outside & ~refused & ~opted_out).sum())
    assert result.summary["left_out"] == {
        "profiling_refused": int(refused.sum()),
        "marketing_opt_out": int((outside & ~refused & opted_out).sum()),
    }
    assert result.summary["seed"]["members"] == len(seed - set(consent.index[refused]))


def test_the_engine_scores_terms_as_python_does(demo: Project) -> None:
    frame = demo.engine.fetch_df("select * from features order by customer_id")
    terms = [
        Term("monetary", None, 10.0, 5000.0, 900.0, 1200.0),
        Term("has_events", None, 0.0, 1.0, 0.4, 0.5),
        Term("top_category", "母婴", 0.0, 1.0, 0.2, 0.4),
    ]
    for term in terms:
        sql = demo.engine.fetch_df(
            f"select {term.sql('f')} as v from features f order by customer_id"
        )
        np.testing.assert_allclose(sql["v"].to_numpy(), term.values(frame), rtol=1e-12)


def test_errors(demo: Project) -> None:
    with pytest.raises(ProjectError, match="a lookalike needs at least 20"):
        lookalike(demo, "monetary > 1000000", 10)
    with pytest.raises(ProjectError, match="at least 1 customer"):
        lookalike(demo, "monetary > 1000", 0)
    with pytest.raises(ExpressionError):
        lookalike(demo, "monetry > 1000", 10)


def test_saved_audience_as_seed(demo: Project, tmp_path: Path) -> None:
    demo.audiences.save("big_spenders", "monetary > 3000")
    named = lookalike(demo, "big_spenders", 20, random_state=3)
    direct = lookalike(demo, "monetary > 3000", 20, random_state=3)
    assert named.summary["audience"] == "big_spenders"
    pd.testing.assert_frame_equal(named.members, direct.members)


def test_cli_lookalike_exports_and_records(demo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "lookalike.csv"
    seed = "segment = '高价值活跃' and age % 2 = 0"
    args = ["audience", "lookalike", seed, "--size", "25", "--seed", "2", "-p", str(demo_root)]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["size"] == 25 and summary["file"] == str(out)
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert list(written.columns) == ["customer_id", "customer_key", "score", "rank"]
    assert len(written) == 25 and list(written["rank"]) == list(range(1, 26))
    with Project.open(demo_root) as project:
        registry = exports(project.engine)
        entry = registry[registry["export_id"] == summary["export_id"]].iloc[0]
        assert entry["count"] == 25 and entry["target"] == str(out) and entry["file_hash"]
        logged = audit.entries(project.engine, action="export", limit=1).iloc[0]
        detail = json.loads(logged["detail"])
        assert detail["export_id"] == summary["export_id"] and detail["kind"] == "lookalike"
        assert "cust_" not in logged["detail"]  # the audit log never names a person

    english = CliRunner().invoke(app, [*args, "--lang", "en"])
    assert english.exit_code == 0, english.output
    assert "Expected precision" in english.stdout and "Held-out AUC" in english.stdout
    chinese = CliRunner().invoke(app, [*args, "--lang", "zh"])
    assert "预期准确率" in chinese.stdout and "最能使客户接近种子的特征" in chinese.stdout
    too_small = CliRunner().invoke(
        app, ["audience", "lookalike", "monetary > 1000000", "--size", "5", "-p", str(demo_root)]
    )
    assert too_small.exit_code == 1 and "at least 20" in too_small.output
    no_size = CliRunner().invoke(
        app, ["audience", "lookalike", seed, "--size", "-3", "-p", str(demo_root), "--lang", "en"]
    )
    assert no_size.exit_code == 1 and "at least 1 customer" in no_size.output
