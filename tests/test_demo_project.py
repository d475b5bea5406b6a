"""The demo project end to end: its counts add up and its quarantine matches the truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from persona import Project
from persona.demo import generate_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(root, customers=2000, seed=7, lang="zh")
    return root


def test_demo_ingest_matches_the_planted_truth(demo: Path) -> None:
    truth = json.loads((demo / "truth/quarantine.json").read_text())["sources"]
    with Project.open(demo) as project:
        frame = project.ingest().set_index("name")
        quarantined = project.quarantine()
    assert set(frame.index) == set(truth)
    for name, expected in truth.items():
        row = frame.loc[name]
        assert row["errors"] == [], (name, row["errors"])
        got = {k: int(row[k]) for k in ("received", "loaded", "quarantined", "skipped")}
        assert got["received"] == got["loaded"] + got["quarantined"] + got["skipped"]
        want = {k: expected[k] for k in ("received", "quarantined", "skipped")}
        assert {k: got[k] for k in want} == want, name
    per_source = quarantined.groupby("source").size().to_dict()
    assert per_source == {n: t["quarantined"] for n, t in truth.items() if t["quarantined"]}
    assert quarantined["reason"].str.len().min() > 20


def test_every_kind_and_the_question_bank_are_loaded(demo: Path) -> None:
    with Project.open(demo) as project:
        fetch = project.engine.fetch_all
        for table in ("profiles", "events", "transactions", "surveys", "relations"):
            assert fetch(f"select count(*) from raw_{table}")[0][0] > 0, table
        dimensions = {r[0] for r in fetch("select distinct dimension from question_bank")}
    assert "price_consciousness" in dimensions


def test_persona_demo_command(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "persona", "demo", str(target), "--customers", "300", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["build_id"] == 1 and data["demo"]["customers"] == 300
    reports = [Path(path) for path in data["reports"]]
    assert [r.name for r in reports] == ["persona-report-zh.html", "persona-report-en.html"]
    assert all(r.parent == target / "out" and r.stat().st_size > 10_000 for r in reports)
    loaded = {s["name"]: s["loaded"] for s in data["sources"]}
    assert set(loaded) == {"crm", "members", "events", "orders", "survey", "relations"}
    assert all(v > 0 for v in loaded.values())
    status = subprocess.run(
        [sys.executable, "-m", "persona", "status", "--project", str(target), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(status.stdout)["last_build"] is not None


def test_demo_identities_are_recovered(demo: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "persona", "build", "-p", str(demo), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert json.loads(build.stdout)["stages"] == [
        "ingest",
        "clean",
        "resolve",
        "features",
        "tags",
        "segments",
        "quality",
    ]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "persona",
            "identity",
            "evaluate",
            "-p",
            str(demo),
            "--truth",
            str(demo / "truth/identity.csv"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["f1"] >= 0.97, scores
    assert scores["records"] == scores["matched_records"]
    health = json.loads(
        subprocess.run(
            [sys.executable, "-m", "persona", "identity", "health", "-p", str(demo), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    )
    assert health["customers_with_profiles"] > 1500 and health["largest"][0]["records"] <= 5


def test_profile_command_masks_by_default(demo: Path) -> None:
    key = "C" + "0" * 5 + "1"
    with Project.open(demo) as project:
        key = str(project.engine.fetch_all("select min(customer_key) from clean_profiles")[0][0])
    shown = subprocess.run(
        [sys.executable, "-m", "persona", "profile", key, "-p", str(demo), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data = json.loads(shown.stdout)
    assert data["masked"] is True and key in data["identifiers"]["customer_keys"]
    assert all("****" in phone for phone in data["identifiers"].get("phones", []))
    explained = subprocess.run(
        [sys.executable, "-m", "persona", "identity", "explain", key, "-p", str(demo), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(explained.stdout)["customer_id"] == data["customer_id"]
    missing = subprocess.run(
        [sys.executable, "-m", "persona", "profile", "no-such-person", "-p", str(demo)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 1 and "no customer has 'no-such-person'" in missing.stderr
