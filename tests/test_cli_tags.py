"""`persona tags ...` and the tags in `persona profile --json`, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import MakeProject
from tests.pipeline.test_tags import _project
from tests.test_cli import persona


def test_tags_commands(make_project: MakeProject, tmp_path: Path) -> None:
    root = str(_project(make_project))
    built = persona("build", "-p", root, "--as-of", "2024-06-30", "--json")
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["snapshot_id"] == 1

    listed = json.loads(persona("tags", "list", "-p", root, "--json").stdout)
    by_tag = {row["tag"]: row for row in listed}
    assert by_tag["rfm_class"]["category"] == "transactions"
    assert by_tag["big_spender"]["name"] == "大额客户" and by_tag["big_spender"]["version"] == 1

    shown = persona("tags", "show", "lifecycle", "-p", root, "--lang", "en")
    assert shown.returncode == 0, shown.stderr
    assert "Lifecycle stage" in shown.stdout and "Returning" in shown.stdout
    detail = json.loads(persona("tags", "show", "crm_tier", "-p", root, "--json").stdout)
    assert detail["accuracy"]["sample"]["matched"] == 3

    coverage = json.loads(persona("tags", "coverage", "-p", root, "--json").stdout)
    assert {row["tag"]: row["covered"] for row in coverage}["night_owl"] == 1

    labels = tmp_path / "labels.csv"
    labels.write_text("customer,truth\nC1,是\nC2,否\nC3,yes\n", encoding="utf-8")
    accuracy = json.loads(
        persona(
            "tags", "accuracy", "night_owl", "--labels", str(labels), "-p", root, "--json"
        ).stdout
    )
    assert {v["value"]: v["recall"] for v in accuracy["values"]} == {"true": 0.5, "false": 1.0}

    profile = json.loads(persona("profile", "C1", "-p", root, "--json").stdout)
    assert profile["tags"]["lifecycle"] == "returning"

    rebuilt = persona("build", "-p", root, "--as-of", "2024-08-30", "--json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    diff = json.loads(
        persona("tags", "diff", "--from", "1", "--to", "2", "-p", root, "--json").stdout
    )
    lifecycle = next(t for t in diff["tags"] if t["tag"] == "lifecycle")
    assert {"from": "new", "to": "active", "count": 1} in lifecycle["transitions"]
    table = persona("tags", "diff", "-p", root, "--lang", "zh")
    assert table.returncode == 0 and "快照 #1 → #2" in table.stdout
    snapshots = json.loads(persona("tags", "snapshots", "-p", root, "--json").stdout)
    assert [s["snapshot_id"] for s in snapshots] == [2, 1]

    missing = persona("tags", "diff", "--from", "7", "-p", root)
    assert missing.returncode == 1 and "no snapshot '7'" in missing.stderr
    unknown = persona("tags", "show", "nigth_owl", "-p", root)
    assert unknown.returncode == 1 and "did you mean 'night_owl'?" in unknown.stderr
