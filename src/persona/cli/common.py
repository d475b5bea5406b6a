"""Shared pieces of the CLI: the app, common options, consoles, output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from persona.config import CONFIG_FILE, load_config
from persona.model.errors import PersonaError, ProjectError
from persona.project import COUNT_FIELDS, Project
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
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Use nothing after this date or time (ISO, e.g. 2026-10-01)."),
]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Language of messages: zh or en.")]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def main() -> None:
    """Entry point of the `persona` console script."""
    app()


@contextmanager
def user_errors(lang: Lang = "zh") -> Iterator[None]:
    """Turn a PersonaError into a one-paragraph message on stderr and exit code 1."""
    try:
        yield
    except PersonaError as exc:
        err.print(f"[bold red]{text('error', lang)}:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None


def open_project(project: Path, lang: Lang) -> Project:
    """Open the project, printing any store upgrade message."""
    opened = Project.open(project)
    for message in opened.messages:
        err.print(text("store.upgraded", lang, detail=message))
    return opened


@contextmanager
def project_session(project: Path, lang: str | None) -> Iterator[tuple[Project, Lang]]:
    """A command's project, opened in the command's language, user errors reported, closed."""
    language = resolve_language(lang, project)
    with user_errors(language), open_project(project, language) as opened:
        yield opened, language


def resolve_language(explicit: str | None, project: Path) -> Lang:
    """The language of messages: --lang, else PERSONA_LANG, else the project's, else zh."""
    configured = None
    if explicit is None and (project / CONFIG_FILE).is_file():
        try:
            configured = load_config(project).language
        except PersonaError:
            configured = None
    return resolve_lang(explicit, configured)


def print_json(data: Any) -> None:
    """Print a JSON result on stdout (dates as ISO text, missing values as null)."""
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
def progress_bar(enabled: bool) -> Iterator[Callable[[str, str, int, int], None] | None]:
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


def make_table(title: str, lang: Lang, columns: list[str]) -> Table:
    """A rich table with translated, right-aligned numeric column headers."""
    table = Table(title=title)
    for column in columns:
        numeric = column in (*COUNT_FIELDS, "batches", "line")
        table.add_column(text(f"col.{column}", lang), justify="right" if numeric else "left")
    return table


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with missing values as None (JSON null, never NaN)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in clean.to_dict(orient="records")]


def cell(value: Any) -> str:
    """A table cell: missing values as empty text."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def parse_as_of(value: str | None) -> datetime | None:
    """The --as-of value as a datetime (a date alone means 00:00 of that day).

    Raises:
        ProjectError: when the value is not an ISO date or time.
    """
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ProjectError(
            f"--as-of {value!r} is not a date or time; write it like 2026-10-01 or "
            "2026-10-01T12:00+08:00"
        ) from None
