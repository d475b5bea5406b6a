"""Audiences on a small project with known answers: counts, consent, k, preview, overlap,
saved audiences and their history, and the errors a user meets."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona import Project
from persona.model.errors import ProjectError, UnknownReferenceError
from persona.model.expression import ExpressionError
from tests.conftest import MakeProject
from tests.pipeline.test_tags import AS_OF, EVENTS, ORDERS

SOURCES = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, phone: phone, name: name, city: city, gender: gender,
            consent_marketing: marketing}
- name: orders
  kind: transactions
  path: data/orders.csv
  columns: {order_id: order, customer_key: id, timestamp: paid_at, amount: amount,
            discount: discount, category: category, channel: channel, status: status}
- name: events
  kind: events
  path: data/events.csv
  columns: {customer_key: id, event: event, timestamp: ts}
"""
CRM = (
    "id,phone,name,city,gender,marketing\n"
    "C1,13812345678,张伟,上海,male,yes\n"
    "C2,13900001111,李娜,上海,female,yes\n"
    "C3,13700002222,王芳,北京,female,no\n"  # refused marketing
    "C4,13600003333,刘洋,北京,male,\n"  # consent unknown: kept
    "C5,13500004444,陈静,深圳,female,yes\n"
    "C6,13400005555,杨磊,,,yes\n"
)
# Known from tests/pipeline/test_tags.py: monetary C1 700, C2 80, C3 100, C4 20, C5 250, C6 0;
# lifecycle C1 returning, C2 new, C3 silent, C4 churned, C5 active, C6 prospect.


def audience_project(make_project: MakeProject, k: int = 1) -> Path:
    """Build the six-customer project as of AS_OF with `privacy.k` = k."""
    files = {"data/crm.csv": CRM, "data/orders.csv": ORDERS, "data/events.csv": EVENTS}
    root = make_project(SOURCES, files)
    with (root / "persona.yaml").open("a", encoding="utf-8") as config:
        config.write(f"privacy:\n  k: {k}\n")
    with Project.open(root) as project:
        project.build(as_of=AS_OF)
    return root


@pytest.fixture
def built(make_project: MakeProject) -> Path:
    return audience_project(make_project)


def test_counts_features_tags_attributes_and_dates(built: Path) -> None:
    with Project.open(built) as project:
        count = project.audiences.count
        rich = count("monetary >= 100")
        assert (rich["count"], rich["population"]) == (2, 5)  # C1, C5; C3 refused marketing
        assert rich["left_out"] == {"marketing_opt_out": 1}
        assert rich["share"] == pytest.approx(2 / 5)
        assert count("monetary >= 100", include_opted_out=True)["count"] == 3
        assert count("monetary >= 100", include_opted_out=True)["left_out"] == {
            "marketing_opt_out": 0
        }
        assert count("tag('night_owl') and city = '上海'")["count"] == 1  # C1
        assert count("lifecycle in ('new', 'active')")["count"] == 2  # C2, C5
        assert count("price_sensitive and not tag('night_owl')")["count"] == 1  # C5
        # days_since counts to the features' as-of date: C1 2, C2 10, C5 29 days.
        assert count("days_since(last_order_at) between 0 and 30")["count"] == 3
        assert count("consent_marketing is null")["count"] == 1  # C4 is kept
        assert count("city is null or gender = 'female'")["count"] == 3  # C2, C5, C6
        breakdown = count("monetary >= 0")["breakdown"]
        assert set(breakdown) == {"city", "gender", "lifecycle"}  # no segments: too few
        cities = {c["value"]: c["count"] for c in breakdown["city"]}
        assert cities == {"上海": 2, "北京": 1, "深圳": 1, None: 1}


def test_small_groups_are_suppressed(make_project: MakeProject) -> None:
    root = audience_project(make_project, k=2)
    with Project.open(root) as project:
        small = project.audiences.count("monetary >= 200")  # C1, C5
        assert small["count"] == 2 and small["left_out"] == {"marketing_opt_out": 0}
        assert all(
            cell["count"] is None or cell["count"] >= 2
            for cells in small["breakdown"].values()
            for cell in cells
        )
        assert {"value": None, "other": True, "count": 2, "share": 1.0, "suppressed": False} in (
            small["breakdown"]["city"]
        )  # 上海 1 and 深圳 1 pooled
        tiny = project.audiences.count("monetary >= 300")  # C1 alone
        assert tiny["count"] is None and tiny["below_k"] and tiny["share"] is None
        assert tiny["breakdown"] == {}
        left = project.audiences.count("monetary >= 100")
        assert left["left_out"] == {"marketing_opt_out": None}  # one refusal: below k
        regions = project.audiences.overlap("monetary >= 100", "gender = 'female'")["regions"]
        # A = C1 C5, B = C2 C5 (C3 refused): one customer in each region
        assert {r["region"]: r["count"] for r in regions} == {"A": None, "B": None, "A&B": None}
        assert all(r["suppressed"] == (r["count"] is None) for r in regions)


def test_preview_masks_identifiers_and_leaves_out_refusals(built: Path) -> None:
    with Project.open(built) as project:
        frame = project.audiences.preview("monetary >= 100", rows=5)
        assert sorted(frame["customer_key"]) == ["C1", "C5"]
        row = frame.set_index("customer_key").loc["C1"]
        assert row["name"] == "张*" and row["phone"] == "138****5678"
        assert {"customer_id", "city", "lifecycle", "monetary"} <= set(frame.columns)
        everyone = project.audiences.preview("monetary >= 100", include_opted_out=True)
        assert sorted(everyone["customer_key"]) == ["C1", "C3", "C5"]
        first = project.audiences.preview("monetary >= 0", rows=3, seed=1)
        again = project.audiences.preview("monetary >= 0", rows=3, seed=1)
        assert list(first["customer_id"]) == list(again["customer_id"]) and len(first) == 3


def test_overlap_counts_every_region(built: Path) -> None:
    with Project.open(built) as project:
        result = project.audiences.overlap(
            "monetary >= 100", "gender = 'female'", "city = '上海'", include_opted_out=True
        )
    regions = {r["region"]: r["count"] for r in result["regions"]}
    # A = C1 C3 C5, B = C2 C3 C5, C = C1 C2
    assert regions == {"A": 0, "B": 0, "C": 0, "A&B": 2, "A&C": 1, "B&C": 1, "A&B&C": 0}
    assert result["audiences"]["C"] == "city = '上海'"


def test_saved_audiences_keep_versions_and_sizes(built: Path) -> None:
    with Project.open(built) as project:
        audiences = project.audiences
        first = audiences.save("rich", "monetary >= 100")
        assert first["version"] == 1 and first["history"][-1]["size"] == 2
        assert audiences.save("rich", "monetary >= 100")["version"] == 1  # unchanged
        changed = audiences.save("rich", "monetary >= 200")
        assert changed["version"] == 2
        assert [v["expression"] for v in changed["versions"]] == [
            "monetary >= 100",
            "monetary >= 200",
        ]
        audiences.save("shanghai", "city = '上海'")
        assert [r["name"] for r in audiences.refresh()] == ["rich", "shanghai"]
        shown = audiences.show("rich")
        assert [h["size"] for h in shown["history"]] == [2, 2, 2, 2]
        assert shown["history"][-1]["snapshot_id"] == 1
        listing = audiences.list()
        assert list(listing["name"]) == ["rich", "shanghai"]
        assert list(listing["size"]) == [2, 2]
        with pytest.raises(UnknownReferenceError, match="did you mean 'rich'"):
            audiences.show("ricj")
        with pytest.raises(ExpressionError, match="monetary"):
            audiences.save("broken", "monetray > 1")
        assert "broken" not in list(audiences.list()["name"])
        with pytest.raises(ProjectError, match="not allowed"):
            audiences.save("bad name;", "monetary > 1")
    with Project.open(built) as reopened:  # saved in the store
        assert reopened.audiences.show("shanghai")["version"] == 1


def test_errors_name_the_problem(built: Path) -> None:
    with Project.open(built) as project:
        with pytest.raises(ExpressionError, match="did you mean 'monetary'") as error:
            project.audiences.count("monetry > 100")
        assert error.value.position == 0
        with pytest.raises(ExpressionError, match="';' is not allowed"):
            project.audiences.count("monetary > 1; drop table customers")
        with pytest.raises(ExpressionError, match="double quotes are not allowed"):
            project.audiences.count('"customers" is not null')
        with pytest.raises(ExpressionError, match="unknown column 'name'"):
            project.audiences.count("name = '张伟'")  # a direct identifier is not selectable
        with pytest.raises(ExpressionError, match="not a yes/no tag"):
            project.audiences.count("tag('lifecycle')")
        with pytest.raises(ProjectError, match="2 or 3"):
            project.audiences.overlap("monetary > 1")
        assert project.engine.table_exists("customers")


def test_before_a_build_the_user_is_told_to_build(make_project: MakeProject) -> None:
    root = make_project(SOURCES, {"data/crm.csv": CRM})
    with Project.open(root) as project, pytest.raises(ProjectError, match="persona build"):
        project.audiences.count("monetary > 1")


def test_select_into_writes_the_selected_customers(built: Path) -> None:
    with Project.open(built) as project:
        totals = project.audiences.select_into("monetary >= 100", "picked")
        assert totals == {"count": 2, "population": 5, "opted_out": 1}
        keys = project.engine.fetch_all(
            "select c.customer_keys[1] from picked p join customers c using (customer_id) "
            "order by 1"
        )
        assert keys == [("C1",), ("C5",)]  # C3 refused marketing
        project.audiences.select_into("monetary >= 100", "picked", include_opted_out=True)
        assert project.engine.fetch_all("select count(*) from picked") == [(3,)]
        project.audiences.select_into("monetary > 1e9", "none")
        assert project.engine.fetch_all("select count(*) from none") == [(0,)]


def test_counts_run_on_a_derived_file_that_forget_can_delete(built: Path) -> None:
    with Project.open(built) as project:
        assert project.audiences.count("monetary >= 100")["count"] == 2
        assert project.audiences.path.exists()
        assert not project.engine.table_exists("audience_base")  # not in the store itself
        project.audiences.invalidate()
        assert not project.audiences.path.exists()
        assert project.audiences.count("monetary >= 100")["count"] == 2  # made again
    with Project.open(built) as project:  # a new process reuses the file
        made = project.audiences.path.stat().st_mtime_ns
        assert project.audiences.count("city = '上海'")["count"] == 2
        assert project.audiences.path.stat().st_mtime_ns == made


def test_text_comparisons_count_like_text(built: Path) -> None:
    """Text is compared through integer codes; values the column lacks still order right."""
    with Project.open(built) as project:
        count = project.audiences.raw_count
        assert count("city = '广州'")["count"] == 0
        assert count("city != '广州'")["count"] == 4  # C6 has no city; C3 refused
        assert count("city < '北京'")["count"] == 2  # 上海 < 北京 in code points
        assert count("'北京' > city")["count"] == 2
        assert count("city between '上' and '北'")["count"] == 2
        assert count("city in ('广州', '深圳')")["count"] == 1
        assert count("city not in ('广州')")["count"] == 4
        assert count("city like '上%'")["count"] == 2
        assert count("lower(gender) = 'female'")["count"] == 2
