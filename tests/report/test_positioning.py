"""Positioning rules: conditions on the facts, the strongest first, fallbacks, documentation."""

from __future__ import annotations

from pathlib import Path

from persona.report.positioning import RULES, Facts, suggest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "report.md"


def test_every_rule_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule in RULES:
        assert f"`{rule.key}`" in text, rule.key
    assert len({r.key for r in RULES}) == len(RULES)


def test_a_segment_with_nothing_special_gets_fallbacks_and_reach() -> None:
    facts = Facts(
        metrics={"avg_order_value": (100.0, 100.0), "discount_share": (0.3, 0.3)},
        category="母婴",
        channel=("小程序", 0.6),
        time=("晚间", 0.4),
    )
    suggestions = suggest(facts, "zh")
    assert [(s.aspect, s.rule) for s in suggestions] == [
        ("value_proposition", "fallback"),
        ("tone", "fallback"),
        ("channel", "top_channel"),
        ("time", "top_time"),
    ]
    assert suggestions[0].text == "可靠的日常之选：把母婴做好、做稳定"
    assert suggestions[0].because == "没有规则触发"
    assert suggestions[2].because == "60% 的人最常用小程序"


def test_strongest_rules_first_and_limits() -> None:
    facts = Facts(
        metrics={
            "recency_days": (90.0, 30.0),  # 3x: win back, by far
            "discount_share": (0.6, 0.4),  # 1.5x
            "frequency": (1.0, 2.0),
            "night_share": (0.5, 0.2),
        },
        survey={"price_consciousness": (4.5, 3.0)},  # +1.5: 3x the threshold
        category="零食",
        keywords={"pain_points": [("运费", 0.4, 2.0), ("太贵", 0.5, 1.1)]},
    )
    suggestions = suggest(facts, "en", currency="$")
    props = [s.rule for s in suggestions if s.aspect == "value_proposition"]
    assert props == ["value_for_money", "win_back"]  # survey margin 3.0 beats recency 2.0
    value = next(s for s in suggestions if s.rule == "value_for_money")
    assert value.because == "Survey price consciousness 4.5 (average 3.0)"
    ideas = [s for s in suggestions if s.aspect == "product"]
    assert len(ideas) == 3
    assert ideas[0].text == 'Fix the pain of "运费"'  # 太贵 is not over-represented
    assert ideas[0].because == "In 40% of their answers, 2.0x the average"
    assert {i.rule for i in ideas[1:]} <= {"idea_win_back", "idea_member_price", "idea_night_sale"}
    time = next(s for s in suggestions if s.aspect == "time")
    assert time.rule == "night" and time.text == "From 22:00 to 01:00"
    assert time.because == "Events at night 50%, 2.5x the average"
