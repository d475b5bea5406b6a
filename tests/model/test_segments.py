"""Segment names: the vocabulary's traits, the assignment that keeps names unique, fallbacks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from persona.model.segments import (
    NAMES,
    TRAIT_WORDS,
    SegmentProfile,
    Stat,
    choose_names,
    share_z,
)


def profile(size: int = 100, categories: dict | None = None, **zs: float) -> SegmentProfile:
    """A profile with the given z per feature (values: 1 + z, population 1)."""
    numbers = {f: Stat(f, 1 + z, 1.0, z) for f, z in zs.items()}
    return SegmentProfile(size, numbers, categories or {})


def test_vocabulary_names_come_from_their_traits() -> None:
    profiles = [
        profile(night_share=2.4),
        profile(discount_share=1.2, avg_discount=1.5),
        profile(days_since_last_event=1.5, recency_days=1.4, active_30d=-1.6),
        profile(monetary=1.3, active_days_30d=0.9),
    ]
    names = [n.en for n in choose_names(profiles)]
    assert names == ["Night owls", "Price-sensitive", "At risk", "High-value active"]
    at_risk = choose_names(profiles)[2]
    assert [s.feature for s in at_risk.stats] == ["days_since_last_event", "active_30d"]


def test_bounds_decide_as_well_as_z() -> None:
    recent = SegmentProfile(50, {"tenure_days": Stat("tenure_days", 40.0, 900.0, -1.5)})
    long_ago = SegmentProfile(50, {"tenure_days": Stat("tenure_days", 400.0, 900.0, -1.5)})
    assert choose_names([recent])[0].key == "newcomers"
    assert choose_names([long_ago])[0].key != "newcomers"  # a year on average is not new


def test_family_categories_and_age_make_young_parents() -> None:
    categories = {"top_category": {"母婴": (0.6, 0.1), "童装": (0.2, 0.05), "图书": (0.1, 0.3)}}
    young = SegmentProfile(80, {"age": Stat("age", 31.0, 38.0, -0.6)}, categories)
    older = SegmentProfile(80, {"age": Stat("age", 52.0, 38.0, 1.2)}, categories)
    assert choose_names([young])[0].zh == "年轻父母"
    assert choose_names([older])[0].en == "Families"
    stat = choose_names([young])[0].stats[0]
    assert stat.feature == "top_category=母婴|童装" and stat.value == 0.8
    assert stat.z == share_z(0.8, 0.15)


def test_no_two_segments_share_a_name() -> None:
    twins = [profile(night_share=2.5), profile(night_share=2.0, weekend_share=1.2)]
    names = choose_names(twins)
    assert [n.en for n in names] == ["Night owls", "Weekend shoppers"]  # best total score
    triplets = [profile(night_share=z) for z in (2.5, 2.0, 1.5)]
    named = choose_names(triplets)
    assert named[0].en == "Night owls"
    assert len({n.en for n in named}) == 3 and len({n.zh for n in named}) == 3


def test_combined_and_fallback_names() -> None:
    frequent_weekend = profile(frequency=1.0, weekend_share=0.9)
    coffee = SegmentProfile(
        60, {}, {"top_category": {"咖啡": (0.7, 0.1)}, "top_channel": {"app": (0.5, 0.5)}}
    )
    plain, plain_too = profile(monetary=0.1), profile(age=-0.2)
    names = choose_names([frequent_weekend, coffee, plain, plain_too])
    assert (names[0].zh, names[0].en) == ("高频·周末活跃", "Frequent · weekend")
    assert (names[1].zh, names[1].en) == ("偏好咖啡", "咖啡 lovers")
    assert (names[2].zh, names[2].en) == ("大众客户", "Mainstream")
    assert (names[3].zh, names[3].en) == ("客群4", "Segment 4")


def test_unknown_features_lend_labelled_words() -> None:
    income = profile(annual_income_k=1.8, spending_score=-1.2)
    labels = {"annual_income_k": ("年收入", "income"), "spending_score": ("消费分", "spending")}
    named = choose_names([income], labels=labels)[0]
    assert (named.zh, named.en) == ("年收入高·消费分低", "High income · low spending")
    assert choose_names([income])[0].key == "mainstream"  # without labels: no words


def test_every_name_and_word_exists_in_both_languages() -> None:
    for name in NAMES:
        assert name.zh and name.en and name.traits
    for zh, en in TRAIT_WORDS.values():
        assert zh and en
    assert len({n.key for n in NAMES}) == len(NAMES)
    assert len({n.zh for n in NAMES}) == len({n.en for n in NAMES}) == len(NAMES)


FEATURES = ["night_share", "monetary", "frequency", "tenure_days", "discount_share", "age"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({f: st.floats(-3, 3, allow_nan=False) for f in FEATURES}),
        min_size=1,
        max_size=12,
    )
)
def test_names_are_always_unique(zs: list[dict[str, float]]) -> None:
    names = choose_names([profile(**z) for z in zs])
    assert len(names) == len(zs)
    assert len({n.zh for n in names}) == len(zs) and len({n.en for n in names}) == len(zs)
