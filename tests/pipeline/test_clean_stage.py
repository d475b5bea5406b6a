"""The clean stage and the quality report on small projects with known answers."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from persona import Project
from tests.conftest import MakeProject

PROFILES = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, name: name, phone: phone, email: email, gender: sex, city: city}
"""
CRM = (
    "id,name,phone,email,sex,city\n"
    "C1,张\u3000伟,138-1234-5678,Zhang@Example.com,男,北京市\n"
    "C2,Li  Na ,+86 139 0000 1111,li@qq.com,F,Shanghai\n"
    "C3,王芳,12345,not-an-email,未知,广州市天河区\n"
    "C1,张\u3000伟,138-1234-5678,Zhang@Example.com,男,北京市\n"
)
ORDERS = """
- name: orders
  kind: transactions
  path: data/orders.csv
  columns: {customer_key: c, order_id: o, timestamp: t, amount: a}
"""


def test_clean_profiles_keep_raw_and_standardise(make_project: MakeProject) -> None:
    root = make_project(PROFILES, {"data/crm.csv": CRM})
    with Project.open(root) as project:
        project.ingest()
        counts = project.clean()
        clean = project.engine.fetch_all(
            "select customer_key, name, phone, email, gender, city, province from clean_profiles "
            "order by _line"
        )
        raw = project.engine.fetch_all("select phone from raw_profiles order by _line")
    assert clean == [
        ("C1", "张 伟", "+8613812345678", "zhang@example.com", "male", "北京", "北京"),
        ("C2", "Li Na", "+8613900001111", "li@qq.com", "female", "上海", "上海"),
        ("C3", "王芳", None, None, None, "广州", "广东"),
    ]
    assert raw[0] == ("138-1234-5678",)
    (row,) = counts.to_dict("records")
    assert row == {"source": "crm", "kind": "profiles", "cleaned": 3, "duplicates": 1}


def test_clean_is_incremental_and_rebuilds_when_settings_change(
    make_project: MakeProject,
) -> None:
    root = make_project(PROFILES.replace("data/crm.csv", "data/crm/"), {"data/crm/1.csv": CRM})
    with Project.open(root) as project:
        project.ingest()
        assert project.clean()["cleaned"].sum() == 3
        assert project.clean().empty  # nothing new
    (root / "data/crm/2.csv").write_text(
        "id,name,phone,email,sex,city\nC9,新客,,,,\nC1,张\u3000伟,,,,\n"
    )
    with Project.open(root) as project:
        project.ingest()
        assert project.clean()["cleaned"].sum() == 2
    config = (root / "persona.yaml").read_text() + "cleaning:\n  rules:\n    name: [none]\n"
    (root / "persona.yaml").write_text(config)
    with Project.open(root) as project:
        assert project.clean()["cleaned"].sum() == 5  # rebuilt
        names = project.engine.fetch_all("select name from clean_profiles where name like '张%'")
    assert ("张\u3000伟",) in names


def test_outliers_are_flagged_not_changed(make_project: MakeProject) -> None:
    rows = "".join(f"C{i},O{i},2023-01-01,{100 + i % 7}\n" for i in range(40))
    rows += "C99,O99,2023-01-01,99999\n"
    root = make_project(ORDERS, {"data/orders.csv": "c,o,t,a\n" + rows})
    with Project.open(root) as project:
        project.ingest()
        project.clean()
        flagged = project.engine.fetch_all("select source, line, field, value from outliers")
        kept = project.engine.fetch_all("select max(amount) from clean_transactions")[0][0]
    assert flagged == [("orders", 42, "amount", 99999.0)]
    assert kept == 99999.0


def test_quality_report(make_project: MakeProject) -> None:
    root = make_project(PROFILES, {"data/crm.csv": CRM})
    with Project.open(root) as project:
        project.build()
        report = project.quality()
    (crm,) = report.sources
    by_field = {f.field: f for f in crm.fields}
    assert crm.records == 3  # the exact duplicate is not counted twice
    assert by_field["phone"].completeness == 1.0
    assert by_field["phone"].validity == 0.6667  # 12345 is no phone number
    assert by_field["email"].validity == 0.6667
    assert by_field["gender"].top == [("female", 1), ("male", 1)]
    assert by_field["phone"].top == [] and by_field["name"].min is None  # personal data
    assert by_field["city"].distinct == 3
    assert 0 < crm.score < 100 and report.score == crm.score
    assert crm.newest is None  # no registration time mapped


def test_quality_command_json(make_project: MakeProject) -> None:
    root = make_project(PROFILES, {"data/crm.csv": CRM})
    build = subprocess.run(
        [sys.executable, "-m", "persona", "build", "-p", str(root), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    built = json.loads(build.stdout)
    stages = ["ingest", "clean", "resolve", "features", "tags", "segments", "quality"]
    assert built["stages"] == stages
    assert built["clean"][0]["duplicates"] == 1
    result = subprocess.run(
        [sys.executable, "-m", "persona", "quality", "-p", str(root), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    assert data["score"] == built["quality_score"]
    assert {f["field"] for f in data["sources"][0]["fields"]} >= {"phone", "email", "city"}


def test_quality_report_carried_over_equals_a_full_one(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    from persona.pipeline import quality

    orders = "c,o,t,a\nC1,O1,2024-06-01 10:00,100\nC2,O2,2024-06-02 10:00,50\n"
    root = make_project(
        PROFILES.replace("data/crm.csv", "data/crm*.csv")
        + ORDERS.replace("data/orders.csv", "data/orders*.csv"),
        {"data/crm.csv": CRM, "data/orders.csv": orders},
    )
    carried: list[bool] = []
    distinct = quality._distinct

    def spy(*args: Any) -> dict[str, int]:
        carried.append(args[-1] is not None)
        return distinct(*args)

    monkeypatch.setattr(quality, "_distinct", spy)

    def full(project: Project) -> dict[str, Any]:
        project.engine.execute("delete from _persona_meta where key = ?", [quality.STATE_KEY])
        return project.quality().to_dict()

    with Project.open(root) as project:
        project.build()
        # New records: known and new values, an invalid phone, a copy of an old order.
        (root / "data/crm2.csv").write_text(
            "id,name,phone,email,sex,city\n"
            "C4,赵六,138-1234-5678,new@qq.com,女,北京市\n"
            "C5,钱七,999,li@qq.com,男,深圳市\n"
        )
        (root / "data/orders2.csv").write_text(
            "c,o,t,a\nC1,O1,2024-06-01 10:00,100\nC4,O3,2024-06-03 10:00,70\n"
        )
        carried.clear()
        incremental = project.build().quality.to_dict()
        assert carried and all(carried)  # every source carried its counts over
        assert incremental == full(project)
        # Records removed (as by retention): the counts are not carried, and still right.
        project.engine.execute("delete from clean_transactions where order_id = 'O1'")
        project.engine.execute("delete from raw_transactions where order_id = 'O1'")
        carried.clear()
        removed = project.quality().to_dict()
        assert carried == [True, False]  # the profiles' counts still hold, the orders' not
        assert removed == full(project)
    by_source = {s["name"]: s for s in incremental["sources"]}
    assert by_source["crm"]["records"] == 5 and by_source["orders"]["records"] == 3
