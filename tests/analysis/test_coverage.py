"""Coverage and hit rate of an audience on a list of known customers, on the six-customer
project with known values: resolution of messy entries, counts that add up, consent, k."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from persona import Project
from persona.analysis.coverage import coverage, ratios
from persona.model.errors import ProjectError
from tests.analysis.test_audiences import audience_project
from tests.conftest import MakeProject
from tests.pipeline.test_tags import AS_OF


def _id_of(project: Project, key: str) -> str:
    rows = project.engine.fetch_all(
        "select customer_id from customers where list_contains(customer_keys, ?)", [key]
    )
    return str(rows[0][0])


def _write_list(root: Path, project: Project) -> Path:
    """C1 by a formatted phone and again by its key, C2 by phone in +86 form, C3 (refused
    marketing) by phone, C4 by customer_id, C5 by key; one empty and one unknown entry."""
    entries = [
        "138-1234-5678",
        "+86 139 0000 1111",
        "13700002222",
        _id_of(project, "C4"),
        " C5 ",
        "C1",
        "",
        "19999999999",
    ]
    path = root / "converters.csv"
    pd.DataFrame({"who": entries, "note": "x"}).to_csv(path, index=False)
    return path


def test_coverage_hit_rate_and_lift(make_project: MakeProject) -> None:
    root = audience_project(make_project)
    with Project.open(root) as project:
        path = _write_list(root, project)
        result = coverage(project, "monetary >= 100", path, column="who")
        rows = result["list"]
        assert rows == {
            "file": str(path),
            "column": "who",
            "received": 8,
            "matched": 5,
            "unmatched": 1,
            "ambiguous": 0,
            "empty": 1,
            "duplicate": 1,
        }
        assert rows["received"] == sum(
            rows[c] for c in ("matched", "unmatched", "empty", "duplicate")
        )
        # The audience is C1 and C5 (C3 refused marketing) out of 5; the list's customers
        # compared are C1, C2, C4, C5 (C3 left out like the audience leaves it out).
        assert (result["audience_size"], result["population"]) == (2, 5)
        assert (result["list_customers"], result["in_both"]) == (4, 2)
        assert result["coverage"] == pytest.approx(2 / 4)
        assert result["hit_rate"] == pytest.approx(2 / 2)
        assert result["lift"] == pytest.approx(1 / (4 / 5))
        assert result["left_out"] == {"marketing_opt_out": 1, "list_marketing_opt_out": 1}

        analytics = coverage(project, "monetary >= 100", path, column="who", include_opted_out=True)
        assert (analytics["audience_size"], analytics["population"]) == (3, 6)
        assert (analytics["list_customers"], analytics["in_both"]) == (5, 3)
        assert analytics["lift"] == pytest.approx((3 / 3) / (5 / 6))

        project.audiences.save("rich", "monetary >= 100")
        named = coverage(project, "rich", path, column="who")
        assert named["audience"] == "rich" and named["expression"] == "monetary >= 100"
        assert named["in_both"] == 2


def test_txt_lists_and_headerless_csv(make_project: MakeProject) -> None:
    root = audience_project(make_project)
    with Project.open(root) as project:
        text_list = root / "list.txt"
        text_list.write_text("C1\n\nC2\n13500004444\nnobody\n", encoding="utf-8")
        result = coverage(project, "monetary >= 100", text_list)
        assert result["list"]["column"] is None
        assert {k: result["list"][k] for k in ("received", "matched", "empty", "unmatched")} == {
            "received": 5,
            "matched": 3,
            "empty": 1,
            "unmatched": 1,
        }
        assert result["in_both"] == 2  # C1 and C5 (by phone)
        # A one-column csv whose first line is a phone has no header: the phone counts.
        headerless = root / "phones.csv"
        headerless.write_text("13812345678\n13900001111\n", encoding="utf-8")
        phones = coverage(project, "monetary >= 100", headerless)
        assert (phones["list"]["received"], phones["list"]["matched"]) == (2, 2)
        # A one-column csv with a header: its only column is used.
        keyed = root / "keys.csv"
        keyed.write_text("客户编号\nC1\nC6\n", encoding="utf-8")
        keys = coverage(project, "monetary >= 100", keyed)
        assert keys["list"]["column"] == "客户编号" and keys["in_both"] == 1


def test_counts_below_k_are_hidden_with_their_ratios(make_project: MakeProject) -> None:
    root = audience_project(make_project, k=3)
    with Project.open(root) as project:
        path = _write_list(root, project)
        result = coverage(project, "monetary >= 100", path, column="who")
        assert result["audience_size"] is None and result["in_both"] is None
        assert result["coverage"] is None and result["hit_rate"] is None and result["lift"] is None
        assert result["list_customers"] == 4 and result["population"] == 5
        assert result["list"]["matched"] == 5  # rows of the user's own file stay exact


def test_ratios() -> None:
    assert ratios(200, 1000, 10000, 50, 10) == {
        "list_customers": 200,
        "audience_size": 1000,
        "population": 10000,
        "in_both": 50,
        "coverage": 0.25,
        "hit_rate": 0.05,
        "lift": 2.5,
    }
    assert ratios(200, 0, 10000, 0, 10)["hit_rate"] is None  # an empty audience
    assert ratios(200, 1000, 10000, 0, 10)["coverage"] == 0.0


def test_list_errors(make_project: MakeProject) -> None:
    root = audience_project(make_project)
    with Project.open(root) as project:
        path = _write_list(root, project)
        with pytest.raises(ProjectError, match="choose one with --column"):
            coverage(project, "monetary >= 100", path)
        with pytest.raises(ProjectError, match="no column 'phone'; its columns: who, note"):
            coverage(project, "monetary >= 100", path, column="phone")
        with pytest.raises(ProjectError, match="does not exist"):
            coverage(project, "monetary >= 100", root / "missing.csv")
        with pytest.raises(ProjectError, match=r"unknown file type '\.pdf'"):
            coverage(project, "monetary >= 100", root / "list.pdf")
        two = root / "two.csv"
        two.write_text("phone,email\n13812345678,a@b.cn\n", encoding="utf-8")
        with pytest.raises(ProjectError, match=r"several columns .*\(phone, email\)"):
            coverage(project, "monetary >= 100", two)


def test_retired_ids_lead_to_the_surviving_customer(make_project: MakeProject) -> None:
    root = audience_project(make_project)
    with Project.open(root) as project:
        old = {key: _id_of(project, key) for key in ("C1", "C5")}
        project.identity.link("C1", "C5")
        project.build(as_of=AS_OF)
        merged = _id_of(project, "C1")
        retired = next(i for i in old.values() if i != merged)
        path = root / "ids.txt"
        path.write_text(f"{retired}\n{merged}\n", encoding="utf-8")
        result = coverage(project, "monetary >= 100", path)
        assert (result["list"]["matched"], result["list"]["duplicate"]) == (1, 1)
        assert result["in_both"] == 1
