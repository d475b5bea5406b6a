from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.privacy.shop import shop_project


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop project built once per module (tests that change it build their own)."""
    base = tmp_path_factory.mktemp("shop")

    def make(sources: str, files: dict[str, str], **top: str) -> Path:
        root = base / "project"
        (root / "data").mkdir(parents=True)
        header = "".join(f"{k}: {v}\n" for k, v in {"project": "shop", **top}.items())
        body = textwrap.indent(textwrap.dedent(sources).strip(), "  ")
        (root / "persona.yaml").write_text(f"{header}sources:\n{body}\n", encoding="utf-8")
        for name, content in files.items():
            (root / name).write_text(content, encoding="utf-8")
        return root

    return shop_project(make)
