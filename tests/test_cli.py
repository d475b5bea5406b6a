"""The CLI as a user runs it: real processes, exit codes, JSON shapes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import MakeProject

CRM = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, birth_date: born}
"""
DATA = "id,born\nC1,1990-01-01\nC2,不详\n"


def persona(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "persona", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_init_scaffolds_a_valid_commented_project(tmp_path: Path) -> None:
    result = persona("init", str(tmp_path / "shop"), "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "Created project" in result.stdout
    config = (tmp_path / "shop/persona.yaml").read_text()
    for kind in ("profiles", "events", "transactions", "surveys", "relations"):
        assert f"kind: {kind}" in config
    assert (tmp_path / "shop/data").is_dir() and (tmp_path / "shop/out").is_dir()
    status = persona("status", "--project", str(tmp_path / "shop"), "--json")
    assert status.returncode == 0, status.stderr
    again = persona("init", str(tmp_path / "shop"))
    assert again.returncode == 1 and "Traceback" not in again.stderr


def test_ingest_status_quarantine_json(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project(CRM, {"data/crm.csv": DATA})
    result = persona("ingest", "--project", str(root), "--json")
    assert result.returncode == 0, result.stderr
    (source,) = json.loads(result.stdout)["sources"]
    assert {
        k: source[k] for k in ("name", "kind", "received", "loaded", "quarantined", "skipped")
    } == {
        "name": "crm",
        "kind": "profiles",
        "received": 2,
        "loaded": 1,
        "quarantined": 1,
        "skipped": 0,
    }

    status = json.loads(persona("status", "-p", str(root), "--json").stdout)
    assert status["store"] == str(root / ".persona/store.duckdb")
    assert status["last_build"] is None
    assert status["sources"][0]["loaded"] == 1

    listed = json.loads(persona("quarantine", "-p", str(root), "--json").stdout)
    assert listed["count"] == 1
    assert listed["records"][0]["line"] == 3 and listed["records"][0]["value"] == "不详"

    export = tmp_path / "fix.csv"
    exported = persona("quarantine", "-p", str(root), "--export", str(export))
    assert exported.returncode == 0
    assert export.read_bytes().startswith(b"\xef\xbb\xbf") and "不详" in export.read_text(
        "utf-8-sig"
    )

    built = json.loads(persona("build", "-p", str(root), "--json").stdout)
    assert built["build_id"] == 1 and built["stages"] == [
        "ingest",
        "clean",
        "resolve",
        "features",
        "tags",
        "segments",
        "quality",
    ]
    assert json.loads(persona("status", "-p", str(root), "--json").stdout)["last_build"]


def test_user_errors_exit_1_without_traceback(make_project: MakeProject) -> None:
    root = make_project(CRM.replace("kind: profiles", "kind: profile"))
    result = persona("ingest", "-p", str(root))
    assert result.returncode == 1
    assert "did you mean 'profiles'" in result.stderr and "Traceback" not in result.stderr
    missing = persona("status", "-p", str(root / "nowhere"))
    assert missing.returncode == 1 and "persona init" in missing.stderr


def test_an_unreadable_file_exits_1_after_loading_the_rest(make_project: MakeProject) -> None:
    root = make_project(
        CRM + "- {name: other, kind: profiles, path: data/none.csv}\n",
        {"data/crm.csv": DATA},
    )
    result = persona("ingest", "-p", str(root), "--json")
    assert result.returncode == 1
    sources = {s["name"]: s for s in json.loads(result.stdout)["sources"]}
    assert sources["crm"]["loaded"] == 1 and "does not exist" in sources["other"]["errors"][0]


def test_usage_errors_exit_2() -> None:
    assert persona("no-such-command").returncode == 2
    assert persona("ingest", "--no-such-flag").returncode == 2


def test_schema_prints_json_schema() -> None:
    result = persona("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "persona.yaml"


def test_messages_follow_the_language(make_project: MakeProject) -> None:
    root = make_project(CRM, {"data/crm.csv": DATA})
    zh = persona("ingest", "-p", str(root))
    assert "导入结果" in zh.stdout and "已加载" in zh.stdout
    en = persona("status", "-p", str(root), "--lang", "en")
    assert "running totals" in en.stdout and "loaded" in en.stdout


def test_export_one_source_for_fixing_and_reingest(make_project: MakeProject) -> None:
    root = make_project(CRM.replace("data/crm.csv", "data/crm/"), {"data/crm/day1.csv": DATA})
    assert persona("ingest", "-p", str(root)).returncode == 0
    fix = root / "fix.csv"
    exported = persona("quarantine", "-p", str(root), "--source", "crm", "--export", str(fix))
    assert exported.returncode == 0, exported.stderr
    lines = fix.read_text("utf-8-sig").splitlines()
    assert lines[0] == "id,born,quarantine_line,quarantine_reason"
    assert lines[1].startswith("C2,不详,3,")
    fixed = lines[0] + "\n" + lines[1].replace("不详", "1991-02-03") + "\n"
    (root / "data/crm/day1-fixed.csv").write_text(fixed, encoding="utf-8")
    again = json.loads(persona("ingest", "-p", str(root), "--json").stdout)["sources"][0]
    assert (again["received"], again["loaded"], again["quarantined"]) == (1, 1, 0)


def test_build_and_features_as_of(make_project: MakeProject) -> None:
    root = make_project(
        CRM + "- {name: orders, kind: transactions, path: data/o.csv, "
        "columns: {customer_key: c, order_id: o, timestamp: t, amount: a}}\n",
        {"data/crm.csv": DATA, "data/o.csv": "c,o,t,a\nC1,1,2026-01-01,10\nC1,2,2026-03-01,20\n"},
    )
    built = persona("build", "-p", str(root), "--as-of", "2026-02-01", "--json")
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["features"]["as_of"].startswith("2026-02-01")
    profile = json.loads(persona("profile", "C1", "-p", str(root), "--json").stdout)
    assert profile["features"]["frequency"] == 1 and profile["features"]["monetary"] == 10
    later = json.loads(persona("features", "-p", str(root), "--json").stdout)
    assert later["as_of"].startswith("2026-03-01")
    profile = json.loads(persona("profile", "C1", "-p", str(root), "--json").stdout)
    assert profile["features"]["frequency"] == 2 and profile["features"]["monetary"] == 30
    bad = persona("build", "-p", str(root), "--as-of", "yesterday")
    assert bad.returncode == 1 and "--as-of 'yesterday' is not a date" in bad.stderr


def test_customers_export(make_project: MakeProject, tmp_path: Path) -> None:
    import pandas as pd

    root = make_project(
        CRM + "- {name: orders, kind: transactions, path: data/o.csv, "
        "columns: {customer_key: c, order_id: o, timestamp: t, amount: a}}\n",
        {"data/crm.csv": DATA, "data/o.csv": "c,o,t,a\nC1,1,2026-01-01,10\n"},
    )
    before = persona("customers", "export", "--out", str(tmp_path / "c.csv"), "-p", str(root))
    assert before.returncode == 1 and "persona build" in before.stderr
    assert persona("build", "-p", str(root)).returncode == 0
    result = persona("customers", "export", "--out", str(tmp_path / "c.csv"), "-p", str(root))
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig")
    assert list(frame.columns[:2]) == ["customer_id", "customer_key"]
    assert {"recency_days", "frequency", "monetary", "night_share"} <= set(frame.columns)
    row = frame.set_index("customer_key").loc["C1"]
    assert row["frequency"] == 1 and row["monetary"] == 10
    parquet = tmp_path / "c.data"
    assert (
        persona(
            "customers", "export", "--out", str(parquet), "--format", "parquet", "-p", str(root)
        ).returncode
        == 0
    )
    assert len(pd.read_parquet(parquet)) == len(frame)
