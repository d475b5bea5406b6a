"""The public Mall Customers dataset: k-means on income and spending score finds the published
centres, through profiles' extra attributes (tests/data/README.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from persona import Project
from tests.conftest import MakeProject

DATA = Path(__file__).resolve().parent.parent / "data" / "mall_customers.csv"
PUBLISHED = [(55.30, 49.52), (86.54, 82.13), (25.73, 79.36), (88.20, 17.11), (26.30, 20.91)]
"""(annual income k$, spending score) of the five segments in the tutorial."""


def test_the_file_is_the_public_dataset() -> None:
    frame = pd.read_csv(DATA)
    assert frame.columns.tolist() == [
        "CustomerID",
        "Gender",
        "Age",
        "Annual Income (k$)",
        "Spending Score (1-100)",
    ]
    assert len(frame) == 200 and frame["CustomerID"].tolist() == list(range(1, 201))
    assert frame.head(3).values.tolist() == [
        [1, "Male", 19, 15, 39],
        [2, "Male", 21, 15, 81],
        [3, "Female", 20, 16, 6],
    ]


def test_kmeans_finds_the_published_centres(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: mall
          kind: profiles
          path: data/mall_customers.csv
          columns: {customer_key: CustomerID, gender: Gender, age: Age}
        """
    )
    shutil.copy(DATA, root / "data" / "mall_customers.csv")
    with (root / "persona.yaml").open("a", encoding="utf-8") as config:
        config.write(
            "segmentation:\n"
            "  features: [annual_income_k, spending_score_1_100]\n"
            "  method: kmeans\n  k: 5\n  scale: none\n"
        )
    with Project.open(root) as project:
        report = project.build().segments
        segments = project.segments.list()
    assert report is not None and report.segmented == 200 and report.k == 5
    centres = sorted(
        (round(c["annual_income_k"], 2), round(c["spending_score_1_100"], 2))
        for c in segments["centre"]
    )
    assert centres == sorted(PUBLISHED)
    assert sorted(segments["size"]) == [22, 23, 35, 39, 81]
    assert segments["name_en"].is_unique and segments["name_zh"].is_unique
