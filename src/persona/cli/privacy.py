"""CLI commands over privacy controls: persona forget REF, persona audit (DESIGN.md section 9)."""

from __future__ import annotations

import json
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
    out,
    print_json,
    project_session,
    records,
)
from persona.privacy import audit as audit_log
from persona.report.i18n import Lang, text

AUDIT_COLUMNS = ["entry_id", "logged_at", "action", "subject", "detail", "actor"]


def _t(key: str, lang: Lang, **values: object) -> str:
    return text(f"privacy.{key}", lang, **values)


@app.command()
def forget(
    ref: Annotated[
        str,
        typer.Argument(help="The person: a customer_id, record, or identifier (key, phone ...)."),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Remove one person from every table, snapshot and the export registry (right to erasure).

    Their identifiers are suppressed so a later ingest does not bring them back; exports that
    already held them are listed to be recalled. Asks first unless --yes or --json.
    """
    with project_session(project, lang) as (opened, language):
        customer_id = opened.identity.find(ref)
        if not (yes or json_out) and not typer.confirm(
            _t("forget.confirm", language, customer_id=customer_id)
        ):
            out.print(_t("forget.cancelled", language))
            raise typer.Exit(1)
        result = opened.forget(customer_id)
        if json_out:
            print_json(result.to_dict())
            return
        table = Table(title=_t("forget.done", language, customer_id=customer_id))
        table.add_column(_t("col.table", language))
        table.add_column(_t("col.rows", language), justify="right")
        for name, count in result.removed.items():
            table.add_row(name, str(count))
        out.print(table)
        out.print(_t("forget.suppressed", language, n=result.suppressed_identifiers))
        if result.decisions_removed:
            out.print(_t("forget.decisions", language, n=result.decisions_removed))
        if result.exports_holding:
            out.print(_t("forget.exports", language))
            for export in result.exports_holding:
                out.print(
                    f"  #{export['export_id']} {export['format']} {export['target']} "
                    f"({cell(export['exported_at'])})",
                    highlight=False,
                    markup=False,
                )


@app.command("audit")
def audit_command(
    action: Annotated[
        str | None,
        typer.Option("--action", help=f"Only this action: {', '.join(audit_log.ACTIONS)}."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N entries.")] = None,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List the audit log of privacy-relevant actions, newest first."""
    with project_session(project, lang) as (opened, language):
        frame = opened.audit(action, limit)
        if json_out:
            print_json(records(frame))
            return
        if frame.empty:
            out.print(_t("audit.none", language))
            return
        table = Table(title=_t("audit.title", language))
        for column in AUDIT_COLUMNS:
            table.add_column(_t(f"col.{column}", language))
        for row in records(frame):
            table.add_row(*(_audit_cell(c, row[c]) for c in AUDIT_COLUMNS))
        out.print(table, markup=False, highlight=False)


def _audit_cell(column: str, value: Any) -> str:
    """One audit log cell for the terminal: time to the second, detail as compact JSON."""
    if column == "logged_at" and value is not None:
        return str(value)[:19]
    if column == "detail" and isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return cell(value)
