from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from persona import Project

MakeProject = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Write persona.yaml (sources given as YAML text) and data files; return the folder."""

    def make(sources: str, files: dict[str, bytes | str] | None = None, **top: str) -> Path:
        root = tmp_path / "project"
        (root / "data").mkdir(parents=True, exist_ok=True)
        header = "".join(f"{k}: {v}\n" for k, v in {"project": "t", **top}.items())
        body = textwrap.indent(textwrap.dedent(sources).strip(), "  ")
        (root / "persona.yaml").write_text(f"{header}sources:\n{body}\n", encoding="utf-8")
        for name, content in (files or {}).items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)
        return root

    return make


def ingest_one(root: Path) -> dict[str, int]:
    """Ingest a project with one source and return that source's counts of this run."""
    with Project.open(root) as project:
        frame = project.ingest()
    assert len(frame) == 1
    report = frame.iloc[0]
    assert not report["errors"], report["errors"]
    counts = {k: int(report[k]) for k in ("received", "loaded", "quarantined", "skipped")}
    assert counts["received"] == counts["loaded"] + counts["quarantined"] + counts["skipped"]
    return counts


def raw_rows(root: Path, table: str, columns: str = "*") -> list[tuple[object, ...]]:
    with Project.open(root) as project:
        return project.engine.fetch_all(f"select {columns} from {table} order by _batch_id, _line")


def quarantined(root: Path) -> list[dict[str, object]]:
    with Project.open(root) as project:
        frame = project.quarantine()
    return [dict(r) for r in frame.astype(object).to_dict(orient="records")]


def accept_more_files(root: Path, *names: str) -> None:
    """Let the sources of data/<name>.csv read data/<name>*.csv too (later files, new batches)."""
    config = root / "persona.yaml"
    text = config.read_text(encoding="utf-8")
    for name in names:
        text = text.replace(f"path: data/{name}.csv", f"path: data/{name}*.csv")
    config.write_text(text, encoding="utf-8")
