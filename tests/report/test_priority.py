"""The priority score: each factor scaled 0-1 across segments, weighted, ranked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from persona import Project
from persona.config import PriorityWeights, parse_config
from persona.model.errors import ConfigError
from persona.report.persona import Growth, Metric, PersonaCard
from persona.report.priority import rank, scale


def _card(id_: int, size: int, spend: float, active: float, growth: float | None) -> PersonaCard:
    def metric(key: str, value: float) -> Metric:
        return Metric(key, key, value, 1.0, value, "", "", "")

    card = PersonaCard(id_, f"s{id_}", "", "", "kmeans", size, 0.1, False, 0.1, "", [])
    card.metrics = {
        "transactions": [metric("monetary", spend)],
        "behaviour": [metric("active_30d", active)],
    }
    card.growth = Growth(1, size, growth) if growth is not None else None
    return card


def test_scale() -> None:
    assert scale({1: 400.0, 2: 100.0, 3: -5.0}) == {1: 1.0, 2: 0.25, 3: 0.0}
    assert scale({1: -0.2, 2: 0.3, 3: 0.05}, spread=True) == pytest.approx({1: 0.0, 2: 1.0, 3: 0.5})
    assert scale({1: 0.1, 2: 0.1}, spread=True) == {1: 0.5, 2: 0.5}
    assert scale({}) == {}


def test_rank_weights_and_growth() -> None:
    cards = [
        _card(1, size=1000, spend=100.0, active=0.2, growth=-0.1),  # big, cheap, sleepy
        _card(2, size=200, spend=900.0, active=0.9, growth=0.4),  # small, valuable, growing
        _card(3, size=500, spend=300.0, active=0.5, growth=0.1),
    ]
    even = {"size": 1.0, "value": 1.0, "growth": 1.0, "activity": 1.0}
    rank(cards, even, growth_known=True)
    scores = {c.id: c.priority.score for c in cards if c.priority}
    # card 2: (0.2 + 1 + 1 + 1) / 4; card 1: (1 + 1/9 + 0 + 2/9) / 4;
    # card 3: (0.5 + 1/3 + 0.4 + 5/9) / 4
    assert scores == {1: pytest.approx(33.3, abs=0.05), 2: 80.0, 3: pytest.approx(44.7, abs=0.05)}
    assert [c.priority.rank for c in cards if c.priority] == [3, 1, 2]
    assert cards[1].priority is not None and cards[1].priority.raw["value"] == 900.0

    rank(cards, {**even, "size": 10.0, "value": 0.0}, growth_known=True)
    assert cards[0].priority is not None and cards[0].priority.rank == 1
    assert cards[0].priority.factors["value"] is None  # weight 0: left out

    rank(cards, even, growth_known=False)  # no previous snapshot: growth is left out
    assert all(c.priority and c.priority.factors["growth"] is None for c in cards)
    assert cards[1].priority is not None and cards[1].priority.score == pytest.approx(
        73.3, abs=0.05
    )


def test_suppressed_cards_are_not_ranked() -> None:
    cards = [_card(1, 100, 10.0, 0.5, None), _card(2, 100, 20.0, 0.5, None)]
    cards[1].suppressed, cards[1].size = True, None
    rank(cards, {"size": 1, "value": 1, "growth": 1, "activity": 1}, growth_known=False)
    assert cards[0].priority is not None and cards[0].priority.rank == 1
    assert cards[1].priority is None


def test_weights_are_configurable(shop: Path, tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(shop, root)
    config = (root / "persona.yaml").read_text(encoding="utf-8")
    weighted = "personas: {priority_weights: {size: 0, value: 0, growth: 0, activity: 1}}\n"
    (root / "persona.yaml").write_text(weighted + config, encoding="utf-8")
    with Project.open(root) as project:
        personas = project.personas("en")
    assert personas.weights == {"size": 0.0, "value": 0.0, "growth": 0.0, "activity": 1.0}
    ranked = {c.id: c.priority.score for c in personas.cards if c.priority}
    assert ranked == {1: 100.0, 2: 100.0}  # both segments were all active in June


def test_weights_are_checked() -> None:
    with pytest.raises(ConfigError, match="at least one priority weight must be above 0"):
        parse_config(
            "project: p\npersonas: {priority_weights: {size: 0, value: 0, growth: 0, activity: 0}}"
        )
    with pytest.raises(ConfigError, match="did you mean 'value'"):
        parse_config("project: p\npersonas: {priority_weights: {valeu: 2}}")
    assert PriorityWeights().model_dump() == {"size": 1, "value": 1, "growth": 1, "activity": 1}
