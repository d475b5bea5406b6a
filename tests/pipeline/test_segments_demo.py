"""The demo's planted archetypes come back as segments, each under its matching name."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from persona import Project
from persona.demo import generate_demo
from tests.demo.truth import customer_archetypes

MATCHING = {
    "high_value_active": ("高价值活跃", "High-value active"),
    "price_sensitive": ("价格敏感", "Price-sensitive"),
    "churn_risk": ("潜在流失", "At risk"),
    "night_owl_high_wtp": ("夜间活跃", "Night owls"),
    "newcomer": ("新客", "Newcomers"),
    "young_parent": ("年轻父母", "Young parents"),
}
"""Archetype -> the name (zh, en) its majority segment must carry."""


@pytest.fixture(scope="module")
def demo_segments(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Every segmented customer of the default demo with the one archetype it was made of."""
    root = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(root, customers=2000, seed=7, lang="zh")
    with Project.open(root) as project:
        project.build()
        archetype = customer_archetypes(project)
        segments = project.engine.fetch_df(
            "select m.customer_id, m.segment_id, s.name_zh, s.name_en from segment_members m "
            "join segments s using (segment_id)"
        )
    return segments.merge(archetype, left_on="customer_id", right_index=True)


@pytest.mark.slow
def test_segments_recover_the_archetypes(demo_segments: pd.DataFrame) -> None:
    ari = adjusted_rand_score(demo_segments["archetype"], demo_segments["segment_id"])
    assert ari >= 0.75, ari
    assert demo_segments["archetype"].nunique() == 6 and len(demo_segments) > 1800


@pytest.mark.slow
def test_each_archetype_majority_segment_has_its_name(demo_segments: pd.DataFrame) -> None:
    majority = demo_segments.groupby("archetype")[["name_zh", "name_en"]].agg(
        lambda names: names.mode()[0]
    )
    got = {a: (row.name_zh, row.name_en) for a, row in majority.iterrows()}
    assert got == MATCHING
