"""`persona audience ...` run as a user runs it: JSON shapes, tables, errors and exit codes."""

from __future__ import annotations

import json

from tests.analysis.test_audiences import audience_project
from tests.conftest import MakeProject
from tests.test_cli import persona


def test_audience_commands(make_project: MakeProject) -> None:
    root = str(audience_project(make_project, k=2))

    counted = persona("audience", "count", "monetary >= 100", "-p", root, "--json")
    assert counted.returncode == 0, counted.stderr
    result = json.loads(counted.stdout)
    assert {"count", "share", "breakdown", "below_k", "left_out", "k"} <= set(result)
    assert result["count"] == 2 and result["left_out"] == {"marketing_opt_out": None}
    cells = [c for column in result["breakdown"].values() for c in column]
    assert cells and all(c["count"] is None or c["count"] >= 2 for c in cells)
    analytics = json.loads(
        persona(
            "audience", "count", "monetary >= 100", "--include-opted-out", "-p", root, "--json"
        ).stdout
    )
    assert analytics["count"] == 3

    table = persona("audience", "count", "monetary >= 300", "-p", root, "--lang", "en")
    assert table.returncode == 0 and "fewer than 2" in table.stdout
    zh = persona("audience", "count", "monetary >= 0", "-p", root, "--lang", "zh")
    assert "人数：5" in zh.stdout and "按 city 分布" in zh.stdout

    preview = json.loads(
        persona("audience", "preview", "monetary >= 100", "-n", "5", "-p", root, "--json").stdout
    )
    assert sorted(r["customer_key"] for r in preview) == ["C1", "C5"]
    assert "13812345678" not in json.dumps(preview) and "张伟" not in json.dumps(preview)

    overlap = json.loads(
        persona(
            "audience", "overlap", "monetary >= 0", "city = '上海'", "-p", root, "--json"
        ).stdout
    )
    assert {r["region"]: r["count"] for r in overlap["regions"]} == {"A": 3, "B": 0, "A&B": 2}

    saved = persona("audience", "save", "shanghai", "city = '上海'", "-p", root, "--lang", "en")
    assert saved.returncode == 0 and "version 1" in saved.stdout, saved.stderr
    listed = json.loads(persona("audience", "list", "-p", root, "--json").stdout)
    assert [(r["name"], r["version"], r["size"]) for r in listed] == [("shanghai", 1, 2)]
    refreshed = json.loads(persona("audience", "refresh", "-p", root, "--json").stdout)
    assert refreshed == [{"name": "shanghai", "version": 1, "size": 2}]
    shown = json.loads(persona("audience", "show", "shanghai", "-p", root, "--json").stdout)
    assert [h["size"] for h in shown["history"]] == [2, 2]
    assert "shanghai" in persona("audience", "show", "shanghai", "-p", root).stdout

    typo = persona("audience", "count", "monetry > 1", "-p", root)
    assert typo.returncode == 1 and "did you mean 'monetary'" in typo.stderr
    assert "Traceback" not in typo.stderr
    injected = persona("audience", "count", "1 = 1; drop table customers", "-p", root)
    assert injected.returncode == 1 and "';' is not allowed" in injected.stderr
    missing = persona("audience", "show", "shanghia", "-p", root)
    assert missing.returncode == 1 and "did you mean 'shanghai'" in missing.stderr
    assert persona("audience", "overlap", "monetary > 1", "-p", root).returncode == 2
    still = json.loads(persona("audience", "count", "monetary >= 0", "-p", root, "--json").stdout)
    assert still["count"] == 5
