"""CLI commands over the persona cards and the report: persona personas, persona report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from persona.cli.common import (
    JsonOpt,
    LangOpt,
    ProjectOpt,
    app,
    out,
    print_json,
    project_session,
)
from persona.report.labels import Lang, fmt_change, fmt_count, fmt_share, t
from persona.report.persona import PersonaCard, Personas


@app.command()
def personas(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Show one persona card per segment and the priority ranking."""
    with project_session(project, lang) as (opened, language):
        result = opened.personas(language)
        if json_out:
            print_json(result.to_dict())
            return
        out.print(_ranking(result, language))
        for card in sorted(result.cards, key=_rank):
            _print_card(card, result, language)


@app.command()
def report(
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="The file to write (default: out/persona-report-LANG.FORMAT)."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="html (self-contained) or pdf (default: from --out, else html)."
        ),
    ] = None,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Write the persona report: data, segment map, comparison, cards, migration, priorities."""
    with project_session(project, lang) as (opened, language):
        written = opened.report(out_file, fmt, language)
        if json_out:
            print_json(
                {"file": str(written), "format": written.suffix.lstrip("."), "lang": language}
            )
        else:
            out.print(t("cli.report.written", language, path=written), highlight=False)


def _rank(card: PersonaCard) -> tuple[int, int]:
    return (card.priority.rank if card.priority else 10**6, card.id)


def _ranking(result: Personas, lang: Lang) -> Table:
    table = Table(title=t("section.priorities", lang))
    for key in ("col.rank", "col.segment", "col.size", "col.share", "col.revenue_share",
                "col.growth", "col.score"):  # fmt: skip
        table.add_column(t(key, lang), justify="left" if key == "col.segment" else "right")
    for card in sorted(result.cards, key=_rank):
        table.add_row(
            str(card.priority.rank) if card.priority else "–",
            f"#{card.id} {card.name}",
            fmt_count(card.size, result.k),
            fmt_share(card.share),
            fmt_share(card.revenue_share),
            fmt_change(card.growth.change if card.growth else None),
            f"{card.priority.score:.0f}" if card.priority else "–",
        )
    return table


def _print_card(card: PersonaCard, result: Personas, lang: Lang) -> None:
    other = card.name_en if lang == "zh" else card.name_zh
    size = fmt_count(card.size, result.k)
    out.print(f"\n[bold]#{card.id} {card.name}[/bold] ({other}) · {size}", highlight=False)
    if card.headline:
        out.print(f"  {card.headline}", highlight=False, markup=False)
    if card.evidence:
        out.print(f"  {t('card.why', lang)}: {'; '.join(card.evidence[:3])}", markup=False)
    for suggestion in card.positioning:
        label = t(f"positioning.{suggestion.aspect}", lang)
        out.print(f"  {label}: {suggestion.text}", highlight=False, markup=False)
        out.print(f"    [dim]{suggestion.condition} · {suggestion.because}[/dim]", highlight=False)
