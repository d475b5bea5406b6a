"""The ingest stage: read every configured source into the store, batch by batch.

A file source is read file by file (a folder of daily exports is one source, each file its own
batch); a file already loaded unchanged is a no-op; a database source is one batch per read and a
no-op when its rows have not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from persona.config import ProjectConfig, Source
from persona.engine.base import Engine
from persona.model.errors import PersonaError
from persona.pipeline.ingest.batch import (
    BatchCounts,
    FileStamp,
    load_staged,
    resolve_mapping,
    settle,
)
from persona.pipeline.ingest.files import content_hash, source_files
from persona.pipeline.ingest.questions import load_question_bank
from persona.pipeline.ingest.stage import STAGE, add_absent_columns, stage_database, stage_file
from persona.privacy.suppression import Suppression, load_suppression

ProgressCallback = Callable[[str, str, int, int], None]
"""Called as (source name, file, files done, files in all) before each file."""


@dataclass
class SourceReport:
    """What one ingest run did for one source (this run's counts, not running totals)."""

    name: str
    kind: str
    received: int = 0
    loaded: int = 0
    quarantined: int = 0
    skipped: int = 0
    batches: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, counts: BatchCounts) -> None:
        """Add one batch's counts."""
        self.received += counts.received
        self.loaded += counts.loaded
        self.quarantined += counts.quarantined
        self.skipped += counts.skipped
        self.batches += 1
        if counts.forgotten:
            self.warnings.append(
                f"{counts.forgotten} record(s) skipped: forgotten (they name a person removed "
                "by `persona forget`)"
            )


def ingest(
    engine: Engine,
    config: ProjectConfig,
    project_dir: Path,
    names: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> list[SourceReport]:
    """Ingest the named sources (all when `names` is None); return one report per source.

    A source or file that cannot be read is reported in its `errors` and the others go on.
    """
    sources = [config.source(n) for n in names] if names else list(config.sources)
    settle(engine)  # rows a crash left marked between a batch's commit and its settle
    suppression = load_suppression(engine, project_dir, config.cleaning)
    reports = []
    for source in sources:
        report = SourceReport(source.name, source.kind.value)
        try:
            if source.url is not None:
                _ingest_database(engine, source, project_dir, report, suppression)
            else:
                _ingest_files(engine, source, project_dir, report, progress, suppression)
            if source.question_bank is not None:
                load_question_bank(engine, source, project_dir)
        except PersonaError as exc:
            report.errors.append(str(exc))
        finally:
            engine.drop(STAGE)
        reports.append(report)
    return reports


def _ingest_files(
    engine: Engine,
    source: Source,
    project_dir: Path,
    report: SourceReport,
    progress: ProgressCallback | None,
    suppression: Suppression | None,
) -> None:
    files = source_files(source, project_dir)
    for done, path in enumerate(files):
        shown = _display_path(path, project_dir)
        if progress is not None:
            progress(source.name, shown, done, len(files))
        try:
            stamp = _stamp_if_changed(engine, source, path, shown)
            if stamp is None:
                report.unchanged += 1
                continue
            with ExitStack() as scratch:
                staged = stage_file(engine, source, path, scratch)
                mapping, absent = resolve_mapping(source, staged)
                if absent:
                    add_absent_columns(engine, staged, absent)
                    report.warnings.append(
                        f"{shown}: no {', '.join(repr(a) for a in absent)} in any record; "
                        "read as empty"
                    )
                report.add(load_staged(engine, source, staged, mapping, stamp, suppression))
        except PersonaError as exc:
            report.errors.append(str(exc))
    if progress is not None:
        progress(source.name, "", len(files), len(files))


def _ingest_database(
    engine: Engine,
    source: Source,
    project_dir: Path,
    report: SourceReport,
    suppression: Suppression | None,
) -> None:
    staged = stage_database(engine, source, project_dir)
    mapping, _ = resolve_mapping(source, staged)
    columns = ", ".join(f'"{c}"' for c in staged.columns)
    fingerprint = engine.fetch_all(
        f"select count(*) || ':' || coalesce(sum(hash({columns}))::varchar, '0') from {STAGE}"
    )[0][0]
    seen = engine.fetch_all(
        "select 1 from batches where source = ? and content_hash = ? "
        "and batch_id = (select max(batch_id) from batches where source = ?)",
        [source.name, fingerprint, source.name],
    )
    if seen:
        report.unchanged += 1
        return
    stamp = FileStamp(staged.description, None, None, str(fingerprint))
    report.add(load_staged(engine, source, staged, mapping, stamp, suppression))


def _stamp_if_changed(engine: Engine, source: Source, path: Path, shown: str) -> FileStamp | None:
    """Return the file's stamp, or None when this exact content is already loaded."""
    stat = path.stat()
    same_stat = engine.fetch_all(
        "select 1 from batches where source = ? and file = ? and size = ? and mtime_ns = ?",
        [source.name, shown, stat.st_size, stat.st_mtime_ns],
    )
    if same_stat:
        return None
    digest = content_hash(path)
    if engine.fetch_all(
        "select 1 from batches where source = ? and content_hash = ?", [source.name, digest]
    ):
        return None
    return FileStamp(shown, stat.st_size, stat.st_mtime_ns, digest)


def _display_path(path: Path, project_dir: Path) -> str:
    try:
        return str(path.resolve().relative_to(project_dir.resolve()))
    except ValueError:
        return str(path.resolve())
