"""The tags stage: every tag family on a small project with known answers, the catalog,
versions, snapshots and their differences, accuracy, and the demo's planted archetypes."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from persona import Project
from persona.demo import generate_demo
from persona.model.errors import ConfigError
from tests.conftest import MakeProject
from tests.demo.truth import customer_archetypes

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2024, 6, 30, 23, 59, 59, tzinfo=SHANGHAI)

SOURCES = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, phone: phone, birth_date: birth}
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
    "id,phone,birth\n"
    "C1,13812345678,1990-07-01\n"
    "C2,13900001111,2001-01-01\n"
    "C3,13700002222,1960-05-05\n"
    "C4,13600003333,\n"
    "C5,13500004444,1985-03-03\n"
    "C6,13400005555,\n"
)
ORDERS = (
    "order,id,paid_at,amount,discount,category,channel,status\n"
    "O1,C1,2023-12-01 10:00,400,0,books,web,paid\n"  # C1 comes back after 210 days
    "O2,C1,2024-06-28 10:00,300,0,books,app,paid\n"
    "O3,C2,2024-06-20 10:00,80,0,toys,app,paid\n"  # C2's first order: new
    "O4,C3,2024-02-01 10:00,50,5,home,store,paid\n"
    "O5,C3,2024-03-01 10:00,50,0,home,store,paid\n"  # last order 121 days ago: silent
    "O6,C4,2023-10-01 10:00,20,0,home,web,paid\n"  # 273 days ago: churned
    "O7,C5,2024-05-01 10:00,120,20,toys,app,paid\n"
    "O8,C5,2024-06-01 10:00,130,30,toys,app,paid\n"  # active, both discounted
    "O9,C6,2024-06-01 10:00,999,0,toys,app,cancelled\n"  # never bought: prospect
    "O10,C2,2024-07-02 10:00,500,0,toys,app,paid\n"  # after the as-of date
)
EVENTS = "id,event,ts\n" + "".join(
    [f"C1,view,2024-06-{day:02d} 23:10\n" for day in range(10, 22)]  # 12 night views
    + ["C2,view,2024-06-01 10:00\n", "C2,add_to_cart,2024-06-03 09:00\n"]  # within 7 days
    + ["C3,view,2024-06-01 10:00\n", "C3,add_to_cart,2024-06-15 09:00\n"]  # 14 days later
    + ["C4,add_to_cart,2024-06-01 10:00\n", "C4,view,2024-06-02 10:00\n"]  # wrong order
)
TAGS_YAML = """
tags:
  - name: big_spender
    category: transactions
    name_zh: 大额客户
    name_en: Big spender
    rule: monetary >= 500
  - name: spend_band
    kind: binned
    category: transactions
    feature: monetary
    edges: [100, 500]
    labels: [small, medium, large]
  - name: vip_night
    rule: tag('night_owl') and tag('big_spender')
  - name: cart_after_view
    kind: sequence
    first: {event: view}
    then: {event: add_to_cart}
    within_days: 7
"""
TAG_FILE = """
- name: crm_tier
  kind: imported
  category: demographics
  path: data/tiers.csv
  key: member
  value_column: tier
  labelled_sample: data/tier_truth.csv
"""
TIERS = "member,tier\nC1,gold\n+8613900001111,silver\nC99,gold\nC3,\nC5,basic\n"
TIER_TRUTH = "customer,tier\nC1,gold\nC2,gold\nC5,basic\n"


def _project(make_project: MakeProject, tags: str = TAGS_YAML, **files: str) -> Path:
    root = make_project(
        SOURCES,
        {
            "data/crm.csv": CRM,
            "data/orders.csv": ORDERS,
            "data/events.csv": EVENTS,
            "data/tiers.csv": TIERS,
            "data/tier_truth.csv": TIER_TRUTH,
            "tags/crm.yaml": TAG_FILE,
            **files,
        },
    )
    with (root / "persona.yaml").open("a", encoding="utf-8") as config:
        config.write(textwrap.dedent(tags))
    return root


def _tags(project: Project) -> dict[str, dict[str, Any]]:
    frame = project.engine.fetch_df(
        "select c.customer_keys[1] as key, t.* from tags t join customers c using (customer_id)"
    )
    frame = frame.astype(object).where(frame.notna(), None)
    return {row.pop("key"): row for row in frame.to_dict("records")}


@pytest.fixture
def built(make_project: MakeProject) -> Path:
    root = _project(make_project)
    with Project.open(root) as project:
        project.build(as_of=AS_OF)
    return root


def test_every_family_gives_the_expected_values(built: Path) -> None:
    with Project.open(built) as project:
        tags = _tags(project)
    lifecycle = {key: row["lifecycle"] for key, row in tags.items()}
    assert lifecycle == {
        "C1": "returning",
        "C2": "new",
        "C3": "silent",
        "C4": "churned",
        "C5": "active",
        "C6": "prospect",
    }
    assert [k for k, r in tags.items() if r["night_owl"]] == ["C1"]
    assert [k for k, r in tags.items() if r["big_spender"]] == ["C1"]
    assert [k for k, r in tags.items() if r["vip_night"]] == ["C1"]  # a tag of tags
    assert [k for k, r in tags.items() if r["price_sensitive"]] == ["C5"]
    assert {k: r["spend_band"] for k, r in tags.items()} == {
        "C1": "large",  # 700
        "C2": "small",  # 80 (the July order is after the as-of date)
        "C3": "medium",  # 100: fixed intervals include their lower edge
        "C4": "small",
        "C5": "medium",
        "C6": "small",  # no paid order: monetary 0
    }
    assert [k for k, r in tags.items() if r["cart_after_view"]] == ["C2"]
    assert {k: r["crm_tier"] for k, r in tags.items() if r["crm_tier"]} == {
        "C1": "gold",
        "C2": "silver",  # matched by the phone as the clean stage stores it
        "C5": "basic",
    }
    assert tags["C1"]["favourite_category"] == "books"
    assert tags["C1"]["first_purchase_channel"] == "web"
    assert tags["C1"]["active_time"] == "night"
    assert tags["C2"]["latest_event"] == "add_to_cart"
    assert tags["C1"]["age_band"] == "25_34" and tags["C3"]["age_band"] == "55_64"
    assert tags["C6"]["rfm_r"] is None and tags["C6"]["rfm_class"] is None


def test_rfm_scores_and_classes_follow_the_buyers_quintiles_and_means(built: Path) -> None:
    with Project.open(built) as project:
        frame = project.engine.fetch_df(
            "select f.recency_days, f.frequency, f.monetary, t.rfm_r, t.rfm_f, t.rfm_m, "
            "t.rfm_class from features f join tags t using (customer_id)"
        )
    _check_rfm(frame, bins=5)


def _check_rfm(frame: pd.DataFrame, bins: int) -> None:
    """RFM scores and classes recomputed independently with numpy.

    Profiling refusers (when the frame has ``consent_profiling``) keep only basic tags: their
    RFM tags are null, though the bins are fitted on every buyer.
    """
    refused = pd.Series(False, index=frame.index)
    if "consent_profiling" in frame:
        refused = frame["consent_profiling"].eq(False).fillna(False).astype(bool)
    assert frame.loc[refused, ["rfm_r", "rfm_class"]].isna().all().all()
    buyers = frame[frame["frequency"] > 0]
    kept = ~refused[buyers.index].to_numpy()
    assert frame.loc[frame["frequency"] == 0, ["rfm_r", "rfm_class"]].isna().all().all()
    for part, column in (("r", "recency_days"), ("f", "frequency"), ("m", "monetary")):
        values = buyers[column].astype(float).to_numpy()
        edges = np.quantile(values, [k / bins for k in range(1, bins)])
        above = (values[:, None] > edges[None, :]).sum(axis=1)
        expected = bins - above if part == "r" else 1 + above
        scores = buyers.loc[kept, f"rfm_{part}"].astype(int).tolist()
        assert scores == expected[kept].tolist(), part
    recent = buyers["recency_days"] < buyers["recency_days"].mean()
    frequent = buyers["frequency"] > buyers["frequency"].mean()
    spends = buyers["monetary"] > buyers["monetary"].mean()
    names = {
        (True, True, True): "important_value",
        (True, False, True): "important_development",
        (False, True, True): "important_retention",
        (False, False, True): "important_recovery",
        (True, True, False): "general_value",
        (True, False, False): "general_development",
        (False, True, False): "general_retention",
        (False, False, False): "general_recovery",
    }
    expected_class = [
        names[(bool(r), bool(f), bool(m))] for r, f, m in zip(recent, frequent, spends, strict=True)
    ]
    assert buyers.loc[kept, "rfm_class"].tolist() == [
        name for name, k in zip(expected_class, kept, strict=True) if k
    ]


def test_catalog_lists_shows_and_covers_every_tag(built: Path) -> None:
    with Project.open(built) as project:
        catalog = project.tags.catalog("zh")
        shown = project.tags.show("big_spender", "zh")
        coverage = project.tags.coverage().set_index("tag")
    listed = catalog.set_index("tag")
    assert {"rfm_class", "lifecycle", "night_owl", "crm_tier", "cart_after_view"} <= set(
        listed.index
    )
    assert listed.loc["rfm_class", "category_name"] == "交易"
    assert listed.loc["crm_tier", "defined_in"] == "tags/crm.yaml line 2"
    assert listed.loc["big_spender", "defined_in"].startswith("persona.yaml line ")
    assert listed.loc["lifecycle", "defined_in"] == "built-in"
    assert shown["name_zh"] == "大额客户" and shown["version"] == 1
    assert shown["uses"] == ["monetary"] and shown["type"] == "boolean"
    assert {v["value"]: v["count"] for v in shown["values"]} == {"false": 5, "true": 1}
    assert coverage.loc["big_spender", "covered"] == 1
    assert coverage.loc["crm_tier", "coverage"] == pytest.approx(3 / 6, abs=1e-4)
    assert coverage.loc["crm_tier", "null_share"] == pytest.approx(3 / 6, abs=1e-4)
    assert project_uses(built, "vip_night") == ["tag:night_owl", "tag:big_spender"]


def project_uses(root: Path, name: str) -> list[str]:
    with Project.open(root) as project:
        return list(project.tags.show(name)["uses"])


def test_accuracy_against_a_labelled_sample(built: Path) -> None:
    with Project.open(built) as project:
        result = project.tags.show("crm_tier")["accuracy"]
    assert result["sample"] == {"received": 3, "matched": 3, "unmatched": 0, "empty": 0}
    values = {v["value"]: v for v in result["values"]}
    assert values["gold"]["precision"] == 1.0 and values["gold"]["recall"] == 0.5
    assert values["silver"]["precision"] == 0.0 and values["silver"]["recall"] is None
    assert values["basic"]["precision"] == 1.0 and values["basic"]["recall"] == 1.0
    assert result["accuracy"] == pytest.approx(2 / 3, abs=1e-4)


def test_imported_rows_add_up(built: Path) -> None:
    with Project.open(built) as project:
        report = project.tags.run()
    counts = report.imported["crm_tier"]
    assert (counts.received, counts.matched, counts.unmatched, counts.empty) == (5, 3, 1, 1)
    assert counts.received == counts.matched + counts.unmatched + counts.empty


def test_versions_count_up_when_a_definition_changes(built: Path) -> None:
    config = built / "persona.yaml"
    with Project.open(built) as project:
        project.tags.run()
        assert project.tags.show("big_spender")["version"] == 1
    config.write_text(config.read_text().replace("monetary >= 500", "monetary >= 100"))
    with Project.open(built) as project:
        project.tags.run()
        shown = project.tags.show("big_spender")
        assert shown["version"] == 2 and shown["updated_at"] > shown["created_at"]
        assert {"value": "true", "count": 3, "share": 0.5, "name": "是"} in shown["values"]
        assert project.tags.show("night_owl")["version"] == 1


def test_snapshots_diff_and_retention(built: Path) -> None:
    extra = "O11,C3,2024-06-29 10:00,900,0,home,app,paid\n"
    with (built / "data" / "orders2.csv").open("w") as more:
        more.write(ORDERS.splitlines()[0] + "\n" + extra)
    config = built / "persona.yaml"
    config.write_text(
        config.read_text().replace("path: data/orders.csv", "path: data/orders*.csv")
        + "tagging: {retention: 2}\n"
    )
    with Project.open(built) as project:
        second = project.build(as_of=AS_OF)
        diff = project.tags.diff("previous", "latest")
        assert [s["snapshot_id"] for s in project.tags.snapshots()] == [2, 1]
        project.build(as_of=AS_OF)
        assert [s["snapshot_id"] for s in project.tags.snapshots()] == [3, 2]
        assert not project.engine.table_exists("snapshot_1")
        with pytest.raises(Exception, match="no snapshot '1'; kept snapshots: 2, 3"):
            project.tags.diff("1", "latest")
    assert second.snapshot_id == 2
    changes = {t["tag"]: t for t in diff["tags"]}
    assert changes["lifecycle"]["changed"] == 1
    assert changes["lifecycle"]["transitions"] == [{"from": "silent", "to": "active", "count": 1}]
    assert changes["big_spender"]["transitions"] == [{"from": "false", "to": "true", "count": 1}]
    assert changes["night_owl"]["changed"] == 0
    assert diff["only_in_from"] == diff["only_in_to"] == 0


def test_profile_and_export_carry_the_tags(built: Path, tmp_path: Path) -> None:
    with Project.open(built) as project:
        profile = project.profile("C1")
        written = project.export_customers(tmp_path / "customers.csv")
    assert profile["tags"]["lifecycle"] == "returning" and profile["tags"]["night_owl"] is True
    frame = pd.read_csv(tmp_path / "customers.csv", dtype=str)
    assert written == 6 and {"monetary", "rfm_class", "crm_tier", "night_owl"} <= set(frame)
    assert frame.set_index("customer_key").loc["C1", "lifecycle"] == "returning"


@pytest.mark.parametrize(
    ("tags", "files", "messages"),
    [
        (
            "tags:\n  - name: bad\n    rule: monetray > 1\n",
            {},
            ["persona.yaml line 17: tag 'bad'", "did you mean 'monetary'?"],
        ),
        (
            "tags:\n  - name: loop_a\n    rule: tag('loop_b')\n"
            "  - name: loop_b\n    rule: tag('loop_a')\n",
            {},
            ["tags use each other in a circle: loop_a -> loop_b -> loop_a"],
        ),
        (
            "tags:\n  - name: crm_tier\n    rule: frequency > 1\n",
            {},
            ["tag 'crm_tier' is defined twice (also at persona.yaml line 17)"],
        ),
        (
            "tags:\n  - name: odd\n    kind: binned\n    feature: monetary\n    quantile: 4\n",
            {},
            ["line 20, tags[0].quantile: unknown key 'quantile'; did you mean 'quantiles'?"],
        ),
        (
            "",
            {"tags/more.yaml": "- name: x\n  rule: frequency > 1\n  categroy: social\n"},
            ["tags/more.yaml has 1 problem", "line 3, [0].categroy: unknown key 'categroy'"],
        ),
        (
            "tags:\n  - name: psy\n    kind: psychographic\n    dimension: price\n"
            "  - name: weird\n    category: money\n    rule: frequency > 1\n",
            {},
            [
                "unknown category 'money'",
                "unknown survey dimension 'price'",
            ],
        ),
    ],
)
def test_bad_definitions_are_reported_all_at_once(
    make_project: MakeProject, tags: str, files: dict[str, str], messages: list[str]
) -> None:
    root = _project(make_project, tags=tags, **files)
    with pytest.raises(ConfigError) as raised, Project.open(root) as project:
        project.build(as_of=AS_OF)
    for message in messages:
        assert message in str(raised.value)


# -- the demo: the built-in tags find the planted archetypes ------------------------------


@pytest.fixture(scope="module")
def demo_tags(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    root = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(root, customers=2000, seed=7, lang="zh")
    with Project.open(root) as project:
        project.build()
        archetype = customer_archetypes(project)
        tags = project.engine.fetch_df(
            "select t.*, f.recency_days, f.frequency, f.monetary, c.consent_profiling "
            "from tags t join features f using (customer_id) join customers c using (customer_id)"
        )
    return tags.merge(archetype, left_on="customer_id", right_index=True)


def test_demo_night_tag_finds_the_night_owls(demo_tags: pd.DataFrame) -> None:
    tagged = demo_tags[demo_tags["night_owl"]]
    planted = demo_tags["archetype"] == "night_owl_high_wtp"
    precision = (tagged["archetype"] == "night_owl_high_wtp").mean()
    recall = demo_tags.loc[planted, "night_owl"].mean()
    assert precision >= 0.9 and recall >= 0.7, (precision, recall)


def test_demo_tags_match_the_other_archetypes(demo_tags: pd.DataFrame) -> None:
    by_archetype = demo_tags.groupby("archetype")
    assert by_archetype["price_sensitive"].mean().idxmax() == "price_sensitive"
    lifecycle = by_archetype["lifecycle"].agg(lambda s: s.mode()[0])
    assert lifecycle["newcomer"] == "new" and lifecycle["churn_risk"] == "silent"
    classes = by_archetype["rfm_class"].agg(lambda s: s.mode()[0])
    assert classes["high_value_active"] == "important_value"
    _check_rfm(demo_tags, bins=5)
