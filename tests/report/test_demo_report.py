"""The demo, built by the real pipeline (segments stage included), gives a report a product
manager can forward: every segment a card with a name in both languages, evidence, a masked
representative and a positioning; the HTML clean in Chromium; the PDF with the Chinese names."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from persona import Project
from persona.demo import generate_demo
from tests.report.test_report import open_in_chromium


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(root, customers=2000, seed=7, lang="zh")
    with Project.open(root) as project:
        project.build()
        project.build()  # a second snapshot: growth and migration
    return root


@pytest.mark.slow
def test_demo_cards(demo: Path) -> None:
    with Project.open(demo) as project:
        personas = project.personas("zh")
        names = project.engine.fetch_all("select name, phones[1] from customers limit 50")
    shown = [c for c in personas.cards if not c.suppressed]
    assert len(shown) >= 4 and personas.previous_snapshot is not None
    assert len({c.name_zh for c in personas.cards}) == len(personas.cards)
    assert sorted(c.priority.rank for c in shown if c.priority) == list(range(1, len(shown) + 1))
    text = str(personas.to_dict())
    for name, phone in names:
        assert phone is None or phone not in text
        assert name is None or len(name) < 2 or name not in text
    for card in shown:
        assert card.evidence and card.headline and card.growth is not None
        assert card.representative is not None and card.representative.name
        assert any(s.aspect == "value_proposition" for s in card.positioning)
        assert {"channel", "tone"} <= {s.aspect for s in card.positioning}
        assert card.metrics["transactions"] and card.distributions["gender"]


@pytest.mark.slow
def test_demo_report_in_chromium_and_pdf(demo: Path, tmp_path: Path) -> None:
    with Project.open(demo) as project:
        names = [c.name_zh for c in project.personas("zh").cards if not c.suppressed]
        written = {
            lang: project.report(tmp_path / f"d-{lang}.html", lang=lang) for lang in ("zh", "en")
        }
        pdf = project.report(tmp_path / "demo.pdf", lang="zh")
    for lang, html in written.items():
        errors, requests, text = open_in_chromium(html, tmp_path / f"report-demo-{lang}.png")
        assert errors == [] and requests == [html.as_uri()]
        assert ("客群迁移" if lang == "zh" else "Migration between segments") in text
    pdf_text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    for name in names:
        assert name in pdf_text
