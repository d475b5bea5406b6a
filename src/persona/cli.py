"""The `persona` command: thin typer commands over the library (DESIGN.md section 8).

Every command takes `--project DIR` and `--json`. Exit codes: 0 success, 1 a user error (a clear
message, no traceback), 2 a usage error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from persona.config import CONFIG_FILE, load_config, schema_json
from persona.model.errors import PersonaError, ProjectError
from persona.project import COUNT_FIELDS, BuildResult, Project, ingest_errors
from persona.report.i18n import Lang, resolve_lang, text

app = typer.Typer(
    name="persona",
    help="Persona: customer persona engine (客户画像引擎). Ingest, resolve, tag, segment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ProjectOpt = Annotated[
    Path, typer.Option("--project", "-p", help="Project folder (default: current folder).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable result.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Language of messages: zh or en.")]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def main() -> None:
    """Entry point of the `persona` console script."""
    app()


@contextmanager
def _user_errors(lang: Lang = "zh") -> Iterator[None]:
    """Turn a PersonaError into a one-paragraph message on stderr and exit code 1."""
    try:
        yield
    except PersonaError as exc:
        err.print(f"[bold red]{text('error', lang)}:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None


def _open(project: Path, lang: Lang) -> Project:
    opened = Project.open(project)
    for message in opened.messages:
        err.print(text("store.upgraded", lang, detail=message))
    return opened


def _lang(explicit: str | None, project: Path) -> Lang:
    configured = None
    if explicit is None and (project / CONFIG_FILE).is_file():
        try:
            configured = load_config(project).language
        except PersonaError:
            configured = None
    return resolve_lang(explicit, configured)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=_json_default, indent=2) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if pd.isna(value):
        return None
    return str(value)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, str, int, int], None] | None]:
    """A rich progress bar on a terminal, one task per source; nothing otherwise."""
    if not enabled or not err.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(source: str, file: str, done: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=total)
            bar.update(tasks[source], completed=done, description=f"{source} {file}")

        yield update


# -- commands ---------------------------------------------------------------------------------


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")],
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Create a project: a commented persona.yaml, data/ and out/."""
    language = resolve_lang(lang)
    with _user_errors(language):
        created = scaffold_project(directory)
        if json_out:
            _print_json({"project": str(directory.resolve()), "created": created})
        else:
            out.print(text("init.done", language, path=directory))


def scaffold_project(directory: Path) -> list[str]:
    """Write persona.yaml, data/ and out/ into `directory`; return what was created."""
    config = directory / CONFIG_FILE
    if config.exists():
        raise ProjectError(text("init.exists", resolve_lang(), path=config))
    from importlib.resources import files

    template = files("persona").joinpath("templates/persona.yaml").read_text(encoding="utf-8")
    try:
        for sub in ("data", "out"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        config.write_text(template.replace("{project}", directory.resolve().name), "utf-8")
    except OSError as exc:
        raise ProjectError(f"cannot create the project in {directory}: {exc}") from None
    return [CONFIG_FILE, "data/", "out/"]


@app.command()
def schema(project: ProjectOpt = Path("."), json_out: JsonOpt = False) -> None:
    """Print the JSON schema of persona.yaml (for editor completion)."""
    sys.stdout.write(schema_json() + "\n")


@app.command("demo-data")
def demo_data(
    directory: Annotated[Path, typer.Argument(help="Folder to write the demo project into.")],
    customers: Annotated[int, typer.Option(help="Number of customers.", min=10)] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
    lang: Annotated[str, typer.Option(help="Language of the data: zh or en.")] = "zh",
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Write a realistic demo project with planted ground truth in DIR/truth/."""
    language = resolve_lang(lang)
    with _user_errors(language):
        summary = _generate_demo(directory, customers, seed, language)
        if json_out:
            _print_json(summary)
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
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        with _progress(not json_out) as progress:
            result = opened.ingest(source, progress)
        _report_ingest(result, json_out, language)


def _report_ingest(frame: pd.DataFrame, json_out: bool, lang: Lang) -> None:
    if json_out:
        _print_json({"sources": _records(frame)})
    else:
        _print_ingest(frame, lang)
    if ingest_errors(frame):
        raise typer.Exit(1)


def _print_ingest(frame: pd.DataFrame, lang: Lang) -> None:
    """The ingest table, then warnings and errors on stderr."""
    table = _table(text("ingest.title", lang), lang, ["source", "kind", *COUNT_FIELDS])
    for row in _records(frame):
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


def _table(title: str, lang: Lang, columns: list[str]) -> Table:
    table = Table(title=title)
    for column in columns:
        numeric = column in (*COUNT_FIELDS, "batches", "line")
        table.add_column(text(f"col.{column}", lang), justify="right" if numeric else "left")
    return table


@app.command()
def status(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Show running totals per source, the store and the last build."""
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        frame = opened.status()
        last_build = opened.last_build_time()
        if json_out:
            _print_json(
                {
                    "store": str(opened.store_path),
                    "last_build": last_build,
                    "sources": _records(frame),
                }
            )
            return
        table = _table(
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
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        frame = opened.quarantine(source)
        if export is not None:
            written = opened.export_quarantine(export, source)
            if json_out:
                _print_json({"exported": written, "file": str(export)})
            else:
                out.print(text("quarantine.exported", language, n=written, path=export))
            return
        if json_out:
            _print_json({"count": len(frame), "records": _records(frame)})
            return
        if frame.empty:
            out.print(text("quarantine.none", language))
            return
        table = _table("quarantine", language, ["source", "file", "line", "column", "reason"])
        for row in frame.head(200).itertuples(index=False):
            table.add_row(
                *(_cell(v) for v in (row.source, row.file, row.line, row.column, row.reason))
            )
        out.print(table)
        out.print(text("quarantine.count", language, n=len(frame)))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with missing values as None (JSON null, never NaN)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in clean.to_dict(orient="records")]


def _cell(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


@app.command()
def build(project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None) -> None:
    """Run every pipeline stage (ingest, clean, quality so far) and record the build."""
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        with _progress(not json_out) as progress:
            result = opened.build(progress)
        _report_build(result, json_out, language)


def _build_dict(result: BuildResult) -> dict[str, Any]:
    return {
        "build_id": result.build_id,
        "stages": result.stages,
        "seconds": (result.finished_at - result.started_at).total_seconds(),
        "sources": _records(result.ingest),
        "clean": _records(result.clean),
        "resolve": asdict(result.resolve),
        "quality_score": result.quality.score,
    }


def _report_build(result: BuildResult, json_out: bool, lang: Lang, **extra: Any) -> None:
    if json_out:
        _print_json({**extra, **_build_dict(result)})
        if ingest_errors(result.ingest):
            raise typer.Exit(1)
        return
    _print_ingest(result.ingest, lang)
    duplicates = int(result.clean["duplicates"].sum()) if len(result.clean) else 0
    out.print(text("build.clean", lang, duplicates=duplicates, score=result.quality.score))
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
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        report = opened.quality()
        if json_out:
            _print_json(report.to_dict())
            return
        table = _table(
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
    customers: Annotated[int, typer.Option(help="Number of customers.", min=10)] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Generate the demo data, build it, and summarise what was made and where."""
    language = resolve_lang(lang)
    with _user_errors(language):
        summary = _generate_demo(directory, customers, seed, language)
        with Project.open(directory) as opened, _progress(not json_out) as progress:
            result = opened.build(progress)
        if not json_out:
            out.print(text("demo.data", language, path=directory, **summary))
        _report_build(result, json_out, language, demo=summary)
        if json_out:
            return
        out.print(
            text(
                "demo.where",
                language,
                project=directory / CONFIG_FILE,
                store=directory / ".persona" / "store.duckdb",
                truth=directory / "truth",
            )
        )
        out.print(text("demo.next", language, path=directory))


identity_app = typer.Typer(
    help="Identity resolution: explain, link, split and evaluate customers.",
    no_args_is_help=True,
)
app.add_typer(identity_app, name="identity")
RefArg = Annotated[
    str, typer.Argument(help="A customer_id, record, or any identifier value (key, phone ...).")
]


@identity_app.command("explain")
def identity_explain(
    ref: RefArg, project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Show why each record and identifier belongs to REF's customer."""
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        data = opened.identity.explain(ref)
        if json_out:
            _print_json(data)
            return
        table = _table(data["customer_id"], language, ["node", "source", "reason"])
        for link in data["links"]:
            table.add_row(*(_cell(link[k]) for k in ("node", "source", "reason")))
        out.print(table)


@identity_app.command("link")
def identity_link(
    ref1: RefArg,
    ref2: RefArg,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Record that REF1 and REF2 are one person (kept across rebuilds)."""
    _decide(project, json_out, lang, "link", ref1, ref2)


@identity_app.command("split")
def identity_split(
    ref: RefArg, project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Record that a record or identifier must not link to others (kept across rebuilds)."""
    _decide(project, json_out, lang, "split", ref, None)


def _decide(
    project: Path, json_out: bool, lang: str | None, action: str, ref1: str, ref2: str | None
) -> None:
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        if action == "link":
            assert ref2 is not None
            decision = opened.identity.link(ref1, ref2)
        else:
            decision = opened.identity.split(ref1)
        if json_out:
            _print_json({"decision_id": decision, "action": action, "refs": [ref1, ref2]})
        else:
            out.print(text("identity.decided", language, action=action, id=decision))


@identity_app.command("evaluate")
def identity_evaluate(
    truth: Annotated[
        Path, typer.Option("--truth", help="CSV with columns source, customer_key, entity_id.")
    ],
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Pairwise precision, recall and F1 of the resolution against known identities."""
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        frame = _read_truth(truth)
        result = opened.identity.evaluate(frame).to_dict()
        if json_out:
            _print_json(result)
        else:
            out.print(text("identity.evaluated", language, **result))


def _read_truth(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ProjectError(f"truth file {path} does not exist")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read truth file {path} as CSV: {exc}") from None


@identity_app.command("health")
def identity_health(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Cluster sizes, the largest clusters (possible over-merging), share of singletons."""
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        data = opened.identity.health()
        if json_out:
            _print_json(data)
        else:
            out.print(text("identity.health", language, **data))


@app.command()
def profile(
    ref: RefArg,
    unmask: Annotated[
        bool, typer.Option("--unmask", help="Show names, phones and e-mails unmasked.")
    ] = False,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """One customer's 360° view: attributes, identifiers, sources, coverage."""
    language = _lang(lang, project)
    with _user_errors(language), _open(project, language) as opened:
        data = opened.profile(ref, unmask=unmask)
        if json_out:
            _print_json(data)
            return
        table = _table(data["customer_id"], language, ["field", "value"])
        for key, value in [*data["attributes"].items(), *data["identifiers"].items()]:
            if value is not None:
                table.add_row(
                    key, _cell(", ".join(map(str, value)) if isinstance(value, list) else value)
                )
        table.add_row("sources", ", ".join(data["sources"] or []))
        table.add_row("coverage", ", ".join(k for k, v in data["coverage"].items() if v))
        out.print(table)
