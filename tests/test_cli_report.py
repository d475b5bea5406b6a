"""`persona personas` and `persona report`, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.report.conftest import build_shop
from tests.test_cli import persona


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("cli") / "shop")


def test_personas_json_and_table(shop: Path) -> None:
    result = persona("personas", "-p", str(shop), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["k"] == 5 and data["segmented"] == 24 and data["lang"] == "zh"
    big, thrifty, tiny = data["cards"]
    assert (big["name_zh"], big["size"], big["priority"]["rank"]) == ("高价值夜猫子", 12, 1)
    assert tiny["size"] is None and tiny["suppressed"] is True
    assert {s["rule"] for s in thrifty["positioning"]} >= {"value_for_money", "top_channel"}
    assert big["representative"]["name"] == "陈**"

    table = persona("personas", "-p", str(shop), "--lang", "en")
    assert table.returncode == 0, table.stderr
    assert "Big night spenders" in table.stdout and "<5" in table.stdout
    assert "Value proposition:" in table.stdout


def test_report_command(shop: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    result = persona("report", "-p", str(shop), "--out", str(target), "--lang", "en", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"file": str(target), "format": "pdf", "lang": "en"}
    text = "".join(page.extract_text() for page in PdfReader(target).pages)
    assert "Big night spenders" in text and "高价值夜猫子" in text  # the other language's name

    default = persona("report", "-p", str(shop), "--lang", "zh")
    assert default.returncode == 0, default.stderr
    assert "已写出报告" in default.stdout
    assert (shop / "out" / "persona-report-zh.html").is_file()


def test_report_errors(shop: Path, tmp_path: Path) -> None:
    wrong = persona("report", "-p", str(shop), "--format", "docx")
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert "unknown report format 'docx'; use html or pdf" in wrong.stderr
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "persona.yaml").write_text("project: empty\n", encoding="utf-8")
    missing = persona("personas", "-p", str(tmp_path / "empty"))
    assert missing.returncode == 1 and "no segments yet" in missing.stderr
