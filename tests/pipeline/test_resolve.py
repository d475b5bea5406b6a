"""Identity resolution on small projects with known answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from persona import Project
from persona.model.errors import UnknownReferenceError
from tests.conftest import MakeProject

SOURCES = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, name: name, phone: phone, email: email, city: city}
- name: members
  kind: profiles
  path: data/members.csv
  columns: {member_no: no, name: name, phone: mobile}
- name: events
  kind: events
  path: data/events.csv
  columns: {device_id: device, member_no: member, event: e, timestamp: t}
"""
CRM = (
    "id,name,phone,email,city\n"
    "C1,张伟,138-1234-5678,zw@example.com,北京\n"
    "C2,李娜,13900001111,,上海\n"
    "C3,王芳,13800000000,,广州\n"  # a placeholder phone ...
    "C4,赵敏,13800000000,,深圳\n"  # ... shared by strangers: must not link them
)
MEMBERS = "no,name,mobile\nM1,张伟,+86 138 1234 5678\nM2,陈静,13700002222\n"
EVENTS = (
    "device,member,e,t\n"
    "d-anon,,view,2023-01-01 10:00\n"
    "d-anon,M2,login,2023-01-01 10:05\n"  # the anonymous device logs in as M2
    "d-shop,M1,view,2023-01-02 10:00\n"
    "d-shop,M2,view,2023-01-02 11:00\n"  # a shared shop tablet: stops linking
)


def build(root: Path) -> Project:
    project = Project.open(root)
    project.build()
    return project


@pytest.fixture
def root(make_project: MakeProject) -> Path:
    return make_project(
        SOURCES,
        {"data/crm.csv": CRM, "data/members.csv": MEMBERS, "data/events.csv": EVENTS},
        identity="{probabilistic: false}",
    )


def test_records_link_through_shared_identifiers_with_guardrails(root: Path) -> None:
    with build(root) as project:
        find = project.identity.find
        assert find("C1") == find("M1") == find("13812345678") == find("zw@example.com")
        assert find("M2") == find("d-anon")  # the device joined the person who logged in
        assert find("C3") != find("C4")  # blocked placeholder phone
        assert find("C1") != find("M2")  # the shared tablet did not merge two people
        excluded = dict(project.engine.fetch_all("select node, reason from identity_excluded"))
        assert (
            "device_id:d-shop" in excluded and "different member_no" in excluded["device_id:d-shop"]
        )
        with pytest.raises(UnknownReferenceError, match="13800000000"):
            find("13800000000")
        customers = project.engine.fetch_all(
            "select customer_key, member_no, phones, has_events from customers "
            "where list_contains(customer_keys, 'C1')".replace(
                "customer_key, member_no", "customer_keys, member_nos"
            )
        )
    assert customers == [(["C1"], ["M1"], ["+8613812345678"], True)]


def test_ids_are_stable_and_a_merge_keeps_the_older_id(root: Path) -> None:
    with build(root) as project:
        before = {ref: project.identity.find(ref) for ref in ("C1", "C2", "M2")}
    with build(root) as project:
        assert {ref: project.identity.find(ref) for ref in before} == before
    # A new member record with C2's phone and M2's number merges the two customers.
    (root / "data/members.csv").write_text(MEMBERS + "M2,李娜,13900001111\n")
    with build(root) as project:
        merged = project.identity.find("C2")
        assert merged == project.identity.find("M2")
        assert merged == min(before["C2"], before["M2"])  # the older id survives
        retired = max(before["C2"], before["M2"])
        assert project.identity.find(retired) == merged  # the retired id leads to it
        history = project.identity.explain(merged)["history"]
    assert {
        "customer_id": retired,
        "status": "retired",
        "successor": merged,
        "parent": None,
    } in history


def test_split_and_link_decisions_survive_rebuilds(root: Path) -> None:
    with build(root) as project:
        c1 = project.identity.find("C1")
        project.identity.split("M1")
        project.identity.link("C2", "C3")
    for full_rebuild in (False, False, True):  # every build after, even from scratch
        if full_rebuild:
            shutil.rmtree(root / ".persona")
        with build(root) as project:
            assert project.identity.find("M1") != project.identity.find("C1")
            assert full_rebuild or project.identity.find("C1") == c1
            assert project.identity.find("C2") == project.identity.find("C3")
            reasons = {
                link["node"]: link["reason"] for link in project.identity.explain("C2")["links"]
            }
            assert any("decision: link" in r for r in reasons.values())


def test_explain_says_why(root: Path) -> None:
    with build(root) as project:
        links = project.identity.explain("13812345678")["links"]
    reasons = {link["node"]: link["reason"] for link in links}
    assert reasons["phone:+8613812345678"].startswith("record (rec:")
    assert {link["node_type"] for link in links} == {"record", "identifier"}


def test_profile_is_masked_unless_asked(root: Path) -> None:
    with build(root) as project:
        masked = project.profile("C1")
        plain = project.profile("C1", unmask=True)
    assert masked["attributes"]["name"] == "张*"
    assert masked["identifiers"]["phones"] == ["138****5678"]
    assert masked["identifiers"]["customer_keys"] == ["C1"]  # internal ids stay visible
    assert plain["attributes"]["name"] == "张伟" and plain["masked"] is False
    assert masked["coverage"]["profiles"] is True and masked["attributes"]["city"] == "北京"


def test_probable_matches_link_profiles_without_shared_identifiers(
    make_project: MakeProject,
) -> None:
    crm = "id,name,born,city\nC1,欧阳娜娜,1990-03-04,北京\nC2,司马光明,1985-01-01,上海\n"
    members = "no,name,born,city\nM1,欧阳娜娜,1990-03-04,北京市\nM2,Wei Zhang,1970-05-06,Shanghai\n"
    root = make_project(
        """
        - name: crm
          kind: profiles
          path: data/crm.csv
          columns: {customer_key: id, name: name, birth_date: born, city: city}
        - name: members
          kind: profiles
          path: data/members.csv
          columns: {member_no: no, name: name, birth_date: born, city: city}
        """,
        {"data/crm.csv": crm, "data/members.csv": members},
        identity="{match_threshold: 0.5}",
    )
    with build(root) as project:
        assert project.identity.find("C1") == project.identity.find("M1")
        assert project.identity.find("C2") != project.identity.find("M2")
        reason = project.identity.explain("M1")["links"]
    assert any(link["reason"].startswith("match") for link in reason)


def test_identity_commands(root: Path) -> None:
    import json
    import subprocess
    import sys

    def persona(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "persona", *args, "-p", str(root)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert persona("build").returncode == 0
    split = persona("identity", "split", "M1", "--json")
    assert split.returncode == 0, split.stderr
    assert json.loads(split.stdout)["action"] == "split"
    assert persona("identity", "link", "C3", "C4", "--lang", "en").stdout.startswith(
        "Recorded decision #2 (link)"
    )
    assert persona("build").returncode == 0
    c1 = json.loads(persona("identity", "explain", "C1", "--json").stdout)
    assert not any(link["node"] == "member_no:M1" for link in c1["links"])
    c3 = json.loads(persona("identity", "explain", "C3", "--json").stdout)
    assert {"rec:crm:1:4", "rec:crm:1:5"} <= {link["node"] for link in c3["links"]}
    unknown = persona("identity", "link", "C1", "nobody")
    assert unknown.returncode == 1 and "'nobody'" in unknown.stderr


def test_quality_report_shows_dimension_coverage(root: Path) -> None:
    with build(root) as project:
        coverage = project.quality().coverage
    assert coverage["customers"] == 5  # C1+M1, C2, C3, C4, M2
    assert coverage["share_with"]["profiles"] == 1.0
    assert coverage["share_with"]["events"] == 0.4  # C1+M1 and M2 have events
    assert coverage["customers_by_kinds"] == {"1": 3, "2": 2}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("most_trusted", "北京"),
        ("most_recent", "广州"),
        ("most_frequent", "上海"),
        ("first_non_empty", "北京"),
    ],
    ids=["most-trusted-source", "most-recent-record", "most-frequent-value", "first-non-empty"],
)
def test_survivorship_rules(make_project: MakeProject, rule: str, expected: str) -> None:
    root = make_project(
        """
        - name: crm
          kind: profiles
          path: data/crm.csv
          columns: {customer_key: id, phone: phone, city: city}
        - name: app
          kind: profiles
          path: data/app/
          columns: {member_no: id, phone: phone, city: city}
        """,
        {
            "data/crm.csv": "id,phone,city\nC1,13812345678,北京\n",
            "data/app/1.csv": "id,phone,city\nM1,13812345678,上海\nM2,13812345678,上海\n",
            "data/app/2.csv": "id,phone,city\nM3,13812345678,广州\n",
        },
        identity=f"{{probabilistic: false, survivorship: {{city: {rule}}}}}",
    )
    with build(root) as project:
        assert project.profile("C1")["attributes"]["city"] == expected


def test_profile_dates_are_plain_dates(make_project: MakeProject) -> None:
    root = make_project(
        "- {name: crm, kind: profiles, path: data/crm.csv, "
        "columns: {customer_key: id, birth_date: born}}",
        {"data/crm.csv": "id,born\nC1,1990/7/16\n"},
        identity="{probabilistic: false}",
    )
    with build(root) as project:
        assert project.profile("C1")["attributes"]["birth_date"] == "1990-07-16"
