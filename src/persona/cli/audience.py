"""CLI commands over audiences: persona audience count|preview|overlap|save|list|show|refresh."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from persona.analysis.coverage import coverage
from persona.analysis.exports import export_audience, listing
from persona.analysis.lookalike import export_lookalike, lookalike
from persona.analysis.sinks import Retry
from persona.cli.common import (
    JsonOpt,
    LangOpt,
    ProjectOpt,
    app,
    cell,
    out,
    print_json,
    project_session,
    records,
)
from persona.report.i18n import Lang, text

audience_app = typer.Typer(
    help="Audiences (精准定位): count, preview and overlap customers selected by an expression; "
    "save, list, show and refresh named audiences; coverage on a list of known customers, "
    "lookalikes.",
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
    with project_session(project, lang) as (opened, language):
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
    with project_session(project, lang) as (opened, language):
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
    expressions = [e for e in (first, second, third) if e is not None]
    with project_session(project, lang) as (opened, language):
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
    with project_session(project, lang) as (opened, language):
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
    with project_session(project, lang) as (opened, language):
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
    with project_session(project, lang) as (opened, language):
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
    with project_session(project, lang) as (opened, language):
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


# -- exports and activation -------------------------------------------------------------------

_REGISTRY_COLUMNS = [
    "export_id",
    "exported_at",
    "audience",
    "format",
    "target",
    "count",
    "fields",
    "sha256",
    "masked",
    "forgotten",
]


@audience_app.command("export")
def audience_export(
    ref: Annotated[
        str,
        typer.Argument(help="An expression, or the name of a saved audience.", metavar="EXPR|NAME"),
    ],
    target: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            help="A file, a SQLite file, a postgresql:// URL or an http(s):// webhook URL.",
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="csv, parquet, xlsx, json, sqlite, postgresql or webhook (default: from --out).",
        ),
    ] = None,
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            help="Comma-separated fields (default: customer_id, customer_key, name, phone, "
            "email, segment); any attribute, identifier (phones = all), feature, tag or segment.",
        ),
    ] = None,
    unmask: Annotated[
        bool, typer.Option("--unmask", help="Export direct identifiers unmasked (audited).")
    ] = False,
    pseudonymise: Annotated[
        bool,
        typer.Option("--pseudonymise", help="Ids as keyed hashes, no direct identifiers."),
    ] = False,
    bom: Annotated[
        bool, typer.Option("--bom/--no-bom", help="Start a CSV with a UTF-8 BOM (for Excel).")
    ] = True,
    table: Annotated[
        str | None,
        typer.Option("--table", help="sqlite/postgresql table (default: audience_<name>)."),
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Webhook: rows per POST.")] = 500,
    retries: Annotated[
        int, typer.Option("--retries", help="Webhook: retries of a failed batch.")
    ] = 5,
    retry_delay: Annotated[
        float,
        typer.Option("--retry-delay", help="Webhook: seconds before the first retry (doubles)."),
    ] = 0.5,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Export an audience's customers to a file, a database table or a webhook (registered)."""
    with project_session(project, lang) as (opened, language):
        result = export_audience(
            opened,
            ref,
            target,
            fmt,
            fields.split(",") if fields is not None else None,
            unmask=unmask,
            pseudonymise=pseudonymise,
            bom=bom,
            table=table,
            batch_size=batch_size,
            retry=Retry(retries=max(0, retries), base_delay=max(0.0, retry_delay)),
        )
        shown = {
            key: result[key]
            for key in (
                "export_id",
                "count",
                "left_out",
                "format",
                "target",
                "fields",
                "file_hash",
                "masked",
                "pseudonymised",
            )
        }
        if json_out:
            print_json(shown)
            return
        out.print(text("export.done", language, **shown), markup=False, highlight=False)
        out.print(text("export.fields", language, fields=", ".join(result["fields"])), markup=False)
        if result["file_hash"]:
            out.print(text("export.sha256", language, hash=result["file_hash"]))
        privacy = "pseudonymised" if pseudonymise else "masked" if result["masked"] else "unmasked"
        out.print(text(f"export.{privacy}", language))
        left_out = _size(result["left_out"]["marketing_opt_out"], result["k"], language)
        out.print(text("export.left_out", language, n=left_out))


@audience_app.command("exports")
def audience_exports(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """List the export registry: when, what, where, how many, fields, file hash, forgotten."""
    with project_session(project, lang) as (opened, language):
        rows = records(listing(opened.engine))
        if json_out:
            print_json(rows)
            return
        if not rows:
            out.print(text("export.none", language))
            return
        table = _table(
            text("export.registry", language),
            [text(f"export.col.{c}", language) for c in _REGISTRY_COLUMNS],
        )
        for row in rows:
            row["exported_at"] = f"{row['exported_at']:%Y-%m-%d %H:%M}"
            table.add_row(*(cell(row[c]) for c in _REGISTRY_COLUMNS))
        out.print(table)


def _percent(value: float | None, k: int, lang: Lang) -> str:
    return text("coverage.hidden", lang, k=k) if value is None else f"{value:.1%}"


@audience_app.command("coverage")
def audience_coverage(
    audience: Annotated[str, typer.Argument(help="An expression or a saved audience's name.")],
    list_file: Annotated[
        Path,
        typer.Option(
            "--list",
            help="Known customers (csv, xlsx, parquet; txt: one per line, no header) by "
            "customer_id, customer key, phone or e-mail, e.g. last campaign's converters.",
        ),
    ],
    column: Annotated[
        str | None,
        typer.Option("--column", help="The list's column naming the customers (auto-detected)."),
    ] = None,
    include_opted_out: OptedOutOpt = False,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Coverage and hit rate (覆盖率/命中率) of an audience on a list of known customers."""
    with project_session(project, lang) as (opened, language):
        result = coverage(
            opened, audience, list_file, column=column, include_opted_out=include_opted_out
        )
        if json_out:
            print_json(result)
            return
        k, rows = result["k"], result["list"]
        expression = result["expression"]
        out.print(text("coverage.audience", language, expression=expression), markup=False)
        out.print(text("coverage.rows", language, **rows), markup=False)
        sizes = {
            name: _size(result[key], k, language)
            for name, key in (
                ("listed", "list_customers"),
                ("audience", "audience_size"),
                ("population", "population"),
                ("in_both", "in_both"),
            )
        }
        out.print(text("coverage.sizes", language, **sizes))
        for key in ("coverage", "hit_rate"):
            out.print(text(f"coverage.{key}", language, value=_percent(result[key], k, language)))
        lift = result["lift"]
        shown = text("coverage.hidden", language, k=k) if lift is None else f"{lift:.2f}×"
        out.print(text("coverage.lift", language, value=shown))
        left_out = result["left_out"]
        out.print(
            text(
                "coverage.left_out",
                language,
                audience=_size(left_out["marketing_opt_out"], k, language),
                listed=_size(left_out["list_marketing_opt_out"], k, language),
            )
        )


@audience_app.command("lookalike")
def audience_lookalike(
    seed: Annotated[str, typer.Argument(help="The seed: an expression or a saved audience.")],
    size: Annotated[int, typer.Option("--size", help="How many customers to choose.")],
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write customer_id, customer_key, score, rank to this file (.csv, .xlsx, "
            ".jsonl, .parquet); recorded in the export registry.",
        ),
    ] = None,
    random_seed: Annotated[
        int, typer.Option("--seed", help="Seed of the hold-out split and training sample.")
    ] = 0,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Expand a seed audience to the N most similar customers, with the expected precision."""
    with project_session(project, lang) as (opened, language):
        result = lookalike(opened, seed, size, random_state=random_seed)
        summary = dict(result.summary)
        if out_file is not None:
            summary["export_id"] = export_lookalike(opened, result, out_file)
            summary["file"] = str(out_file)
        if json_out:
            print_json(summary)
            return
        _print_lookalike(summary, language)


def _mean(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


def _print_lookalike(summary: dict[str, Any], lang: Lang) -> None:
    k = summary["k"]
    out.print(
        text(
            "lookalike.chosen",
            lang,
            expression=summary["expression"],
            size=summary["size"],
            requested=summary["requested"],
            candidates=_size(summary["candidates"], k, lang),
        ),
        markup=False,
    )
    seed = {name: _size(value, k, lang) for name, value in summary["seed"].items()}
    out.print(text("lookalike.seed", lang, **seed))
    out.print(text("lookalike.precision", lang, value=f"{summary['expected_precision']:.0%}"))
    out.print(text("lookalike.recall", lang, value=f"{summary['holdout_recall']:.0%}"))
    out.print(text("lookalike.auc", lang, value=f"{summary['auc']:.2f}"))
    columns = ("feature", "weight", "seed", "others")
    table = _table(
        text("lookalike.features", lang), [text(f"lookalike.col.{c}", lang) for c in columns]
    )
    for entry in summary["features"]:
        table.add_row(
            entry["label_zh" if lang == "zh" else "label_en"],
            f"{entry['weight']:+.2f}",
            _mean(entry["seed_mean"]),
            _mean(entry["others_mean"]),
        )
    out.print(table)
    left_out = summary["left_out"]
    out.print(
        text(
            "lookalike.left_out",
            lang,
            refused=_size(left_out["profiling_refused"], k, lang),
            opted_out=_size(left_out["marketing_opt_out"], k, lang),
        )
    )
    if "export_id" in summary:
        out.print(
            text(
                "lookalike.exported",
                lang,
                n=summary["size"],
                path=summary["file"],
                export_id=summary["export_id"],
            ),
            markup=False,
        )
