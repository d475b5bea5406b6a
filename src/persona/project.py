"""`Project`: the front object over one project folder (persona.yaml, data, store, out).

Example:
    >>> import persona
    >>> project = persona.Project.open("shop")          # doctest: +SKIP
    >>> project.ingest()                                # doctest: +SKIP
    >>> project.status()                                # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

from persona.analysis.audiences import Audiences
from persona.config import CONFIG_FILE, ProjectConfig, load_config
from persona.engine.duckdb import DuckDBEngine
from persona.export import write_frame
from persona.model.errors import ProjectError
from persona.pipeline.clean import run_clean
from persona.pipeline.features import FeatureReport, run_features
from persona.pipeline.ingest import ProgressCallback, SourceReport, ingest
from persona.pipeline.quality import QualityReport, quality_report
from persona.pipeline.resolve import ResolveReport, control, run_resolve
from persona.pipeline.resolve.decisions import append_decision, load_decisions
from persona.pipeline.resolve.evaluate import Evaluation, evaluate
from persona.pipeline.segments import MEMBERS as SEGMENT_MEMBERS
from persona.pipeline.segments import SEGMENTS, SegmentReport, run_segments
from persona.pipeline.segments.explain import explain_customer
from persona.pipeline.segments.inputs import build_source
from persona.pipeline.segments.migration import migration
from persona.pipeline.segments.read import list_segments, show_segment
from persona.pipeline.tags import TAGS, Catalog, TagReport, load_catalog, run_tags, stats
from persona.pipeline.tags.snapshots import (
    diff_snapshots,
    list_snapshots,
    resolve_snapshot,
    write_snapshot,
)
from persona.pipeline.tags.sources import read_table
from persona.privacy import audit
from persona.privacy.consent import exported_sql, left_out
from persona.privacy.forget import ForgetResult, forget_customer
from persona.privacy.masking import mask_frame, mask_value
from persona.privacy.pseudonym import project_secret, pseudonymise_frame
from persona.privacy.registry import register_export
from persona.privacy.retention import RetentionReport, apply_retention
from persona.report.cards import build_personas
from persona.report.labels import Lang
from persona.report.persona import Personas
from persona.store import STORE_DIR, migrate, store_path

COUNT_FIELDS = ("received", "loaded", "quarantined", "skipped")


INGEST_COLUMNS = ["name", "kind", *COUNT_FIELDS, "batches", "unchanged_files", "errors", "warnings"]


def ingest_frame(reports: list[SourceReport]) -> pd.DataFrame:
    """One row per source with this run's counts, batches, unchanged files and errors."""
    rows = [
        {
            "name": r.name,
            "kind": r.kind,
            **{k: getattr(r, k) for k in COUNT_FIELDS},
            "batches": r.batches,
            "unchanged_files": r.unchanged,
            "errors": list(r.errors),
            "warnings": list(r.warnings),
        }
        for r in reports
    ]
    return pd.DataFrame(rows, columns=INGEST_COLUMNS)


def ingest_errors(frame: pd.DataFrame) -> list[str]:
    """Every error of an ingest frame, prefixed with its source's name."""
    return [
        f"{name}: {e}"
        for name, errors in zip(frame["name"], frame["errors"], strict=True)
        for e in errors
    ]


@dataclass
class BuildResult:
    """What one `Project.build` run did."""

    build_id: int
    stages: list[str]
    ingest: pd.DataFrame
    started_at: datetime
    finished_at: datetime
    clean: pd.DataFrame
    quality: QualityReport
    resolve: ResolveReport
    features: FeatureReport
    tags: TagReport
    snapshot_id: int
    segments: SegmentReport | None = None
    retention: RetentionReport | None = None


def init_project(directory: Path) -> list[str]:
    """Create a project: a commented persona.yaml, data/ and out/; return what was created.

    Raises:
        ProjectError: when persona.yaml exists already or the folder cannot be written.
    """
    config = directory / CONFIG_FILE
    if config.exists():
        raise ProjectError(
            f"{config} already exists and was not overwritten; remove it or pick another folder"
        )
    from importlib.resources import files

    template = files("persona").joinpath("templates/persona.yaml").read_text(encoding="utf-8")
    try:
        for sub in ("data", "out"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        config.write_text(template.replace("{project}", directory.resolve().name), "utf-8")
    except OSError as exc:
        raise ProjectError(f"cannot create the project in {directory}: {exc}") from None
    return [CONFIG_FILE, "data/", "out/"]


class IdentityNamespace:
    """`project.identity`: find, explain, link, split and evaluate customers."""

    def __init__(self, project: Project) -> None:
        self._project = project

    def find(self, ref: str) -> str:
        """The customer_id a REF (id, record, or any identifier value) names."""
        return control.find_customer(self._project.engine, ref)

    def explain(self, ref: str) -> dict[str, Any]:
        """Every record and identifier of the REF's customer, with why it belongs."""
        return control.explain(self._project.engine, self.find(ref))

    def link(self, ref1: str, ref2: str) -> int:
        """Record that two REFs are one person (applied at every build); return its number.

        Decisions live in the project folder (identity-decisions.jsonl), so they survive any
        rebuild of the store.
        """
        nodes = control.decision_nodes(self._project.engine, "link", [ref1, ref2])
        return append_decision(self._project.root, "link", ref1, ref2, nodes)

    def split(self, ref: str) -> int:
        """Record that a record (or a phone, e-mail ...) must not link; return its number."""
        nodes = control.decision_nodes(self._project.engine, "split", [ref])
        return append_decision(self._project.root, "split", ref, None, nodes)

    def evaluate(self, truth: pd.DataFrame) -> Evaluation:
        """Pairwise precision/recall/F1 against truth (source, customer_key, entity_id)."""
        return evaluate(self._project.engine, self._project.config, truth)

    def health(self) -> dict[str, Any]:
        """Cluster sizes, the largest clusters and the share of singletons."""
        return control.health(self._project.engine)


class TagsNamespace:
    """`project.tags`: run the tags stage, read the catalog, compare snapshots."""

    def __init__(self, project: Project) -> None:
        self._project = project

    def run(self) -> TagReport:
        """Evaluate every tag into the `tags` table (see docs/tags.md)."""
        project = self._project
        return run_tags(project.engine, project.config, project.root)

    def catalog(self, lang: str | None = None) -> pd.DataFrame:
        """One row per tag: name, display name, category, kind, type, version, coverage."""
        project = self._project
        categories = project.config.tagging.category_names()
        rows = stats.listing(
            project.engine, self._catalog(), categories, lang or project.config.language
        )
        return pd.DataFrame(rows)

    def show(self, name: str, lang: str | None = None) -> dict[str, Any]:
        """One tag in full: definition, version, dates, values, coverage, lineage, accuracy."""
        project = self._project
        catalog = self._catalog()
        detail = stats.describe(project.engine, catalog, name, lang or project.config.language)
        sample = catalog.get(name).labelled_sample
        if sample is not None:
            detail["accuracy"] = self.accuracy(name, project.root / sample)
        return detail

    def coverage(self) -> pd.DataFrame:
        """Per tag: customers, covered, coverage, null share, distinct values."""
        return pd.DataFrame(stats.coverage(self._project.engine, self._catalog()))

    def accuracy(self, name: str, labels: Path) -> dict[str, Any]:
        """Precision and recall per value of a tag against a labelled sample file.

        The file's first column is a customer reference (customer_id or any identifier), its
        second the true value.
        """
        tag = self._catalog().get(name)
        frame = read_table(labels)
        if frame.shape[1] < 2:
            raise ProjectError(
                f"{labels} needs two columns: a customer reference and the true value"
            )
        return stats.accuracy(self._project.engine, tag, frame, str(labels))

    def snapshots(self) -> list[dict[str, Any]]:
        """The kept snapshots, newest first."""
        return list_snapshots(self._project.engine)

    def diff(self, old: str | int = "previous", new: str | int = "latest") -> dict[str, Any]:
        """Per tag, how many customers' values changed between two snapshots, and how."""
        engine = self._project.engine
        return diff_snapshots(engine, resolve_snapshot(engine, old), resolve_snapshot(engine, new))

    def _catalog(self) -> Catalog:
        project = self._project
        if not project.engine.table_exists(TAGS):
            raise ProjectError("no tags yet: run `persona build` first")
        return load_catalog(project.engine, project.config, project.root)


class SegmentsNamespace:
    """`project.segments`: fit, list, show and explain segments; migration between snapshots.

    Sizes and counts of fewer than `privacy.k` customers are shown as None (DESIGN.md 9).
    """

    def __init__(self, project: Project) -> None:
        self._project = project

    def fit(self, *, refit: bool = True) -> SegmentReport:
        """Run the segments stage: fit, assign every customer, name (see docs/segments.md).

        With `refit` False the last fit's model is kept when the settings allow it (what a
        build does after refreshing only some customers' features).
        """
        return run_segments(self._project.engine, self._project.config, refit=refit)

    def list(self) -> pd.DataFrame:
        """One row per segment: id, name_zh, name_en, size, share, centre."""
        rows = list_segments(self._project.engine, self._project.config.privacy.k)
        frame = pd.DataFrame(rows, columns=["id", "name_zh", "name_en", "size", "share", "centre"])
        frame["size"] = frame["size"].astype("Int64")  # None below privacy.k
        return frame

    def show(self, ref: str | int) -> dict[str, Any]:
        """One segment (by id or name): size, centre, evidence, and the fit that made it."""
        return show_segment(self._project.engine, ref, self._project.config.privacy.k)

    def explain(self, ref: str) -> dict[str, Any]:
        """Why a customer (any REF) is in their segment: distances and the features that count."""
        project = self._project
        customer_id = project.identity.find(ref)
        source = build_source(project.engine)
        return explain_customer(project.engine, source, customer_id)

    def migration(self, old: str | int = "previous", new: str | int = "latest") -> dict[str, Any]:
        """Who moved from which segment to which between two snapshots, and how each drifted."""
        engine = self._project.engine
        return migration(
            engine,
            resolve_snapshot(engine, old),
            resolve_snapshot(engine, new),
            self._project.config.privacy.k,
        )


class Project:
    """One Persona project folder.

    Use `Project.open(path)`; close it (or use it as a context manager) to release the store.
    """

    def __init__(self, root: Path, config: ProjectConfig, engine: DuckDBEngine) -> None:
        self.root = root
        self.config = config
        self.engine = engine
        self.messages: list[str] = []
        self.identity = IdentityNamespace(self)
        self.tags = TagsNamespace(self)
        self.segments = SegmentsNamespace(self)
        self.audiences = Audiences(self)

    @classmethod
    def open(cls, path: str | Path = ".", *, memory_limit: str = "3GB") -> Project:
        """Open a project folder: read persona.yaml and open (or create, or upgrade) its store.

        Raises:
            ConfigError: persona.yaml is missing or invalid.
            StoreError: the store cannot be opened or was written by a newer Persona.
        """
        root = Path(path).resolve()
        config = load_config(root)
        store = store_path(root)
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"cannot create {root / STORE_DIR}: {exc}") from None
        engine = DuckDBEngine(store, timezone=config.timezone, memory_limit=memory_limit)
        try:
            report = migrate(engine)
        except BaseException:
            engine.close()
            raise
        project = cls(root, config, engine)
        project.messages.extend(report.messages)
        return project

    def __enter__(self) -> Project:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the store (and the audience file)."""
        self.audiences.close()
        self.engine.close()

    @property
    def store_path(self) -> Path:
        """The store file."""
        return store_path(self.root)

    # -- stages ------------------------------------------------------------------------------

    def ingest(
        self, sources: Sequence[str] | None = None, progress: ProgressCallback | None = None
    ) -> pd.DataFrame:
        """Ingest the named sources (default: all); return this run's counts, one row a source.

        Columns: name, kind, received, loaded, quarantined, skipped, batches, unchanged_files,
        errors (a list of messages; a file that cannot be read does not stop the others) and
        warnings.
        """
        return ingest_frame(ingest(self.engine, self.config, self.root, sources, progress))

    def build(
        self,
        progress: ProgressCallback | None = None,
        as_of: datetime | None = None,
        *,
        full: bool = False,
    ) -> BuildResult:
        """Run every pipeline stage, in order; record the build and write a snapshot.

        Features and tags are refreshed for the affected customers only when the new data
        allow it (docs/tags.md, "Incremental refresh"), unless `full`.

        Args:
            progress: Called before each file the ingest reads.
            as_of: Features use nothing after this time (default: the data's latest time).
            full: Rebuild the identity graph and recompute every customer's features and tags.
        """
        started = datetime.now(UTC)
        result = self.ingest(progress=progress)
        retention = apply_retention(self.engine, self.config.privacy, as_of)
        full = full or bool(retention and retention.removed)  # old records left: recompute all
        load_catalog(self.engine, self.config, self.root)  # tag mistakes stop the build early
        cleaned = self.clean()
        resolved = self.resolve(full=full)
        features = run_features(self.engine, self.config, as_of, incremental=not full)
        tags = self.tags.run()
        segments = self.segments.fit(refit=not features.incremental)
        quality = self.quality()
        self.engine.execute(  # the report shows the quality of the data it was built from
            "insert or replace into _persona_meta values ('quality_report', ?)",
            [json.dumps(quality.to_dict())],
        )
        stages = ["ingest", "clean", "resolve", "features", "tags", "segments", "quality"]
        if retention is not None:
            stages.insert(1, "retention")
        finished = datetime.now(UTC)
        with self.engine.transaction():
            build_id = int(
                self.engine.fetch_all("select coalesce(max(build_id), 0) + 1 from builds")[0][0]
            )
            self.engine.execute(
                "insert into builds values (?, ?, ?, ?)",
                [build_id, started, finished, json.dumps(stages)],
            )
        snapshot_id = write_snapshot(
            self.engine,
            build_id,
            features.as_of,
            incremental=features.incremental,
            recomputed=features.recomputed,
            retention=self.config.tagging.retention,
        )
        return BuildResult(
            build_id,
            stages,
            result,
            started,
            finished,
            cleaned,
            quality,
            resolved,
            features,
            tags,
            snapshot_id,
            segments,
            retention,
        )

    def clean(self) -> pd.DataFrame:
        """Run the clean stage; return per source the records cleaned and duplicates dropped."""
        counts = run_clean(self.engine, self.config.cleaning)
        return pd.DataFrame(
            [asdict(c) for c in counts], columns=["source", "kind", "cleaned", "duplicates"]
        )

    def resolve(self, *, full: bool = False) -> ResolveReport:
        """Run the resolve stage: link clean records into customers (see docs/identity.md).

        Args:
            full: Rebuild the identity graph even when the new records cannot change it.
        """
        return run_resolve(
            self.engine, self.config, _splink_matcher, load_decisions(self.root), full=full
        )

    def features(self, as_of: datetime | None = None) -> FeatureReport:
        """Run the features stage: one wide row per customer (see docs/features.md)."""
        return run_features(self.engine, self.config, as_of)

    def quality(self) -> QualityReport:
        """The data-quality report of every source (see `persona.pipeline.quality`)."""
        return quality_report(self.engine, self.config)

    def personas(self, lang: Lang | None = None) -> Personas:
        """One persona card per segment, with priorities (see docs/report.md).

        Counts and shares of fewer than `privacy.k` customers are suppressed.

        Raises:
            ProjectError: before the segments stage has run.
        """
        return build_personas(self.engine, self.config, lang or self.config.language)

    def report(
        self, path: str | Path | None = None, fmt: str | None = None, lang: Lang | None = None
    ) -> Path:
        """Write the persona report (self-contained HTML or PDF); return the file.

        Args:
            path: The file (default: out/persona-report-<lang>.<format>).
            fmt: html or pdf (default: from the suffix, else html).
            lang: zh or en (default: the project's language).

        Raises:
            ProjectError: before the segments stage has run, or for an unknown format.
        """
        from persona.report.document import write_report

        target = Path(path) if path is not None else None
        return write_report(self, target, fmt, lang or self.config.language)

    # -- reading the store -------------------------------------------------------------------

    def status(self) -> pd.DataFrame:
        """Running totals per configured source: batches and received/loaded/quarantined/skipped."""
        totals = self.engine.fetch_df(
            "select source as name, count(*) as batches, "
            + ", ".join(f"coalesce(sum({k}), 0)::bigint as {k}" for k in COUNT_FIELDS)
            + ", max(finished_at) as last_ingest from batches group by source"
        )
        rows = []
        for source in self.config.sources:
            match = totals[totals["name"] == source.name]
            row: dict[str, Any] = {"name": source.name, "kind": source.kind.value}
            for key in ("batches", *COUNT_FIELDS):
                row[key] = int(match[key].iloc[0]) if len(match) else 0
            row["last_ingest"] = match["last_ingest"].iloc[0] if len(match) else None
            rows.append(row)
        return pd.DataFrame(rows, columns=["name", "kind", "batches", *COUNT_FIELDS, "last_ingest"])

    def last_build_time(self) -> datetime | None:
        """When the last build finished, or None."""
        value = self.engine.fetch_all("select max(finished_at) from builds")[0][0]
        return value if isinstance(value, datetime) else None

    def export_quarantine(self, path: Path, source: str | None = None) -> int:
        """Write quarantined records to a file for fixing; return how many.

        For one source, each record comes back in the source's own columns (plus
        ``quarantine_line`` and ``quarantine_reason``), so the fixed file can be put back into
        the source's folder and ingested; a line the reader could not split is in ``raw_line``.
        Without a source, the listing of `quarantine()` is written.
        """
        frame = self.quarantine(source)
        if source is not None:
            frame = _as_source_rows(frame)
        return write_frame(frame, path)

    def profile(self, ref: str, *, unmask: bool = False) -> dict[str, Any]:
        """One customer's 360° view: attributes, identifiers, sources, coverage, records.

        Direct identifiers are masked unless `unmask` (DESIGN.md section 9).
        """
        customer_id = self.identity.find(ref)
        row = self.engine.fetch_df("select * from customers where customer_id = ?", [customer_id])
        data = {str(k): _plain(v) for k, v in row.iloc[0].to_dict().items()}
        identifiers = {k: data.pop(k) for k in list(data) if k in IDENTIFIER_LISTS}
        coverage = {k.removeprefix("has_"): data.pop(k) for k in list(data) if k.startswith("has_")}
        classes = self.config.privacy.fields
        show = (lambda _k, v: v) if unmask else (lambda k, v: mask_value(k, v, classes))
        if unmask:
            audit.record(self.engine, "unmask", "profile", {"fields": "direct identifiers"})
        return {
            "customer_id": customer_id,
            "attributes": {
                k: show(k, v)
                for k, v in data.items()
                if k not in ("customer_id", "sources", "profile_records")
            },
            "identifiers": {k: show(k, v) for k, v in identifiers.items() if v},
            "sources": data["sources"],
            "coverage": coverage,
            "profile_records": data["profile_records"],
            "features": self._row_of("features", customer_id),
            "tags": self._row_of(TAGS, customer_id),
            **self._segment_of(customer_id),
            "masked": not unmask,
        }

    def _segment_of(self, customer_id: str) -> dict[str, Any]:
        """``segment_id`` and ``segment_name`` (project language) of a customer, or None."""
        found: list[tuple[Any, ...]] = []
        if self.engine.table_exists(SEGMENT_MEMBERS) and self.engine.table_exists(SEGMENTS):
            found = self.engine.fetch_all(
                f"select m.segment_id, s.name_zh, s.name_en from {SEGMENT_MEMBERS} m "
                f"join {SEGMENTS} s on s.segment_id = m.segment_id where m.customer_id = ?",
                [customer_id],
            )
        if not found:
            return {"segment_id": None, "segment_name": None}
        segment_id, zh, en = found[0]
        return {
            "segment_id": int(segment_id),
            "segment_name": zh if self.config.language == "zh" else en,
        }

    def forget(self, ref: str) -> ForgetResult:
        """Remove one person (any REF) from every table, snapshot and the export registry.

        Their identifiers are suppressed, so a later ingest does not bring them back; the
        identity decisions naming them are dropped; derived audience tables and the stored
        quality report are rebuilt without them (docs/privacy.md). The store is then replaced
        by a fresh copy, so `project.engine` is a new engine afterwards (the old one is closed).
        """
        result = forget_customer(
            self.engine, self.root, self.identity.find(ref), self.config.cleaning
        )
        self.audiences.invalidate()
        if self.engine.fetch_all("select 1 from _persona_meta where key = 'quality_report'"):
            self.engine.execute(
                "insert or replace into _persona_meta values ('quality_report', ?)",
                [json.dumps(self.quality().to_dict())],
            )
        self._rewrite_store()
        return result

    def _rewrite_store(self) -> None:
        """Swap in a fresh copy of the store, so deleted rows leave no bytes in the file.

        DuckDB reuses the blocks of deleted rows but does not overwrite them; a copy holds
        only live rows. Temporary tables of this connection are gone afterwards.
        """
        fresh = self.store_path.with_name("store.rewrite.duckdb")
        self.engine.copy_to(fresh)
        engine = self.engine
        self.audiences.close()
        engine.close()
        os.replace(fresh, self.store_path)
        self.store_path.with_name(self.store_path.name + ".wal").unlink(missing_ok=True)
        self.engine = DuckDBEngine(
            self.store_path, timezone=engine.timezone, memory_limit=engine.memory_limit
        )

    def audit(self, action: str | None = None, limit: int | None = None) -> pd.DataFrame:
        """The audit log of privacy-relevant actions, newest first (detail as a dict).

        Raises:
            ProjectError: for an action that is not one of `persona.privacy.audit.ACTIONS`.
        """
        if action is not None and action not in audit.ACTIONS:
            raise ProjectError(
                f"unknown audit action {action!r}; use one of {', '.join(audit.ACTIONS)}"
            )
        frame = audit.entries(self.engine, action, limit)
        frame["detail"] = frame["detail"].map(json.loads)
        return frame

    def export_customers(
        self,
        path: Path,
        fmt: str | None = None,
        *,
        unmask: bool = False,
        pseudonymise: bool = False,
        include_opted_out: bool = False,
    ) -> int:
        """Write one row per customer: customer_id, customer_key(s), features, tags, segment.

        Several customer keys are joined by |; `segment_id` and `segment_name` (in the
        project's language) are empty for customers not segmented. Customers who refused
        analytics are left out, and so are those who refused marketing unless
        `include_opted_out` (`persona.privacy.consent.left_out` counts them); direct identifiers
        (persona.yaml ``privacy.fields`` included) are masked. The export is recorded in the
        export registry and the audit log (docs/privacy.md).

        Args:
            path: The file to write.
            fmt: csv or parquet (default: from the suffix).
            unmask: Write direct identifiers as they are (audited as ``unmask``).
            pseudonymise: For sharing: ids as keyed hashes of the project secret, direct
                identifiers dropped (audited as ``pseudonymise``).
            include_opted_out: Keep customers who refused marketing (for analysis only).

        Returns:
            The number of customers written.

        Raises:
            ProjectError: before a build, for an unknown format, or unmask with pseudonymise.
        """
        if not self.engine.table_exists("customers"):
            raise ProjectError("no customers yet: run `persona build` first")
        if unmask and pseudonymise:
            raise ProjectError(
                "--unmask and --pseudonymise contradict each other: a pseudonymised export "
                "drops direct identifiers; choose one"
            )
        fmt = fmt or path.suffix.lower().lstrip(".")
        if fmt not in ("csv", "parquet"):
            raise ProjectError(f"cannot export customers as {fmt!r}; use csv or parquet")
        joins, selected = [], []
        for alias, table in (("f", "features"), ("t", TAGS)):
            if self.engine.table_exists(table):
                joins.append(
                    f"left join (select * exclude (customer_id), customer_id as _{alias}_id "
                    f"from {table}) {alias} on {alias}._{alias}_id = c.customer_id"
                )
                selected.append(f", {alias}.* exclude (_{alias}_id)")
        if self.engine.table_exists(SEGMENT_MEMBERS) and self.engine.table_exists(SEGMENTS):
            name = "name_zh" if self.config.language == "zh" else "name_en"
            joins.append(
                f"left join (select m.customer_id as _s_id, m.segment_id, s.{name} as "
                f"segment_name from {SEGMENT_MEMBERS} m join {SEGMENTS} s "
                "on s.segment_id = m.segment_id) sg on sg._s_id = c.customer_id"
            )
            selected.append(", sg.segment_id, sg.segment_name")
        frame = self.engine.fetch_df(
            "select c.customer_id, nullif(array_to_string(c.customer_keys, '|'), '') "
            f"as customer_key{''.join(selected)} from customers c {' '.join(joins)} "
            f"where {exported_sql(include_opted_out, 'c')} order by c.customer_id"
        )
        classes = self.config.privacy.fields
        if pseudonymise:
            secret = project_secret(self.root / STORE_DIR)
            shared = pseudonymise_frame(frame, secret, classes)
        else:
            shared = frame if unmask else mask_frame(frame, classes)
        written = write_frame(shared, path, fmt)
        fields = list(shared.columns)
        self._register_customers_export(
            frame, path, fmt, fields, (unmask, pseudonymise, include_opted_out)
        )
        return written

    def _register_customers_export(
        self,
        frame: pd.DataFrame,
        path: Path,
        fmt: str,
        fields: list[str],
        flags: tuple[bool, bool, bool],
    ) -> None:
        """Record a customers export in the export registry and the audit log.

        `flags`: unmask, pseudonymise and include_opted_out as the export was asked.
        """
        unmask, pseudonymise, include_opted_out = flags
        members = "_customers_export"
        self.engine.execute(f"create or replace temp table {members} (customer_id VARCHAR)")
        try:
            self.engine.insert_rows(members, [(c,) for c in frame["customer_id"]])
            export_id = register_export(
                self.engine,
                members=members,
                audience=None,
                expression=None,
                fmt=fmt,
                target=str(path),
                fields=[str(f) for f in fields],
                masked=not unmask,
                pseudonymised=pseudonymise,
                file=path,
            )
        finally:
            self.engine.drop(members)
        detail = {
            "export_id": export_id,
            "format": fmt,
            "count": len(frame),
            "left_out": left_out(self.engine, include_opted_out),
        }
        audit.record(self.engine, "export", "customers export", detail)
        if unmask or pseudonymise:
            action = "pseudonymise" if pseudonymise else "unmask"
            audit.record(self.engine, action, "customers export", detail)

    def _row_of(self, table: str, customer_id: str) -> dict[str, Any]:
        """A customer's row of `features` or `tags` as name -> value (empty before a build)."""
        if not self.engine.table_exists(table):
            return {}
        row = self.engine.fetch_df(f"select * from {table} where customer_id = ?", [customer_id])
        if row.empty:
            return {}
        return {str(k): _plain(v) for k, v in row.iloc[0].to_dict().items() if k != "customer_id"}

    def quarantine(self, source: str | None = None) -> pd.DataFrame:
        """The quarantined records (all, or one source's), oldest batch first."""
        if source is not None:
            self.config.source(source)
        where = "where source = ?" if source else ""
        return self.engine.fetch_df(
            "select source, file, line, column_name as column, value, reason, record, batch_id "
            f"from quarantine {where} order by batch_id, line",
            [source] if source else None,
        )


def _as_source_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantine rows back in their source's columns, with their line and reason."""
    rows: list[dict[str, Any]] = []
    for line, reason, record in zip(frame["line"], frame["reason"], frame["record"], strict=True):
        try:
            values = json.loads(record) if isinstance(record, str) else None
        except json.JSONDecodeError:
            values = None
        row = values if isinstance(values, dict) else {"raw_line": record}
        rows.append({**row, "quarantine_line": line, "quarantine_reason": reason})
    return pd.DataFrame(rows)


def _splink_matcher(records: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Probable matches between profile records (Splink is imported only when needed)."""
    from persona.pipeline.matching import MatchSettings, predict_matches

    return predict_matches(records, MatchSettings(threshold=threshold))


IDENTIFIER_LISTS = (
    "customer_keys",
    "emails",
    "phones",
    "device_ids",
    "member_nos",
    "unionids",
    "id_numbers",
)


def _plain(value: Any) -> Any:
    """A store value as plain JSON-ready Python (lists, str dates, None for missing)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp) and value.tz is None and value == value.normalize():
        return value.date().isoformat()  # a DATE column (birth_date) read back by pandas
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    return value
