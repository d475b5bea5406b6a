"""CLI commands over the tag catalog: persona tags list|show|coverage|accuracy|snapshots|diff."""

from __future__ import annotations

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
from persona.report.i18n import Lang, text

tags_app = typer.Typer(
    help="The tag catalog: list, show, coverage, accuracy, snapshots and their differences.",
    no_args_is_help=True,
)
app.add_typer(tags_app, name="tags")
NameArg = Annotated[str, typer.Argument(help="A tag name, e.g. rfm_class.")]


@tags_app.command("list")
def tags_list(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """List every tag: name, category, kind, version and coverage."""
    with project_session(project, lang) as (opened, language):
        frame = opened.tags.catalog(language)
        if json_out:
            print_json(records(frame))
            return
        columns = ["tag", "name", "category_name", "kind", "type", "version", "coverage"]
        table = make_table(text("tags.list.title", language), language, columns)
        for row in records(frame):
            row["coverage"] = _percent(row["coverage"])
            table.add_row(*(cell(row[c]) for c in columns))
        out.print(table)


@tags_app.command("show")
def tags_show(
    name: NameArg, project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Show one tag: definition, version, dates, value distribution, lineage (and accuracy)."""
    with project_session(project, lang) as (opened, language):
        detail = opened.tags.show(name, language)
        if json_out:
            print_json(detail)
            return
        title = f"{detail['name']} · {detail['name_zh']} / {detail['name_en']}"
        description = detail["description_zh"] if language == "zh" else detail["description"]
        out.print(f"[bold]{title}[/bold]\n{description or detail['description']}")
        for key in ("category", "kind", "type", "version", "owner", "defined_in", "updated_at"):
            out.print(f"  {key}: {cell(detail[key])}")
        out.print(f"  uses: {', '.join(detail['uses'])}")
        table = make_table(name, language, ["value", "name", "count", "share"])
        for value in detail["values"]:
            share = _percent(value["share"])
            label = value.get("name", "")
            table.add_row(cell(value["value"]), label, str(value["count"]), share)
        out.print(table)
        if "accuracy" in detail:
            _print_accuracy(detail["accuracy"], language)


@tags_app.command("coverage")
def tags_coverage(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Per tag: customers covered, coverage, null share and distinct values."""
    with project_session(project, lang) as (opened, language):
        frame = opened.tags.coverage()
        if json_out:
            print_json(records(frame))
            return
        columns = ["tag", "covered", "coverage", "null_share", "distinct"]
        table = make_table(text("tags.coverage.title", language), language, columns)
        for row in records(frame):
            row["coverage"], row["null_share"] = (
                _percent(row["coverage"]),
                _percent(row["null_share"]),
            )
            table.add_row(*(cell(row[c]) for c in columns))
        out.print(table)


@tags_app.command("accuracy")
def tags_accuracy(
    name: NameArg,
    labels: Annotated[
        Path,
        typer.Option("--labels", help="CSV/xlsx/parquet: a customer reference and the true value."),
    ],
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Precision and recall of each value of a tag against a labelled sample."""
    with project_session(project, lang) as (opened, language):
        result = opened.tags.accuracy(name, labels)
        if json_out:
            print_json(result)
            return
        _print_accuracy(result, language)


@tags_app.command("snapshots")
def tags_snapshots(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """List the kept snapshots (one per build), newest first."""
    with project_session(project, lang) as (opened, language):
        rows = opened.tags.snapshots()
        if json_out:
            print_json(rows)
            return
        columns = ["snapshot_id", "build_id", "created_at", "as_of", "customers", "recomputed"]
        table = make_table(text("tags.snapshots.title", language), language, columns)
        for row in rows:
            table.add_row(*(cell(row[c]) for c in columns))
        out.print(table)


@tags_app.command("diff")
def tags_diff(
    old: Annotated[
        str, typer.Option("--from", help="Snapshot id, or previous / latest.")
    ] = "previous",
    new: Annotated[str, typer.Option("--to", help="Snapshot id, or previous / latest.")] = "latest",
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Show how many customers' tag values flipped between two snapshots, and how."""
    with project_session(project, lang) as (opened, language):
        diff = opened.tags.diff(old, new)
        if json_out:
            print_json(diff)
            return
        both = diff["customers_from"] - diff["only_in_from"]
        title = text("tags.diff.title", language, old=diff["from"], new=diff["to"], both=both)
        table = make_table(title, language, ["tag", "changed", "share", "transitions"])
        for row in diff["tags"]:
            moves = "; ".join(
                f"{t['from']} → {t['to']}: {t['count']}" for t in row["transitions"][:3]
            )
            table.add_row(row["tag"], str(row["changed"]), _percent(row["share"]), moves)
        out.print(table)
        out.print(
            text(
                "tags.diff.members",
                language,
                old=diff["from"],
                new=diff["to"],
                only_old=diff["only_in_from"],
                only_new=diff["only_in_to"],
            )
        )


def _print_accuracy(result: dict[str, Any], lang: Lang) -> None:
    sample = result["sample"]
    out.print(
        text(
            "tags.accuracy.title",
            lang,
            tag=result["tag"],
            accuracy=_percent(result["accuracy"]),
            matched=sample["matched"],
            received=sample["received"],
        )
    )
    columns = ["value", "precision", "recall", "support", "predicted"]
    table = make_table(result["tag"], lang, columns)
    for row in result["values"]:
        table.add_row(
            cell(row["value"]),
            _percent(row["precision"]),
            _percent(row["recall"]),
            str(row["support"]),
            str(row["predicted"]),
        )
    out.print(table)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"
