"""CLI commands over identities: persona identity explain|link|split|evaluate|health, profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
)
from persona.pipeline.resolve.evaluate import read_truth
from persona.privacy.consent import left_out
from persona.privacy.kanon import shown_count
from persona.report.i18n import text

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
    with project_session(project, lang) as (opened, language):
        data = opened.identity.explain(ref)
        if json_out:
            print_json(data)
            return
        table = make_table(data["customer_id"], language, ["node", "source", "reason"])
        for link in data["links"]:
            table.add_row(*(cell(link[k]) for k in ("node", "source", "reason")))
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
    with project_session(project, lang) as (opened, language):
        if action == "link":
            assert ref2 is not None
            decision = opened.identity.link(ref1, ref2)
        else:
            decision = opened.identity.split(ref1)
        if json_out:
            print_json({"decision_id": decision, "action": action, "refs": [ref1, ref2]})
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
    with project_session(project, lang) as (opened, language):
        frame = read_truth(truth)
        result = opened.identity.evaluate(frame).to_dict()
        if json_out:
            print_json(result)
        else:
            out.print(text("identity.evaluated", language, **result))


@identity_app.command("health")
def identity_health(
    project: ProjectOpt = Path("."), json_out: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Cluster sizes, the largest clusters (possible over-merging), share of singletons."""
    with project_session(project, lang) as (opened, language):
        data = opened.identity.health()
        if json_out:
            print_json(data)
        else:
            out.print(text("identity.health", language, **data))


@app.command()
def profile(
    ref: RefArg,
    unmask: Annotated[
        bool,
        typer.Option(
            "--unmask", help="Show names, phones and e-mails unmasked (recorded in the audit log)."
        ),
    ] = False,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """One customer's 360° view: attributes, identifiers, sources, coverage."""
    with project_session(project, lang) as (opened, language):
        data = opened.profile(ref, unmask=unmask)
        if json_out:
            print_json(data)
            return
        table = make_table(data["customer_id"], language, ["field", "value"])
        for key, value in [*data["attributes"].items(), *data["identifiers"].items()]:
            if value is not None:
                table.add_row(
                    key, cell(", ".join(map(str, value)) if isinstance(value, list) else value)
                )
        table.add_row("sources", ", ".join(data["sources"] or []))
        table.add_row("coverage", ", ".join(k for k, v in data["coverage"].items() if v))
        out.print(table)


customers_app = typer.Typer(help="The unified customers: export them.", no_args_is_help=True)
app.add_typer(customers_app, name="customers")


@customers_app.command("export")
def customers_export(
    out_file: Annotated[Path, typer.Option("--out", help="The file to write.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or parquet (default: the suffix).")
    ] = None,
    unmask: Annotated[
        bool,
        typer.Option("--unmask", help="Write direct identifiers unmasked (audited)."),
    ] = False,
    pseudonymise: Annotated[
        bool,
        typer.Option(
            "--pseudonymise",
            help="For sharing: ids as keyed hashes, direct identifiers dropped (audited).",
        ),
    ] = False,
    include_opted_out: Annotated[
        bool,
        typer.Option(
            "--include-opted-out",
            help="Keep customers who refused marketing (for analysis, never for campaigns).",
        ),
    ] = False,
    project: ProjectOpt = Path("."),
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Write one row per customer: customer_id, customer_key and every feature.

    Customers who refused analytics or marketing are left out; direct identifiers are masked.
    """
    with project_session(project, lang) as (opened, language):
        written = opened.export_customers(
            out_file,
            fmt,
            unmask=unmask,
            pseudonymise=pseudonymise,
            include_opted_out=include_opted_out,
        )
        k = opened.config.privacy.k
        counts = left_out(opened.engine, include_opted_out)
        hidden = {reason: shown_count(n, k) for reason, n in counts.items()}  # None: below k
        if json_out:
            print_json(
                {
                    "exported": written,
                    "file": str(out_file),
                    "left_out": hidden,
                    "masked": not unmask,
                    "pseudonymised": pseudonymise,
                }
            )
            return
        out.print(text("customers.exported", language, n=written, path=out_file))
        for reason, n in hidden.items():
            if n != 0:
                shown_n = n if n is not None else f"<{k}"
                out.print(text(f"privacy.export.left_out.{reason}", language, n=shown_n))
        mode = "pseudonymised" if pseudonymise else "unmasked" if unmask else "masked"
        out.print(text(f"privacy.export.{mode}", language))
