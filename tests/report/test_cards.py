"""Persona cards on a small shop with known answers: sizes, spend, growth, distributions,
survey words, the representative customer, the positioning rules, and k suppression."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona import Project
from persona.model.errors import ProjectError
from persona.report.persona import PersonaCard, Personas
from tests.report.conftest import AS_OF_TIME, BIG, write_shop


def _cards(root: Path, lang: str = "zh") -> Personas:
    with Project.open(root) as project:
        return project.personas(lang)  # type: ignore[arg-type]


def _metric(card: PersonaCard, key: str) -> tuple[float, float, str]:
    found = next(m for ms in card.metrics.values() for m in ms if m.key == key)
    return found.value, found.population, found.text


def test_sizes_spend_and_growth(shop: Path) -> None:
    personas = _cards(shop)
    big, thrifty, _ = personas.cards
    assert (personas.segmented, personas.excluded, personas.k) == (24, 1, 5)
    assert (big.size, thrifty.size) == (12, 10)
    assert big.share == pytest.approx(0.5) and thrifty.share == pytest.approx(10 / 24)
    # spend: 12 x 1,000 + 10 x 100 + 2 x 100 = 13,200
    assert big.revenue_share == pytest.approx(12_000 / 13_200)
    assert _metric(big, "monetary") == pytest.approx((1000, 550, "¥1,000"))
    assert _metric(big, "avg_order_value")[:2] == pytest.approx((500, 6700 / 24))
    assert _metric(thrifty, "discount_share")[:2] == pytest.approx((1.0, 10 / 24))
    assert _metric(big, "night_share")[:2] == pytest.approx((1.0, 12 / 22))
    assert big.growth is not None and big.growth.previous == 8
    assert big.growth.change == pytest.approx(0.5)
    assert thrifty.growth is not None and thrifty.growth.change == 0
    assert personas.previous_snapshot == 1


def test_small_groups_are_suppressed(shop: Path) -> None:
    personas = _cards(shop)
    tiny = personas.cards[2]
    assert tiny.suppressed and tiny.size is None and tiny.share is None
    assert tiny.revenue_share is None and tiny.metrics == {} and tiny.distributions == {}
    assert tiny.representative is None and tiny.priority is None
    assert tiny.growth is not None and tiny.growth.previous is None  # 2 before: below k too
    assert tiny.growth.change is None and not tiny.growth.new
    big = personas.cards[0]
    assert [(s.value, s.count) for s in big.distributions["gender"]] == [("female", 12)]
    assert [(s.value, s.count) for s in big.distributions["city_tier"]] == [("1", 12)]
    everyone = personas.population_distributions["gender"]
    assert [(s.value, s.count) for s in everyone] == [("female", 12), ("male", 12)]
    for card in personas.cards:
        for shares in card.distributions.values():
            assert all(s.count is None or s.count >= 5 for s in shares)


def test_survey_scores_and_words(shop: Path) -> None:
    big, thrifty, _ = _cards(shop).cards
    assert big.respondents == 12
    (score,) = big.scores
    assert (score.dimension, score.value, score.population) == pytest.approx(
        ("quality_orientation", 5.0, (12 * 5 + 10 * 2) / 22)
    )
    (question,) = big.questions
    assert question.dimension == "needs" and question.respondents == 12
    words = {k.word: (k.count, k.share) for k in question.keywords}
    assert words == {"专属": (12, 1.0), "客服": (12, 1.0)}
    assert question.keywords[0].lift == pytest.approx(22 / 12)
    assert {k.word for k in thrifty.questions[0].keywords} == {"优惠券", "多发"}


def test_representative_customer_is_masked(shop: Path) -> None:
    big, thrifty, _ = _cards(shop).cards
    assert big.representative is not None and thrifty.representative is not None
    with Project.open(shop) as project:
        key_of = dict(
            project.engine.fetch_all("select customer_id, customer_keys[1] from customers")
        )
    assert key_of[big.representative.customer_id] == "C05"
    assert key_of[thrifty.representative.customer_id] == "C15"
    assert big.representative.name == "陈**"  # 陈芳芳, masked
    attributes = dict(big.representative.attributes)
    assert attributes["性别"] == "女" and attributes["年龄段"] == "25-34岁"
    assert attributes["城市"] == "上海" and attributes["累计消费"] == "¥1,000"
    assert "13812340004" not in str(big.representative)


def test_positioning_rules_fire_on_the_evidence(shop: Path) -> None:
    big, thrifty, _ = _cards(shop, "en").cards
    by_rule = {s.rule: s for s in big.positioning}
    premium = by_rule["premium"]
    assert premium.aspect == "value_proposition"
    # both conditions hold; the card shows the one met by the widest margin
    assert premium.condition == "Survey quality orientation ≥ average +0.5"
    assert premium.because == "Survey quality orientation 5.0 (average 3.6)"
    idea = by_rule["idea_premium_line"]
    assert idea.condition == "Average order value ≥ 1.3x the average"
    assert idea.because == "Average order value ¥500, 1.8x the average"
    assert idea.text == "A premium or limited 数码电器 line"
    assert by_rule["night"].text == "From 22:00 to 01:00"
    assert by_rule["top_channel"].text == "Reach them in the app"
    assert "idea_night_sale" in by_rule and "value_for_money" not in by_rule
    assert by_rule["keyword_needs"].text in ('Build for "专属"', 'Build for "客服"')
    thrifty_rules = {s.rule for s in thrifty.positioning}
    assert {"value_for_money", "tone_numbers", "idea_member_price"} <= thrifty_rules
    assert "premium" not in thrifty_rules
    assert big.headline.startswith("Mostly women aged 25-34, most active at night in the app")


def test_no_segments_is_a_clear_error(make_project) -> None:  # type: ignore[no-untyped-def]
    from tests.report.conftest import SOURCES

    root = make_project(SOURCES.split("- name: orders")[0], {"data/crm.csv": "id,name\nC1,张三\n"})
    with Project.open(root) as project:
        project.build()
        with pytest.raises(ProjectError, match="at least 10 customers who may be profiled"):
            project.personas()


RULES = """privacy: {k: 5}
segmentation:
  method: rules
  rules:
    - {name_zh: 大额客户, name_en: Big spenders, when: "monetary >= 500"}
    - {name_zh: 优惠敏感, name_en: Bargain hunters, when: "discount_share >= 0.5"}
"""


def test_rule_segments_from_the_segments_stage(tmp_path: Path) -> None:
    root = write_shop(tmp_path / "shop", RULES)
    with Project.open(root) as project:
        project.build(as_of=AS_OF_TIME)
        personas = project.personas("en")
        key_of = dict(
            project.engine.fetch_all("select customer_id, customer_keys[1] from customers")
        )
    by_name = {c.name_en: c for c in personas.cards}
    assert (by_name["Big spenders"].size, by_name["Bargain hunters"].size) == (12, 10)
    others = next(c for c in personas.cards if c.name_en not in by_name or c.suppressed)
    assert others.suppressed and others.size is None  # the 2 left over are fewer than k
    assert personas.previous_snapshot is None and personas.cards[0].growth is None
    # rule segments have no distance: the member nearest the centre represents them
    spenders = by_name["Big spenders"].representative
    assert spenders is not None and key_of[spenders.customer_id] in BIG
    assert by_name["Big spenders"].priority is not None
