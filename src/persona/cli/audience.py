"""CLI commands over audiences: persona audience count|preview|overlap|save|list|show|refresh."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from persona.cli.common import (
    JsonOpt,
    LangOpt,
    ProjectOpt,
    app,
    cell,
    open_project,
    out,
    print_json,
    records,
    resolve_language,
    user_errors,
)
from persona.report.i18n import Lang, text

audience_app = typer.Typer(
    help="Audiences (精准定位): count, preview and overlap customers selected by an expression; "
    "save, list, show and refresh named audiences.",
    no_args_is_help=True,
)
app.add_typer(audience_app, name="audience")

ExprArg = Annotated[
    str, typer.Argument(help="An expression, e.g. \"monetary > 1000 and city = '上海'\".")
]
NameArg = Annotated[str, typer.Argument(help="The audience's name, e.g. shanghai_vip.")]
OptedOutOpt = Annotated[
    bool,
    typer.Option(
        "--include-opted-out",
        help="Also count customers who refused marketing (for analytics, never for campaigns).",
    ),
]


def _headers(columns: list[str], lang: Lang) -> list[str]:
    return [text(f"col.{c}", lang) for c in columns]


def _t(key: str, lang: Lang, **values: object) -> str:
    return text(f"audience.{key}", lang, **values)


def _size(value: int | None, k: int, lang: Lang) -> str:
    del lang  # "<k" reads the same in both languages
    return str(value) if value is not None else f"<{k}"


def _table(title: str, headers: list[str]) -> Table:
    table = Table(title=title)
    for header in headers:
        table.add_column(header)
    return table


@audience_app.command("count")
def audience_count(
    expression: ExprArg,
    include_opted_out: OptedOutOpt = False,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Count the customers an expression selects, with a breakdown (cells under k hidden)."""
    language = resolve_language(lang, project)
    with user_errors(language), open_project(project, language) as opened:
        result = opened.audiences.count(expression, include_opted_out=include_opted_out)
        if json_out:
            print_json(result)
            return
        k = result["k"]
        if result["below_k"]:
            out.print(_t("below_k", language, k=k))
        else:
            share = f"{result['share']:.1%}"
            population = _size(result["population"], k, language)
            out.print(
                _t("count", language, count=result["count"], share=share, population=population)
            )
        left_out = result["left_out"]["marketing_opt_out"]
        out.print(_t("left_out", language, n=_size(left_out, k, language)))
        for column, cells in result["breakdown"].items():
            table = _table(
                _t("breakdown", language, column=column),
                [_t("value", language), _t("customers", language), _t("share", language)],
            )
            for entry in cells:
                label = _t("other", language) if entry["other"] else entry["value"]
                share = "" if entry["share"] is None else f"{entry['share']:.1%}"
                table.add_row(
                    cell(label if label is not None else _t("unknown", language)),
                    _size(entry["count"], k, language),
                    share,
                )
            out.print(table)


@audience_app.command("preview")
def audience_preview(
    expression: ExprArg,
    rows: Annotated[int, typer.Option("--rows", "-n", help="How many sample rows.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample.")] = 0,
    include_opted_out: OptedOutOpt = False,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Show sample customers of an expression; names, phones and e-mails masked."""
    language = resolve_language(lang, project)
    with user_errors(language), open_project(project, language) as opened:
        frame = opened.audiences.preview(
            expression, rows=rows, seed=seed, include_opted_out=include_opted_out
        )
        if json_out:
            print_json(records(frame))
            return
        table = _table(_t("preview", language), [str(c) for c in frame.columns])
        for row in records(frame):
            table.add_row(*(cell(v) for v in row.values()))
        out.print(table)


@audience_app.command("overlap")
def audience_overlap(
    first: Annotated[str, typer.Argument(help="Audience A's expression.")],
    second: Annotated[str, typer.Argument(help="Audience B's expression.")],
    third: Annotated[str | None, typer.Argument(help="Audience C's expression (optional).")] = None,
    include_opted_out: OptedOutOpt = False,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Count every region of the Venn diagram of two or three audiences (cells under k hidden)."""
    language = resolve_language(lang, project)
    expressions = [e for e in (first, second, third) if e is not None]
    with user_errors(language), open_project(project, language) as opened:
        result = opened.audiences.overlap(*expressions, include_opted_out=include_opted_out)
        if json_out:
            print_json(result)
            return
        for letter, expression in result["audiences"].items():
            out.print(f"{letter}: {expression}", highlight=False, markup=False)
        table = _table(_t("overlap", language), [_t("region", language), _t("customers", language)])
        for region in result["regions"]:
            table.add_row(region["region"], _size(region["count"], result["k"], language))
        out.print(table)
        left_out = result["left_out"]["marketing_opt_out"]
        out.print(_t("left_out", language, n=_size(left_out, result["k"], language)))


@audience_app.command("save")
def audience_save(
    name: NameArg,
    expression: ExprArg,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Save a named audience (a new version when the expression changed) and count it."""
    language = resolve_language(lang, project)
    with user_errors(language), open_project(project, language) as opened:
        detail = opened.audiences.save(name, expression)
        if json_out:
            print_json(detail)
            return
        size = _size(detail["history"][-1]["size"], opened.config.privacy.k, language)
        out.print(_t("saved", language, name=name, version=detail["version"], size=size))


@audience_app.command("list")
def audience_list(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """List the saved audiences: name, version, expression and latest size."""
    language = resolve_language(lang, project)
    with user_errors(language), open_project(project, language) as opened:
        rows = records(opened.audiences.list())
        if json_out:
            print_json(rows)
            return
        if not rows:
            out.print(_t("none", language))
            return
        columns = ["name", "version", "expression", "size", "refreshed_at"]
        table = _table(_t("list", language), _headers(columns, language))
        k = opened.config.privacy.k
        for row in rows:
            row["size"] = _size(row["size"], k, language)
            table.add_row(*(cell(row[c]) for c in columns))
        out.print(table)


@audience_app.command("show")
def audience_show(
    name: NameArg, project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Show a saved audience: its definition, versions and size over time."""
    language = resolve_language(lang, project)
    with user_errors(language), open_project(project, language) as opened:
        detail = opened.audiences.show(name)
        if json_out:
            print_json(detail)
            return
        out.print(f"[bold]{name}[/bold] v{detail['version']}")
        for version in detail["versions"]:
            out.print(f"  v{version['version']}: {version['expression']}", markup=False)
        _print_history(detail["history"], opened.config.privacy.k, language)


@audience_app.command("refresh")
def audience_refresh(
    name: Annotated[str | None, typer.Argument(help="One audience (default: every one).")] = None,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Recount every saved audience (or one) and add the sizes to their history."""
    language = resolve_language(lang, project)
    with user_errors(language), open_project(project, language) as opened:
        refreshed = opened.audiences.refresh(name)
        if json_out:
            print_json(refreshed)
            return
        out.print(_t("refreshed", language, n=len(refreshed)))
        table = _table(_t("list", language), _headers(["name", "version", "size"], language))
        for row in refreshed:
            table.add_row(
                row["name"],
                str(row["version"]),
                _size(row["size"], opened.config.privacy.k, language),
            )
        out.print(table)


def _print_history(history: list[dict[str, Any]], k: int, lang: Lang) -> None:
    columns = ["refreshed_at", "version", "size", "snapshot_id"]
    table = _table(_t("history", lang), _headers(columns, lang))
    for entry in history:
        table.add_row(
            entry["refreshed_at"],
            str(entry["version"]),
            _size(entry["size"], k, lang),
            cell(entry["snapshot_id"]),
        )
    out.print(table)
