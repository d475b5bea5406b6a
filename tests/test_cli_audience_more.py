"""`persona audience coverage` run as a user runs it: JSON, zh/en text, k and errors.

(`persona audience lookalike` is exercised on the demo in tests/analysis/test_lookalike.py.)
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from persona.cli import app
from tests.analysis.test_audiences import audience_project
from tests.conftest import MakeProject


def test_audience_coverage(make_project: MakeProject) -> None:
    root = audience_project(make_project, k=2)
    (root / "converters.csv").write_text(
        "phone,note\n138 1234 5678,a\n13500004444,b\n13400005555,c\n13812345678,d\n,e\n",
        encoding="utf-8",
    )
    args = ["audience", "coverage", "monetary >= 100", "--list", str(root / "converters.csv")]
    result = CliRunner().invoke(app, [*args, "-p", str(root), "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["list"]["column"] == "phone"  # the one column named like an identifier
    assert (found["list"]["matched"], found["list"]["duplicate"], found["list"]["empty"]) == (
        3,
        1,
        1,
    )
    # C1 and C5 are in the audience of 2 (of 5); C6 is not: coverage 2/3, hit rate 1.
    assert (found["in_both"], found["audience_size"], found["list_customers"]) == (2, 2, 3)
    assert found["coverage"] == round(2 / 3, 6) and found["hit_rate"] == 1.0
    assert found["lift"] == round(1 / (3 / 5), 6)
    assert found["left_out"] == {"marketing_opt_out": None, "list_marketing_opt_out": 0}

    english = CliRunner().invoke(app, [*args, "-p", str(root), "--lang", "en"])
    assert english.exit_code == 0, english.output
    assert "5 rows received = 3 matched + 0 unmatched" in english.stdout
    assert "Coverage 66.7%" in english.stdout and "Hit rate (precision) 100.0%" in english.stdout
    assert "Lift 1.67×" in english.stdout and "<2 from the audience" in english.stdout
    chinese = CliRunner().invoke(app, [*args, "-p", str(root), "--lang", "zh"])
    assert "覆盖率 66.7%" in chinese.stdout and "命中率（精准度）100.0%" in chinese.stdout

    rich = [*args[:2], "monetary >= 600", *args[3:]]
    hidden = CliRunner().invoke(app, [*rich, "-p", str(root), "--lang", "en"])
    assert "Coverage not shown (fewer than 2)" in hidden.stdout  # 1 customer in both

    wrong = CliRunner().invoke(app, [*args, "--column", "mobile", "-p", str(root), "--lang", "en"])
    assert wrong.exit_code == 1 and "no column 'mobile'; its columns: phone, note" in wrong.output
