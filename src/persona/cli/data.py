"""CLI commands over the data pipeline: init, demo, ingest, status, quarantine, build, quality."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from persona.cli.common import (
    AsOfOpt,
    JsonOpt,
    LangOpt,
    ProjectOpt,
    app,
    cell,
    err,
    make_table,
    out,
    parse_as_of,
    print_json,
    progress_bar,
    project_session,
    records,
    user_errors,
)
from persona.cli.segments import print_report as print_segments
from persona.config import CONFIG_FILE, schema_json
from persona.project import COUNT_FIELDS, BuildResult, Project, ingest_errors, init_project
from persona.report.i18n import Lang, resolve_lang, text
from persona.report.labels import t as report_text
from persona.store import store_path


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")],
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Create a project: a commented persona.yaml, data/ and out/."""
    language = resolve_lang(lang)
    with user_errors(language):
        created = init_project(directory)
        if json_out:
            print_json({"project": str(directory.resolve()), "created": created})
        else:
            out.print(text("init.done", language, path=directory))


@app.command()
def schema(project: ProjectOpt = Path("."), json_out: JsonOpt = False) -> None:
    """Print the JSON schema of persona.yaml (for editor completion)."""
    sys.stdout.write(schema_json() + "\n")


CustomersOpt = Annotated[int, typer.Option(help="Number of customers.", min=10)]
SeedOpt = Annotated[int, typer.Option(help="Random seed (same seed, same data).")]
DemoLangOpt = Annotated[str, typer.Option(help="Language of the data and messages: zh or en.")]


@app.command("demo-data")
def demo_data(
    directory: Annotated[Path, typer.Argument(help="Folder to write the demo project into.")],
    customers: CustomersOpt = 2000,
    seed: SeedOpt = 7,
    lang: DemoLangOpt = "zh",
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Write a realistic demo project with planted ground truth in DIR/truth/."""
    language = resolve_lang(lang)
    with user_errors(language):
        summary = _generate_demo(directory, customers, seed, language)
        if json_out:
            print_json(summary)
        else:
            out.print(text("demo.data", language, path=directory, **summary))


def _generate_demo(directory: Path, customers: int, seed: int, lang: Lang) -> dict[str, Any]:
    from persona.demo import generate_demo

    summary = generate_demo(directory, customers=customers, seed=seed, lang=lang)
    data = asdict(summary)
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in data.items()}


@app.command("ingest")
def ingest_command(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Read the sources into the store; print this run's counts per source."""
    with project_session(project, lang) as (opened, language):
        with progress_bar(not json_out) as progress:
            result = opened.ingest(source, progress)
        _report_ingest(result, json_out, language)


def _report_ingest(frame: pd.DataFrame, json_out: bool, lang: Lang) -> None:
    if json_out:
        print_json({"sources": records(frame)})
    else:
        _print_ingest(frame, lang)
    if ingest_errors(frame):
        raise typer.Exit(1)


def _print_ingest(frame: pd.DataFrame, lang: Lang) -> None:
    """The ingest table, then warnings and errors on stderr."""
    table = make_table(text("ingest.title", lang), lang, ["source", "kind", *COUNT_FIELDS])
    for row in records(frame):
        table.add_row(row["name"], row["kind"], *(f"{row[k]:,}" for k in COUNT_FIELDS))
    out.print(table)
    for name, warnings in zip(frame["name"], frame["warnings"], strict=True):
        for warning in warnings:
            err.print(f"[yellow]{name}:[/] {warning}", highlight=False)
    errors = ingest_errors(frame)
    if errors:
        err.print(text("ingest.errors", lang, n=len(errors)))
        for error in errors:
            err.print(f"  - {error}", highlight=False, markup=False)


@app.command()
def status(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Show running totals per source, the store and the last build."""
    with project_session(project, lang) as (opened, language):
        frame = opened.status()
        last_build = opened.last_build_time()
        if json_out:
            print_json(
                {
                    "store": str(opened.store_path),
                    "last_build": last_build,
                    "sources": records(frame),
                }
            )
            return
        table = make_table(
            text("status.title", language), language, ["source", "kind", "batches", *COUNT_FIELDS]
        )
        for row in frame.itertuples(index=False):
            table.add_row(
                str(row.name),
                str(row.kind),
                f"{row.batches:,}",
                *(f"{getattr(row, k):,}" for k in COUNT_FIELDS),
            )
        out.print(table)
        out.print(text("status.store", language, path=opened.store_path))
        when = last_build.isoformat(timespec="seconds") if last_build else None
        out.print(text("status.last_build", language, time=when or text("status.never", language)))


@app.command()
def quarantine(
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")] = None,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Write the records to FILE (.csv, .xlsx, .jsonl, .parquet)."),
    ] = None,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List the records that could not be loaded, with the reason and the fix."""
    with project_session(project, lang) as (opened, language):
        frame = opened.quarantine(source)
        if export is not None:
            written = opened.export_quarantine(export, source)
            if json_out:
                print_json({"exported": written, "file": str(export)})
            else:
                out.print(text("quarantine.exported", language, n=written, path=export))
            return
        if json_out:
            print_json({"count": len(frame), "records": records(frame)})
            return
        if frame.empty:
            out.print(text("quarantine.none", language))
            return
        table = make_table("quarantine", language, ["source", "file", "line", "column", "reason"])
        for row in frame.head(200).itertuples(index=False):
            table.add_row(
                *(cell(v) for v in (row.source, row.file, row.line, row.column, row.reason))
            )
        out.print(table)
        out.print(text("quarantine.count", language, n=len(frame)))


@app.command()
def build(
    as_of: AsOfOpt = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Rebuild the identity graph and recompute every customer's features and tags.",
        ),
    ] = False,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Run every pipeline stage (ingest to tags and quality); record a build and a snapshot."""
    with project_session(project, lang) as (opened, language):
        with progress_bar(not json_out) as progress:
            result = opened.build(progress, parse_as_of(as_of), full=full)
        _report_build(result, json_out, language)


@app.command()
def features(
    as_of: AsOfOpt = None,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Recompute the per-customer features (after a build), optionally as of a date."""
    with project_session(project, lang) as (opened, language):
        report = opened.features(parse_as_of(as_of))
        if json_out:
            print_json(asdict(report))
        else:
            out.print(
                text(
                    "features.done",
                    language,
                    customers=report.customers,
                    columns=len(report.columns),
                    as_of=report.as_of,
                    seconds=report.seconds,
                )
            )


def _build_dict(result: BuildResult) -> dict[str, Any]:
    return {
        "build_id": result.build_id,
        "stages": result.stages,
        "seconds": (result.finished_at - result.started_at).total_seconds(),
        "sources": records(result.ingest),
        "clean": records(result.clean),
        "resolve": asdict(result.resolve),
        "features": {
            "as_of": result.features.as_of,
            "customers": result.features.customers,
            "columns": len(result.features.columns),
            "recomputed": result.features.recomputed,
            "incremental": result.features.incremental,
            "full_reason": result.features.full_reason,
        },
        "tags": {
            "tags": len(result.tags.tags),
            "customers": result.tags.customers,
            "seconds": result.tags.seconds,
            "profiling_refused": result.tags.profiling_refused,
        },
        "retention": (
            {"removed": result.retention.removed, "cutoffs": result.retention.cutoffs}
            if result.retention is not None
            else None
        ),
        "segments": asdict(result.segments) if result.segments else None,
        "snapshot_id": result.snapshot_id,
        "quality_score": result.quality.score,
    }


def _report_build(result: BuildResult, json_out: bool, lang: Lang, **extra: Any) -> None:
    if json_out:
        print_json({**extra, **_build_dict(result)})
        if ingest_errors(result.ingest):
            raise typer.Exit(1)
        return
    _print_ingest(result.ingest, lang)
    duplicates = int(result.clean["duplicates"].sum()) if len(result.clean) else 0
    out.print(text("build.clean", lang, duplicates=duplicates, score=result.quality.score))
    report = result.features
    out.print(
        text(
            "features.done",
            lang,
            customers=report.customers,
            columns=len(report.columns),
            as_of=report.as_of,
            seconds=report.seconds,
        )
    )
    if report.incremental:
        out.print(text("build.refresh", lang, n=report.recomputed))
    out.print(
        text(
            "tags.done",
            lang,
            tags=len(result.tags.tags),
            customers=result.tags.customers,
            snapshot=result.snapshot_id,
        )
    )
    if result.tags.profiling_refused:
        out.print(text("privacy.tags.refused", lang, n=result.tags.profiling_refused))
    if result.retention is not None and result.retention.removed:
        out.print(
            text(
                "privacy.retention",
                lang,
                n=result.retention.total,
                cutoff=", ".join(
                    f"{kind} {cutoff:%Y-%m-%d}" for kind, cutoff in result.retention.cutoffs.items()
                ),
                tables=", ".join(f"{t} {n}" for t, n in result.retention.removed.items()),
            )
        )
    if result.segments is not None:
        print_segments(result.segments, lang)
    resolved = result.resolve
    out.print(
        text(
            "build.resolve",
            lang,
            records=resolved.records,
            customers=resolved.customers,
            matches=resolved.matched_pairs,
            excluded=resolved.excluded,
        )
    )
    for stale in resolved.stale_decisions:
        err.print(text("build.stale", lang, decision=stale), highlight=False)
    seconds = (result.finished_at - result.started_at).total_seconds()
    stages = ", ".join(result.stages)
    out.print(text("build.done", lang, build_id=result.build_id, stages=stages, seconds=seconds))
    if ingest_errors(result.ingest):
        raise typer.Exit(1)


@app.command()
def quality(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Show the data-quality report: completeness, validity, uniqueness, freshness per source."""
    with project_session(project, lang) as (opened, language):
        report = opened.quality()
        if json_out:
            print_json(report.to_dict())
            return
        table = make_table(
            text("quality.title", language, score=report.score),
            language,
            ["source", "field", "completeness", "validity", "uniqueness", "distinct", "top"],
        )
        for source in report.sources:
            table.add_section()
            for f in source.fields:
                top = ", ".join(f"{v} ({n:,})" for v, n in f.top[:3])
                table.add_row(
                    source.name,
                    f.field,
                    f"{f.completeness:.1%}",
                    f"{f.validity:.1%}",
                    f"{f.uniqueness:.1%}",
                    f"{f.distinct:,}",
                    top,
                )
        out.print(table)
        for source in report.sources:
            out.print(
                text(
                    "quality.source",
                    language,
                    name=source.name,
                    score=source.score,
                    records=source.records,
                    newest=source.newest or "-",
                    days=source.days_since_newest if source.days_since_newest is not None else "-",
                )
            )
        if report.coverage:
            shares = ", ".join(
                f"{text('kind.' + k, language)} {v:.0%}"
                for k, v in report.coverage["share_with"].items()
            )
            out.print(
                text(
                    "quality.coverage",
                    language,
                    shares=shares,
                    customers=report.coverage["customers"],
                )
            )


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo project.")] = Path("demo"),
    customers: CustomersOpt = 5000,
    seed: SeedOpt = 7,
    lang: DemoLangOpt = "zh",
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Generate the demo data, build it, write the report (zh and en) and say where."""
    language = resolve_lang(lang)
    with user_errors(language):
        summary = _generate_demo(directory, customers, seed, language)
        with Project.open(directory) as opened:
            with progress_bar(not json_out) as progress:
                result = opened.build(progress)
            reports = [opened.report(lang=report_lang) for report_lang in ("zh", "en")]
        if not json_out:
            out.print(text("demo.data", language, path=directory, **summary))
        _report_build(result, json_out, language, demo=summary, reports=reports)
        if json_out:
            return
        out.print(
            text(
                "demo.where",
                language,
                project=directory / CONFIG_FILE,
                store=store_path(directory),
                truth=directory / "truth",
            )
        )
        out.print(text("demo.next", language, path=directory))
        for written in reports:
            out.print(report_text("cli.report.written", language, path=written), highlight=False)
