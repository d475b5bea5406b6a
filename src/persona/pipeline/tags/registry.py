"""The tag registry (`tag_catalog` table): version, dates, definition and fit of every tag.

A tag's version counts up by itself whenever its definition (or a setting it depends on, such
as the RFM bins or the lifecycle windows, or the content of an imported file) changes, unless
the definition gives `version`; `created_at` is when Persona first evaluated it, `updated_at`
when its definition last changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from persona.config import ProjectConfig
from persona.engine.base import Engine
from persona.model.tags import TagDefinition

if TYPE_CHECKING:
    from persona.pipeline.tags.definitions import Catalog


@dataclass(frozen=True)
class Entry:
    """One tag's registry row."""

    name: str
    version: int
    fingerprint: str
    definition: dict[str, Any]
    params: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def fingerprint(tag: TagDefinition, config: ProjectConfig, root: Path) -> str:
    """A hash of what decides a tag's values: its definition, the settings and file it reads."""
    settings: dict[str, Any] = {}
    if tag.kind == "imported" and (root / str(tag.path)).is_file():
        settings["file"] = hashlib.sha256((root / str(tag.path)).read_bytes()).hexdigest()
    if tag.kind == "rfm":
        settings["rfm_bins"] = config.tagging.rfm_bins
    if tag.kind == "lifecycle":
        settings["lifecycle"] = config.tagging.lifecycle.model_dump()
    meaning = tag.model_dump(
        exclude={"name_zh", "name_en", "description", "description_zh", "owner", "value_names"}
    )
    text = json.dumps([meaning, settings], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load(engine: Engine) -> dict[str, Entry]:
    """Every tag the registry knows, by name."""
    rows = engine.fetch_all(
        "select name, version, fingerprint, definition, params, created_at, updated_at "
        "from tag_catalog"
    )
    return {
        str(r[0]): Entry(
            str(r[0]), int(r[1]), str(r[2]), json.loads(r[3]), json.loads(r[4]), r[5], r[6]
        )
        for r in rows
    }


def save(
    engine: Engine,
    catalog: Catalog,
    fingerprints: dict[str, str],
    params: dict[str, dict[str, Any]],
    known: dict[str, Entry],
) -> None:
    """Record this run's definitions: new tags get version 1, changed ones the next version."""
    now = datetime.now(UTC)
    for tag in catalog.tags:
        old = known.get(tag.name)
        changed = old is None or old.fingerprint != fingerprints[tag.name]
        if old is None:
            version = tag.version or 1
        else:
            version = tag.version or (old.version + 1 if changed else old.version)
        engine.execute("delete from tag_catalog where name = ?", [tag.name])
        engine.execute(
            "insert into tag_catalog values (?, ?, ?, ?, ?, ?, ?)",
            [
                tag.name,
                version,
                fingerprints[tag.name],
                tag.model_dump_json(),
                json.dumps(params.get(tag.name, {})),
                old.created_at if old else now,
                now if changed or old is None else old.updated_at,
            ],
        )
    current = [t.name for t in catalog.tags]
    if current:
        marks = ", ".join("?" for _ in current)
        engine.execute(f"delete from tag_catalog where name not in ({marks})", current)
    else:
        engine.execute("delete from tag_catalog")
