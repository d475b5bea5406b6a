"""`persona segments ...`, the segment in `persona customers export`, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.conftest import MakeProject
from tests.pipeline.segment_data import AS_OF, SOURCES, files
from tests.test_cli import persona


def test_segments_commands(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project(SOURCES, files())
    with (root / "persona.yaml").open("a", encoding="utf-8") as config:
        config.write("privacy: {k: 2}\n")
    project = str(root)
    built = persona("build", "-p", project, "--as-of", AS_OF, "--json")
    assert built.returncode == 0, built.stderr
    report = json.loads(built.stdout)
    assert "segments" in report["stages"] and report["segments"]["k"] == 3
    assert report["segments"]["segmented"] == 87 and report["segments"]["excluded"] == 3

    listed = json.loads(persona("segments", "list", "-p", project, "--json").stdout)
    assert [set(s) for s in listed] == [{"id", "name_zh", "name_en", "size", "share", "centre"}] * 3
    assert sorted(s["name_en"] for s in listed) == [
        "High-value active",
        "Night owls",
        "Price-sensitive",
    ]
    night = next(s for s in listed if s["name_en"] == "Night owls")
    assert night["size"] == 29 and night["centre"]["night_share"] > 0.9
    table = persona("segments", "list", "-p", project, "--lang", "en")
    assert table.returncode == 0 and "Night owls" in table.stdout and "29" in table.stdout

    shown = persona("segments", "show", str(night["id"]), "-p", project, "--lang", "zh")
    assert shown.returncode == 0, shown.stderr
    assert "夜间活跃 / Night owls" in shown.stdout and "夜间(22点-2点)行为占比" in shown.stdout
    by_name = json.loads(persona("segments", "show", "night owls", "-p", project, "--json").stdout)
    assert by_name["id"] == night["id"] and by_name["evidence"][0]["feature"] == "night_share"

    explained = persona("segments", "explain", "C07", "-p", project, "--lang", "en")
    assert explained.returncode == 0, explained.stderr
    assert "In Night owls: its centre is the nearest" in explained.stdout
    detail = json.loads(persona("segments", "explain", "C07", "-p", project, "--json").stdout)
    assert detail["segment_id"] == night["id"] and detail["features"][0]["feature"] == "night_share"

    refit = json.loads(persona("segments", "fit", "-p", project, "--json").stdout)
    assert refit["run_id"] == 2 and refit["k"] == 3

    out = tmp_path / "customers.csv"
    exported = persona("customers", "export", "--out", str(out), "-p", project)
    assert exported.returncode == 0, exported.stderr
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame.loc[frame["customer_key"] == "C07", "segment_name"].item() == "夜间活跃"

    rebuilt = persona("build", "-p", project, "--as-of", AS_OF, "--lang", "en")
    assert rebuilt.returncode == 0 and "Segments: 3 (kmeans) of 87 customers" in rebuilt.stdout
    moved = json.loads(persona("segments", "migration", "-p", project, "--json").stdout)
    assert (moved["from"], moved["to"]) == (1, 2) and moved["stayed"] == 87
    matrix = persona("segments", "migration", "--from", "1", "--to", "2", "-p", project)
    assert matrix.returncode == 0 and "快照 #1 → #2 的客群迁移" in matrix.stdout

    unknown = persona("segments", "show", "Nigth owls", "-p", project)
    assert unknown.returncode == 1 and "did you mean 'Night owls'?" in unknown.stderr
    missing = persona("segments", "migration", "--from", "9", "-p", project)
    assert missing.returncode == 1 and "no snapshot '9'" in missing.stderr
    assert "Traceback" not in unknown.stderr + missing.stderr


def test_segments_before_a_build(make_project: MakeProject) -> None:
    root = make_project(SOURCES, files())
    result = persona("segments", "list", "-p", str(root), "--lang", "en")
    assert result.returncode == 1 and "no segments yet" in result.stderr
