"""CLI commands over segments: persona segments fit|list|show|explain|migration."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from persona.cli.common import (
    JsonOpt,
    LangOpt,
    ProjectOpt,
    app,
    cell,
    make_table,
    out,
    print_json,
    project_session,
    records,
)
from persona.config import ProjectConfig
from persona.pipeline.segments import SegmentReport
from persona.report.i18n import Lang, text

segments_app = typer.Typer(
    help="Segments: fit them, list, show one, explain a customer, migration between snapshots.",
    no_args_is_help=True,
)
app.add_typer(segments_app, name="segments")


@segments_app.command("fit")
def segments_fit(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Run the segments stage again (after a build): fit, assign every customer, name."""
    with project_session(project, lang) as (opened, language):
        report = opened.segments.fit()
        if json_out:
            print_json(asdict(report))
            return
        print_report(report, language)
        if report.skipped is None:
            _print_list(records(opened.segments.list()), language, opened.config)


def print_report(report: SegmentReport, lang: Lang) -> None:
    """One line: how many segments, of how many customers, how stable (or why none)."""
    if report.skipped is not None:
        out.print(text("segments.skipped", lang, reason=report.skipped))
        return
    stability = "-" if report.stability is None else f"{report.stability:.2f}"
    out.print(
        text(
            "segments.done",
            lang,
            k=report.k,
            method=report.method,
            segmented=report.segmented,
            excluded=report.excluded,
            stability=stability,
            seconds=report.seconds,
        )
    )
    if report.kept_from is not None:
        out.print(text("segments.kept", lang, run=report.kept_from))


@segments_app.command("list")
def segments_list(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """List the segments: id, names, size, share and centre (feature means)."""
    with project_session(project, lang) as (opened, language):
        rows = records(opened.segments.list())
        if json_out:
            print_json(rows)
            return
        _print_list(rows, language, opened.config)


def _print_list(rows: list[dict[str, Any]], lang: Lang, config: ProjectConfig) -> None:
    k = config.privacy.k
    table = make_table(
        text("segments.list.title", lang), lang, ["segment", "name", "size", "share", "centre"]
    )
    for row in rows:
        name = row["name_zh"] if lang == "zh" else row["name_en"]
        centre = ", ".join(f"{f} {_value(v)}" for f, v in list(row["centre"].items())[:4])
        table.add_row(str(row["id"]), name, _size(row["size"], k), _share(row["share"], k), centre)
    out.print(table)


@segments_app.command("show")
def segments_show(
    segment: Annotated[str, typer.Argument(help="A segment id, or its name (zh or en).")],
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Show one segment: names, size, centre, the evidence for its name, and the fit."""
    with project_session(project, lang) as (opened, language):
        detail = opened.segments.show(segment)
        if json_out:
            print_json(detail)
            return
        k = opened.config.privacy.k
        out.print(f"[bold]{detail['id']} · {detail['name_zh']} / {detail['name_en']}[/bold]")
        out.print(
            f"  {text('col.size', language)}: {_size(detail['size'], k)}  "
            f"{text('col.share', language)}: {_share(detail['share'], k)}"
        )
        out.print(f"{text('segments.evidence', language)}:")
        for item in detail["evidence"]:
            out.print(f"  - {item['text_' + language]}", highlight=False)
        table = make_table(text("col.centre", language), language, ["field", "value"])
        for feature, value in detail["centre"].items():
            table.add_row(feature, _value(value))
        out.print(table)
        run = detail["run"]
        stability = "-" if run["stability"] is None else f"{run['stability']:.2f}"
        features = ", ".join(run["features"] or [])
        out.print(
            text(
                "segments.fit",
                language,
                method=detail["method"],
                k=run["k"],
                features=features,
                stability=stability,
            )
        )


@segments_app.command("explain")
def segments_explain(
    ref: Annotated[
        str, typer.Argument(help="A customer_id, record, or any identifier value (key, phone ...).")
    ],
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Explain why a customer is in their segment: nearest centres and the features that count."""
    with project_session(project, lang) as (opened, language):
        detail = opened.segments.explain(ref)
        if json_out:
            print_json(detail)
            return
        out.print(
            f"[bold]{detail['customer_id']}[/bold]: {detail['text_' + language]}", highlight=False
        )
        for item in detail["features"]:
            out.print(f"  - {item['text_' + language]}", highlight=False)
        for rule in detail.get("rules", []):
            mark = "✓" if rule["holds"] else "✗"
            out.print(f"  {mark} {rule['id']}: {rule['when']}", highlight=False, markup=False)


@segments_app.command("migration")
def segments_migration(
    old: Annotated[str, typer.Option("--from", help="Snapshot id, or previous / latest.")] = (
        "previous"
    ),
    new: Annotated[str, typer.Option("--to", help="Snapshot id, or previous / latest.")] = "latest",
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Show who moved from which segment to which between two snapshots, and the drift."""
    with project_session(project, lang) as (opened, language):
        result = opened.segments.migration(old, new)
        if json_out:
            print_json(result)
            return
        k = opened.config.privacy.k
        _print_migration(result, language, k)


def _print_migration(result: dict[str, Any], lang: Lang, k: int) -> None:
    def name(segments: list[dict[str, Any]], segment_id: int | None) -> str:
        if segment_id is None:
            return text("segments.none", lang)
        found = next((s for s in segments if s["id"] == segment_id), None)
        label = found[f"name_{lang}"] if found else ""
        return f"{segment_id} {label}"

    targets = [s["id"] for s in result["segments_to"]] + [None]
    sources = [s["id"] for s in result["segments_from"]] + [None]
    title = text("segments.migration.title", lang, old=result["from"], new=result["to"], k=k)
    table = make_table(title, lang, ["segment"])
    for target in targets:
        table.add_column(name(result["segments_to"], target), justify="right")
    cells = {(c["from"], c["to"]): c["count"] for c in result["matrix"]}
    for source in sources:
        row = [name(result["segments_from"], source)]
        for target in targets:
            if (source, target) not in cells:
                row.append("0")
            else:
                row.append(_size(cells[(source, target)], k))
        table.add_row(*row)
    out.print(table)
    totals = {key: _size(result[key], k) for key in ("stayed", "moved", "entered", "left")}
    out.print(text("segments.migration.totals", lang, **totals))
    for drift in result["drift"]:
        growth = "-" if drift["growth"] is None else f"{drift['growth']:+.1%}"
        changes = ", ".join(
            f"{c['feature']} {_value(c['from'])} → {_value(c['to'])}" for c in drift["centre"][:3]
        )
        out.print(
            text(
                "segments.drift",
                lang,
                name=drift[f"name_{lang}"],
                size_from=_size(drift["size_from"], k),
                size_to=_size(drift["size_to"], k),
                growth=growth,
                changes=changes or "-",
            ),
            highlight=False,
        )


def _size(value: int | None, k: int) -> str:
    return f"<{k}" if value is None else f"{value:,}"


def _share(value: float | None, k: int) -> str:
    return f"<{k}" if value is None else f"{value:.1%}"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    return cell(value)
