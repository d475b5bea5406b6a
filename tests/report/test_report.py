"""The report as a reader gets it: the HTML opened in headless Chromium (offline, no errors,
a screenshot kept as a test artifact) and the PDF's text, in both languages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from persona import Project
from persona.model.errors import ProjectError
from persona.report.sections import migration

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def open_in_chromium(html: Path, screenshot: Path) -> tuple[list[str], list[str], str]:
    """Open a file in headless Chromium; return its console errors, requests and text."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html.as_uri(), wait_until="load")
        text = page.inner_text("body")
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(screenshot, ARTIFACTS / screenshot.name)
    return errors, requests, text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_report_opens_offline_in_chromium(shop: Path, tmp_path: Path, lang: str) -> None:
    with Project.open(shop) as project:
        written = project.report(tmp_path / f"report-{lang}.html", lang=lang)  # type: ignore[arg-type]
    html = written.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html), "nothing remote"
    assert "<script" not in html and html.count("<svg") >= 5
    errors, requests, text = open_in_chromium(written, tmp_path / f"report-shop-{lang}.png")
    assert errors == []
    assert requests == [written.as_uri()]
    assert (tmp_path / f"report-shop-{lang}.png").stat().st_size > 50_000
    names = (
        ["高价值夜猫子", "价格敏感"] if lang == "zh" else ["Big night spenders", "Price-sensitive"]
    )
    for name in names:
        assert name in text
    assert ("小众" if lang == "zh" else "Niche") in text  # the tiny segment is listed ...
    assert "<5" in text  # ... with its size suppressed
    assert "陈**" in text and "陈芳芳" not in html and "13812340004" not in html
    if lang == "zh":
        assert "优先级第 1 位" in text and "客群迁移" in text and "品质与专属" in text
        assert "新进入" in text and "<5" in text
        assert "对数变换 log1p：monetary" in text
    else:
        assert "Priority #1" in text and "Suggested positioning" in text
        assert "log1p of monetary" in text and "Joined" in text


def test_pdf_report_holds_the_chinese_names(shop: Path, tmp_path: Path) -> None:
    with Project.open(shop) as project:
        written = project.report(tmp_path / "report.pdf", lang="zh")
    reader = PdfReader(written)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 5
    for name in ("高价值夜猫子", "价格敏感", "客户画像报告", "建议定位"):
        assert name in text
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any(f.endswith("+Noto-Sans-CJK-SC") for f in fonts), fonts  # embedded subset
    assert not any("Serif" in f for f in fonts), fonts


def test_report_paths_and_formats(shop: Path, tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(shop, root)
    with Project.open(root) as project:
        assert project.report(lang="en") == root / "out" / "persona-report-en.html"
        with pytest.raises(ProjectError, match=r"unknown report format 'docx'; use html or pdf"):
            project.report(fmt="docx")
        with pytest.raises(ProjectError, match=r"ends in \.html but the format is pdf"):
            project.report(tmp_path / "r.html", fmt="pdf")


def test_migration_between_snapshots(shop: Path) -> None:
    with Project.open(shop) as project:
        moved = migration(project, 5, "en")
    assert moved is not None and (moved.old, moved.new) == (1, 2)
    assert moved.columns == ["Big night spenders", "Price-sensitive", "Niche"]
    table = {row["name"]: [c["text"] for c in row["cells"]] for row in moved.rows}
    # 8 stayed in segment 1 and 4 joined it: 4 is below k, and so the 8 is hidden too
    assert table == {
        "Big night spenders": ["<5", "", ""],
        "Price-sensitive": ["", "10", ""],
        "Niche": ["", "", "<5"],
        "Joined": ["<5", "", ""],
    }
    assert moved.stayed == 1.0  # nobody moved
    big = next(d for d in moved.drift if d["segment_id"] == 1)
    assert (big["name"], big["size_from"], big["size_to"]) == ("Big night spenders", 8, 12)
