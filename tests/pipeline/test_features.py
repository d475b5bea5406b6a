"""The features stage on a small project with known answers, and on the demo's archetypes."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from persona import Project
from persona.demo import generate_demo
from persona.pipeline.features import feature_catalog, run_features
from persona.pipeline.features.social import pagerank
from tests.conftest import MakeProject

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2024, 6, 30, 23, 59, 59, tzinfo=SHANGHAI)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "features.md"

SOURCES = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, name: name, phone: phone, birth_date: birth, gender: gender,
            city: city, registered_at: registered}
- name: orders
  kind: transactions
  path: data/orders.csv
  columns: {order_id: order, customer_key: id, phone: phone, timestamp: paid_at,
            category: category, amount: amount, discount: discount, channel: channel,
            payment_method: pay, status: status}
- name: events
  kind: events
  path: data/events.csv
  columns: {customer_key: id, device_id: device, event: event, timestamp: ts,
            session_id: session, channel: channel}
- name: survey
  kind: surveys
  path: data/survey.csv
  question_bank: data/questions.csv
  columns: {customer_key: id, question_id: q, answer: answer, answered_at: at}
- name: relations
  kind: relations
  path: data/relations.csv
  columns: {src_customer_key: src, dst_customer_key: dst, dst_phone: dst_phone,
            relation: relation, weight: weight, since: since}
"""
CRM = (
    "id,name,phone,birth,gender,city,registered\n"
    "C1,张伟,13812345678,1990-07-01,男,北京,2023-01-15 10:00\n"
    "C2,李娜,13900001111,1990-06-30,女,上海,2024-06-01 09:00\n"
    "C3,王芳,13700002222,,女,成都,2024-08-01 09:00\n"  # registered after the as-of date
    "C4,赵敏,13600003333,,,深圳,\n"
    "C5,陈静,13500004444,,,,\n"
    "C6,刘洋,13400005555,,,,\n"
)
ORDERS = (
    "order,id,phone,paid_at,category,amount,discount,channel,pay,status,coupon_used\n"
    "O1,C1,,2024-06-28 10:00,apparel,100,0,app,alipay,paid,false\n"
    "O2,C1,,2024-06-10 10:00,apparel,200,20,app,wechat,paid,false\n"
    "O2,C1,,2024-06-10 10:00,books,50,0,app,wechat,paid,false\n"  # a second line of O2
    "O3,C1,,2024-05-01 10:00,books,80,0,web,wechat,refunded,false\n"
    "O4,C1,,2024-04-01 10:00,apparel,60,0,store,cash,cancelled,false\n"
    "O5,C1,,2024-03-01 10:00,apparel,300,0,web,wechat,Paid,true\n"  # a coupon, no discount
    "R1,C1,,2024-06-20 10:00,apparel,-50,,app,wechat,paid,\n"  # a refund line
    "O6,C1,,2024-07-05 10:00,apparel,999,0,app,wechat,paid,false\n"  # after the as-of date
    "O7,,139-0000-1111,2024-06-29 21:00,books,88,0,store,cash,paid,false\n"  # C2 by phone
    "O8,C4,13600003333,2024-06-15 12:00,home,40,0,app,alipay,paid,false\n"
)
EVENTS = (
    "id,device,event,ts,session,channel\n"
    "C2,,View,2024-06-29T15:30:00Z,s1,app\n"  # 23:30 Saturday in Shanghai: night
    "C2,,SEARCH,2024-06-29T18:30:00+00:00,s1,app\n"  # 02:30 Sunday: not night
    "C2,,add_to_cart,2024-06-28 01:30,s2,web\n"  # no zone: project time, night
    "C2,,login,2024-06-27T06:00:00+02:00,s3,app\n"  # 12:00 Thursday
    "C2,,view,2024-06-26 22:00,,app\n"  # 22:00 Wednesday: night starts
    "C2,,view,2024-07-01T00:30:00+08:00,s4,app\n"  # after the as-of time
    ",d-anon,view,2024-06-29 12:00,s9,web\n"  # an anonymous device: no customer
)
QUESTIONS = (
    "question_id,text,type,dimension\n"
    "Q1,买东西前我会比价,likert,price_consciousness\n"
    "Q2,有优惠我才下单,likert,price_consciousness\n"
    "Q3,我愿意为品质多花钱,likert,quality_orientation\n"
    "Q4,您最希望我们提供什么?,text,needs\n"
)
SURVEY = (
    "id,q,answer,at\n"
    "C1,Q1,5,2024-06-01 10:00\n"
    "C1,Q2,4,2024-06-01 10:01\n"
    "C1,Q3,2,2024-06-01 10:02\n"
    "C1,Q4,更多优惠券,2024-06-01 10:03\n"
    "C2,Q1,2,2024-05-01 10:00\n"
    "C2,Q1,3,2024-06-01 10:00\n"  # answered again: the latest answer counts
    "C2,Q2,4 同意,2024-06-01 10:01\n"
    "C2,Q3,5,2024-07-10 10:00\n"  # after the as-of date
)
RELATIONS = (
    "src,dst,dst_phone,relation,weight,since\n"
    "C1,C2,,referral,1,2024-06-01\n"
    "C1,C3,,referral,1,2024-06-01\n"
    "C1,C4,,referral,1,2024-06-01\n"
    "C1,,13000009999,referral,1,2024-06-01\n"  # a referee who is no customer (yet)
    "C5,C1,,follow,1,2024-01-01\n"
    "C6,C1,,follow,1,2024-01-01\n"
    "C2,C3,,friend,0.5,2023-01-01\n"
    "C1,C5,,household,1,2020-01-01\n"
    "C2,C6,,friend,1,2024-08-01\n"  # after the as-of date
)
FILES = {
    "data/crm.csv": CRM,
    "data/orders.csv": ORDERS,
    "data/events.csv": EVENTS,
    "data/questions.csv": QUESTIONS,
    "data/survey.csv": SURVEY,
    "data/relations.csv": RELATIONS,
}


def _features(project: Project, as_of: datetime | None = AS_OF) -> dict[str, dict[str, Any]]:
    """Run the stage; return each customer_key's feature row."""
    run_features(project.engine, project.config, as_of=as_of)
    frame = project.engine.fetch_df(
        "select c.customer_keys[1] as key, f.* from features f "
        "join customers c using (customer_id) where len(c.customer_keys) = 1"
    )
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return {str(row["key"]): {str(k): v for k, v in row.items() if k != "key"} for row in rows}


@pytest.fixture
def project(make_project: MakeProject) -> Project:
    root = make_project(SOURCES, FILES, identity="{probabilistic: false}")
    project = Project.open(root)
    project.build()
    return project


def test_rfm_counts_refunds_cancellations_and_windows(project: Project) -> None:
    with project:
        features = _features(project)
    c1 = features["C1"]
    assert c1["frequency"] == 3  # O1, O2, O5: not refunded O3, cancelled O4, refund R1, late O6
    assert c1["monetary"] == pytest.approx(100 + 250 + 300 - 50)
    assert c1["avg_order_value"] == pytest.approx(650 / 3)
    assert c1["recency_days"] == 2
    assert c1["first_order_at"] == datetime(2024, 3, 1, 10, tzinfo=SHANGHAI)
    assert c1["last_order_at"] == datetime(2024, 6, 28, 10, tzinfo=SHANGHAI)
    assert [c1[f"orders_{n}d"] for n in (7, 30, 90, 365)] == [1, 2, 2, 3]
    spend = [c1[f"spend_{n}d"] for n in (7, 30, 90, 365)]
    assert spend == pytest.approx([100, 300, 300, 600])
    assert c1["discount_share"] == pytest.approx(2 / 3)  # O2 had a discount, O5 a coupon
    assert c1["avg_discount"] == pytest.approx((20 / 270) / 3)
    assert c1["refund_rate"] == pytest.approx(2 / 5)  # O3 and R1 of O1, O2, O5, O3, R1
    assert (c1["top_category"], c1["top_category_share"]) == ("apparel", 0.75)
    assert c1["category_count"] == 2
    assert (c1["top_channel"], c1["top_payment_method"]) == ("app", "wechat")
    assert c1["tenure_days"] == (date(2024, 6, 30) - date(2023, 1, 15)).days
    c2 = features["C2"]
    assert (c2["frequency"], c2["monetary"], c2["recency_days"]) == (1, 88, 1)
    assert c2["tenure_days"] == 29
    c3 = features["C3"]  # no orders, registered after the as-of date
    assert (c3["frequency"], c3["monetary"], c3["orders_30d"], c3["category_count"]) == (0, 0, 0, 0)
    assert c3["recency_days"] is None and c3["tenure_days"] is None
    assert c3["avg_order_value"] is None and c3["refund_rate"] is None


def test_profile_features_at_the_as_of_date(project: Project) -> None:
    with project:
        features = _features(project)
    assert features["C1"]["age"] == 33  # turns 34 the day after the as-of date
    assert features["C2"]["age"] == 34  # turns 34 on the as-of date
    assert (features["C1"]["gender"], features["C1"]["city"]) == ("male", "北京")
    assert [features[k]["city_tier"] for k in ("C1", "C3", "C5")] == [1, 2, None]
    assert features["C1"]["has_transactions"] and not features["C6"]["has_transactions"]


def test_a_record_goes_to_the_customer_of_its_highest_priority_identifier(
    project: Project,
) -> None:
    with project:
        # Pretend the order's phone belongs to another customer (as after a split).
        project.engine.execute(
            "update identity_links set customer_id = (select customer_id from customers "
            "where list_contains(customer_keys, 'C5')) where node = 'phone:+8613600003333'"
        )
        features = _features(project)
    assert features["C4"]["frequency"] == 1  # O8 names C4 by customer_key
    assert features["C5"]["frequency"] == 0


@pytest.mark.parametrize(
    ("timezone", "night", "weekend", "top_hour"),
    [("Asia/Shanghai", 3 / 5, 2 / 5, 1), ("UTC", 2 / 5, 2 / 5, 1)],
)
def test_event_features_in_the_project_time_zone(
    make_project: MakeProject, timezone: str, night: float, weekend: float, top_hour: int
) -> None:
    root = make_project(SOURCES, FILES, identity="{probabilistic: false}", timezone=timezone)
    with Project.open(root) as project:
        project.build()
        features = _features(project)
    c2 = features["C2"]
    assert c2["night_share"] == pytest.approx(night)
    assert c2["weekend_share"] == pytest.approx(weekend)
    assert c2["top_hour"] == top_hour  # every hour once: the smallest wins the tie
    assert (c2["event_count"], c2["events_7d"], c2["events_90d"]) == (5, 5, 5)
    assert (c2["sessions"], c2["avg_session_events"]) == (3, pytest.approx(4 / 3))
    counts = [c2[k] for k in ("views", "searches", "add_to_cart", "logins", "purchases")]
    assert counts == [2, 1, 1, 1, 0]
    assert c2["top_event_channel"] == "app"
    if timezone == "Asia/Shanghai":
        assert c2["active_days_30d"] == 5 and c2["days_since_last_event"] == 0
        assert c2["top_weekday"] == 3  # Wednesday to Sunday once each
    assert features["C1"]["event_count"] == 0 and features["C1"]["night_share"] is None


def test_survey_dimension_scores(project: Project) -> None:
    with project:
        features = _features(project)
    c1, c2 = features["C1"], features["C2"]
    assert c1["survey_price_consciousness"] == pytest.approx(4.5)
    assert c1["survey_quality_orientation"] == pytest.approx(2.0)
    assert c1["answered_questions"] == 4
    assert c2["survey_price_consciousness"] == pytest.approx(3.5)  # latest 3, and "4 同意"
    assert c2["survey_quality_orientation"] is None  # answered after the as-of date
    assert c2["answered_questions"] == 2
    assert features["C3"]["answered_questions"] == 0
    assert features["C3"]["survey_price_consciousness"] is None


def test_social_degree_referrals_households_and_influence(project: Project) -> None:
    with project:
        features = _features(project)
    c1 = features["C1"]
    assert c1["referrals_made"] == 4  # three customers and one phone that is no customer
    assert c1["degree"] == 6  # C2, C3, C4, C5, C6 and the phone
    assert c1["household_size"] == 2
    assert features["C2"]["referrals_received"] == 1 and features["C2"]["referrals_made"] == 0
    assert features["C6"]["degree"] == 1  # the friendship with C2 starts after the as-of date
    assert features["C3"]["household_size"] == 1
    influence = {key: float(row["influence"]) for key, row in features.items()}
    assert max(influence, key=lambda k: influence[k]) == "C1"
    assert influence["C1"] > 1 > influence["C6"]
    assert influence["C4"] == pytest.approx(influence["C6"])  # neither is pointed at
    assert influence["C2"] > influence["C4"]
    assert np.mean(list(influence.values())) == pytest.approx(1)
    communities = {row["community"] for row in features.values()}
    ids = sorted(row["customer_id"] for row in features.values())
    assert communities == {ids[0]}
    assert {row["community_size"] for row in features.values()} == {6}


def test_pagerank_of_a_star_and_a_chain() -> None:
    star = pagerank(np.array([1, 2, 3]), np.array([0, 0, 0]), np.ones(3), 4)
    assert star.argmax() == 0 and star.sum() == pytest.approx(1)
    chain = pagerank(np.array([0, 1]), np.array([1, 2]), np.ones(2), 3)
    assert chain[2] > chain[1] > chain[0]


def test_default_as_of_is_the_latest_time_and_is_recorded(project: Project) -> None:
    with project:
        report = run_features(project.engine, project.config)
        stored = project.engine.fetch_all(
            "select value from _persona_meta where key = 'features_as_of'"
        )[0][0]
        columns = project.engine.table_columns("features")
        customers = project.engine.fetch_all("select count(*) from customers")[0][0]
    assert report.as_of == datetime(2024, 8, 1, 9, tzinfo=SHANGHAI)  # C3's registration
    assert datetime.fromisoformat(stored) == report.as_of
    assert report.customers == customers == 6
    dimensions = ["price_consciousness", "quality_orientation"]
    assert (
        columns
        == report.columns
        == ["customer_id"] + [spec.name for spec in feature_catalog(dimensions)]
    )


def test_every_feature_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for spec in feature_catalog():
        assert re.search(rf"`{re.escape(spec.name)}`", text), spec.name
        assert spec.description_en and spec.description_zh, spec.name


# -- the demo: planted archetypes show in the features ------------------------------------


@pytest.fixture(scope="module")
def demo_features(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    root = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(root, customers=2000, seed=7, lang="zh")
    with Project.open(root) as project:
        project.build()
        run_features(project.engine, project.config)
        keys = project.engine.fetch_df(
            "select customer_id, 'crm' as source, unnest(customer_keys) as customer_key "
            "from customers union all "
            "select customer_id, 'members', unnest(member_nos) from customers"
        )
        features = project.engine.fetch_df("select * from features")
    truth = pd.read_csv(root / "truth/customers.csv", usecols=["person_id", "archetype"])
    identity = pd.read_csv(root / "truth/identity.csv", dtype=str)
    people = keys.merge(identity, on=["source", "customer_key"]).merge(
        truth, left_on="entity_id", right_on="person_id"
    )
    owner = people.groupby("customer_id")["archetype"].agg(["first", "nunique"])
    archetype = owner.loc[owner["nunique"] == 1, "first"].rename("archetype")
    return features.merge(archetype, left_on="customer_id", right_index=True)


def test_demo_archetypes_differ_as_planted(demo_features: pd.DataFrame) -> None:
    assert len(demo_features) > 1800
    median = demo_features.groupby("archetype")[
        [
            "night_share",
            "discount_share",
            "recency_days",
            "monetary",
            "tenure_days",
            "influence",
            "survey_price_consciousness",
        ]
    ].median()
    others = median.drop("night_owl_high_wtp")
    assert median["night_share"].to_dict()["night_owl_high_wtp"] > 0.5
    assert (others["night_share"] < 0.3).all()
    assert median["discount_share"].idxmax() == "price_sensitive"
    assert median["recency_days"].idxmax() == "churn_risk"
    assert median["monetary"].idxmax() == "high_value_active"
    assert median["tenure_days"].idxmin() == "newcomer"
    assert median["tenure_days"].to_dict()["newcomer"] <= 30
    assert median["influence"].idxmax() == "high_value_active"
    assert median["survey_price_consciousness"].idxmax() == "price_sensitive"
    favourite = demo_features.groupby("archetype")["top_category"].agg(lambda s: s.mode()[0])
    assert favourite["young_parent"] == "母婴"
