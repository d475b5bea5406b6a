"""Audience exports: the selected customers to a file, a database table or a webhook.

An export selects customers with an expression or a saved audience (marketing opt-outs are
never exported), reads the asked fields, masks direct identifiers unless unmasked (or
pseudonymises the rows), writes them to the target and records the export in the registry
and the audit log (docs/audiences.md, "Exports and activation").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pandas as pd

from persona.analysis import saved, sinks
from persona.engine.base import Engine, quote_identifier
from persona.export import write_frame
from persona.model.errors import ProjectError
from persona.model.kinds import IDENTIFIERS
from persona.model.suggest import did_you_mean
from persona.privacy import audit, registry
from persona.privacy.fields import FieldClass, direct_identifiers
from persona.privacy.kanon import shown
from persona.privacy.masking import mask_frame
from persona.privacy.pseudonym import project_secret, pseudonym, pseudonymise_frame

if TYPE_CHECKING:
    from persona.project import Project

FILE_FORMATS = ("csv", "parquet", "xlsx", "json")
FORMATS = (*FILE_FORMATS, "sqlite", "postgresql", "webhook")
DEFAULT_FIELDS = ("customer_id", "customer_key", "name", "phone", "email", "segment")
"""Exported when no fields are asked for (``segment`` only in a segmented project)."""
MEMBERS, SENT = "_export_members", "_export_sent"
"""Temporary tables of the selected customers, and of those a failed webhook already got."""
_NOT_ATTRIBUTES = ("customer_id", "sources", "profile_records")


@dataclass(frozen=True)
class Field:
    """One exportable column: its SQL over the export query, and whether it holds a list.

    `sql` reads the table aliased `source`: ``m`` (the members), ``c`` (customers), ``f``
    (features), ``t`` (tags) or ``g`` (segments).
    """

    name: str
    source: str
    sql: str
    is_list: bool = False


def exportable_fields(engine: Engine) -> dict[str, Field]:
    """Every field an export may hold, by name, read from the built project's store.

    ``customer_id``; each identifier (``phone``: the first, ``phones``: all, joined by ``|``);
    the customer attributes; the features; the tags (bare, or ``tag:NAME`` when a feature has
    the same name); ``segment`` (its name in `language`) and ``segment_id``.

    Raises:
        ProjectError: before `persona build`.
    """
    if not engine.table_exists("customers") or not engine.table_exists("features"):
        raise ProjectError("no customers yet: run `persona build` first")
    fields = {"customer_id": Field("customer_id", "m", "m.customer_id")}
    customers = engine.table_columns("customers")
    lists = {f"{name}s" for name in IDENTIFIERS}
    for name in IDENTIFIERS:
        if f"{name}s" in customers:
            column = f"c.{quote_identifier(name + 's')}"
            fields[name] = Field(name, "c", f"{column}[1]")
            fields[f"{name}s"] = Field(f"{name}s", "c", column, is_list=True)
    for name in customers:
        if name not in lists and name not in _NOT_ATTRIBUTES and not name.startswith("has_"):
            fields.setdefault(name, Field(name, "c", f"c.{quote_identifier(name)}"))
    for name in engine.table_columns("features"):
        fields.setdefault(name, Field(name, "f", f"f.{quote_identifier(name)}"))
    if engine.table_exists("tags"):
        for name in engine.table_columns("tags"):
            if name != "customer_id":
                tag = Field(name, "t", f"t.{quote_identifier(name)}")
                fields.setdefault(name, tag)
                fields[f"tag:{name}"] = tag
    if engine.table_exists("segments") and engine.table_exists("segment_members"):
        fields["segment"] = Field("segment", "g", "g.segment")
        fields["segment_id"] = Field("segment_id", "g", "g.segment_id")
    return fields


def choose_fields(available: dict[str, Field], asked: list[str] | None) -> list[Field]:
    """The fields asked for (default `DEFAULT_FIELDS` that exist), in order, without repeats.

    Raises:
        ProjectError: an unknown field, with a did-you-mean and the list of fields.
    """
    if not asked:
        return [available[name] for name in DEFAULT_FIELDS if name in available]
    chosen: list[Field] = []
    for name in dict.fromkeys(a.strip() for a in asked if a.strip()):
        if name not in available:
            names = [n for n in available if not n.startswith("tag:")]
            raise ProjectError(
                f"--fields: there is no field {name!r}{did_you_mean(name, names)}; fields: "
                f"{', '.join(names)}"
            )
        chosen.append(replace(available[name], name=name))
    if not chosen:
        raise ProjectError("--fields is empty; name at least one field, e.g. customer_id,phone")
    return chosen


def export_audience(
    project: Project,
    ref: str,
    target: str,
    fmt: str | None = None,
    fields: list[str] | None = None,
    *,
    unmask: bool = False,
    pseudonymise: bool = False,
    bom: bool = True,
    table: str | None = None,
    batch_size: int = 500,
    retry: sinks.Retry | None = None,
) -> dict[str, Any]:
    """Export the customers of an expression or saved audience, and record the export.

    Customers who refused marketing are never exported (they are counted in ``left_out``).
    Direct identifiers are masked unless `unmask` (recorded in the audit log); `pseudonymise`
    replaces ids by keyed hashes and drops direct identifiers.

    Args:
        project: The open project (built).
        ref: An expression, or the name of a saved audience.
        target: A file (csv, parquet, xlsx, json), a SQLite file, a ``postgresql://`` URL or
            an ``http(s)://`` webhook URL.
        fmt: csv, parquet, xlsx, json, sqlite, postgresql or webhook; default: from `target`
            (a URL's scheme or the file's suffix).
        fields: The columns (default `DEFAULT_FIELDS`); see `exportable_fields`.
        unmask: Export names, phones and e-mails as they are.
        pseudonymise: Export keyed hashes of the ids and no direct identifiers.
        bom: Start a CSV with the UTF-8 byte-order mark (for Excel).
        table: The database table (default ``audience_<name>`` or ``audience_export``).
        batch_size: Rows per webhook POST.
        retry: Webhook retry settings (default `sinks.Retry()`).

    Returns:
        ``{"export_id", "audience", "expression", "count", "left_out": {"marketing_opt_out"},
        "k", "format", "target", "fields", "file_hash", "masked", "pseudonymised"}``;
        ``left_out`` below k is None.

    Raises:
        ProjectError: an unknown format or field, a bad target, or a target that refused the
            rows (a webhook failure names the batch).
        ExpressionError: the expression is invalid.

    Example:
        >>> # export_audience(project, "tag('high_value')", "out/vip.csv")["count"]
    """
    if unmask and pseudonymise:
        raise ProjectError("--unmask and --pseudonymise contradict each other; choose one")
    fmt = _format(target, fmt)
    engine = project.engine
    audience, expression = saved.resolve(engine, ref)
    available = exportable_fields(engine)
    chosen = choose_fields(available, fields)
    destination, shown_target = _target(target, fmt, audience, table)
    totals = project.audiences.select_into(expression, MEMBERS)
    classes = project.config.privacy.fields
    frame = _privacy(
        _read(engine, chosen, project.config.language),
        unmask=unmask,
        pseudonymise=pseudonymise,
        store_dir=project.root / ".persona",
        classes=classes,
    )
    if frame.columns.empty:
        raise ProjectError(
            f"--pseudonymise leaves none of the fields {', '.join(f.name for f in chosen)}: "
            "they are all direct identifiers; add other fields (features, tags, segment)"
        )
    members, file_hash = MEMBERS, None
    failure: sinks.WebhookError | None = None
    if fmt in FILE_FORMATS:
        path = Path(destination)
        write_frame(frame, path, fmt, bom=bom)
        file_hash = registry.file_sha256(path)
    elif fmt == "sqlite":
        sinks.write_sqlite(frame, Path(target).expanduser(), destination)
    elif fmt == "postgresql":
        sinks.write_postgres(frame, target, destination)
    else:
        # The registry numbers the export after sending; only this process writes the store.
        export_id = int(
            engine.fetch_all("select coalesce(max(export_id), 0) + 1 from exports")[0][0]
        )
        try:
            sinks.send_webhook(
                frame, target, export_id=export_id, batch_size=batch_size, retry=retry
            )
        except sinks.WebhookError as error:
            if not error.rows_sent:
                raise
            failure, members = error, SENT
            engine.execute(
                f"create or replace temp table {SENT} as select customer_id from {MEMBERS} "
                f"order by customer_id limit {int(error.rows_sent)}"
            )
    result = _record(
        engine,
        members=members,
        audience=audience,
        expression=expression,
        fmt=fmt,
        target=shown_target,
        fields=[str(c) for c in frame.columns],
        masked=not unmask,
        pseudonymised=pseudonymise,
        file=Path(destination) if fmt in FILE_FORMATS else None,
        unmasked_fields=direct_identifiers([f.name for f in chosen], classes) if unmask else [],
    )
    if failure is not None:
        raise failure
    k = project.config.privacy.k
    opted_out = totals["opted_out"]
    return {
        **result,
        "audience": audience,
        "expression": expression,
        "count": totals["count"],
        "left_out": {"marketing_opt_out": opted_out if opted_out == 0 else shown(opted_out, k)},
        "k": k,
        "file_hash": file_hash,
    }


def _format(target: str, fmt: str | None) -> str:
    """The export format, given or taken from the target's URL scheme or file suffix."""
    if fmt is None:
        scheme = urlsplit(target).scheme.lower() if "://" in target else ""
        if scheme in ("http", "https"):
            fmt = "webhook"
        elif scheme in ("postgresql", "postgres"):
            fmt = "postgresql"
        else:
            suffix = Path(target).suffix.lower().lstrip(".")
            fmt = {"db": "sqlite", "sqlite3": "sqlite"}.get(suffix, suffix)
        if not fmt:
            raise ProjectError(
                f"--out {target!r} has no suffix to tell the format by; add one (e.g. .csv) "
                f"or give --format ({', '.join(FORMATS)})"
            )
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ProjectError(
            f"--format {fmt!r} is not an export format{did_you_mean(fmt, list(FORMATS))}; "
            f"use one of {', '.join(FORMATS)}"
        )
    return fmt


def _target(target: str, fmt: str, audience: str | None, table: str | None) -> tuple[str, str]:
    """Where to write (a path, or the table of a database target) and how to record it."""
    if fmt == "webhook":
        sinks.check_webhook_url(target)
        return target, sinks.safe_url(target, keep_query=False)
    if fmt == "postgresql":
        if urlsplit(target).scheme.lower() not in ("postgresql", "postgres"):
            raise ProjectError(
                f"--out {sinks.safe_url(target)!r}: a PostgreSQL export needs a URL like "
                "postgresql://user:password@host:5432/database"
            )
        name = table or f"audience_{audience or 'export'}"
        return name, f"{sinks.safe_url(target, keep_query=False)}#{name}"
    if "://" in target:
        raise ProjectError(
            f"--out {sinks.safe_url(target, keep_query=False)!r}: a {fmt} export writes a file; "
            "give a path such as out/audience.csv"
        )
    path = Path(target).expanduser().resolve()
    if fmt == "sqlite":
        name = table or f"audience_{audience or 'export'}"
        return name, f"{path}#{name}"
    if table is not None:
        raise ProjectError(f"--table is for sqlite and postgresql exports, not {fmt}")
    return str(path), str(path)


def _read(engine: Engine, chosen: list[Field], language: str) -> pd.DataFrame:
    """The chosen fields of the selected customers (in `MEMBERS`), by customer_id."""
    used = {f.source for f in chosen}
    joins = ["join customers c on c.customer_id = m.customer_id"]
    if "f" in used:
        joins.append("left join features f on f.customer_id = m.customer_id")
    if "t" in used:
        joins.append("left join tags t on t.customer_id = m.customer_id")
    if "g" in used:
        name = "name_zh" if language == "zh" else "name_en"
        joins.append(
            f"left join (select sm.customer_id, sm.segment_id, s.{name} as segment from "
            "segment_members sm join segments s on s.segment_id = sm.segment_id) g "
            "on g.customer_id = m.customer_id"
        )
    columns = ", ".join(f"{f.sql} as {quote_identifier(f.name)}" for f in chosen)
    frame = engine.fetch_df(
        f"select {columns} from {MEMBERS} m {' '.join(joins)} order by m.customer_id"
    )
    for field in chosen:
        if field.is_list:
            frame[field.name] = frame[field.name].map(_as_list)
    return frame


def _as_list(value: object) -> list[str] | None:
    if value is None or isinstance(value, float) or not hasattr(value, "__iter__"):
        return None
    items = [str(v) for v in value if v is not None]
    return items or None


def _privacy(
    frame: pd.DataFrame,
    *,
    unmask: bool,
    pseudonymise: bool,
    store_dir: Path,
    classes: Mapping[str, FieldClass],
) -> pd.DataFrame:
    """Mask direct identifiers (unless `unmask`) or pseudonymise; join lists with ``|``.

    `classes` are the project's own field classes (persona.yaml ``privacy.fields``).
    """
    if pseudonymise:
        key = project_secret(store_dir)
        frame = pseudonymise_frame(frame, key, classes)
        if "customer_keys" in frame.columns:
            frame["customer_keys"] = frame["customer_keys"].map(
                lambda keys: [pseudonym(v, key) for v in keys] if keys else None
            )
    elif not unmask:
        frame = mask_frame(frame, classes)
    for column in frame.columns:
        frame[column] = frame[column].map(lambda v: "|".join(v) if isinstance(v, list) else v)
    return frame


def _record(
    engine: Engine,
    *,
    members: str,
    audience: str | None,
    expression: str,
    fmt: str,
    target: str,
    fields: list[str],
    masked: bool,
    pseudonymised: bool,
    file: Path | None,
    unmasked_fields: list[str],
) -> dict[str, Any]:
    """Register the export and write its audit entries; returns the recorded facts."""
    export_id = registry.register_export(
        engine,
        members=members,
        audience=audience,
        expression=expression,
        fmt=fmt,
        target=target,
        fields=fields,
        masked=masked,
        pseudonymised=pseudonymised,
        file=file,
    )
    count = int(
        engine.fetch_all("select count from exports where export_id = ?", [export_id])[0][0]
    )
    facts = {
        "export_id": export_id,
        "format": fmt,
        "target": target,
        "fields": fields,
        "masked": masked,
        "pseudonymised": pseudonymised,
    }
    subject = audience or expression
    audit.record(engine, "export", subject, {**facts, "count": count})
    if unmasked_fields:
        audit.record(
            engine,
            "unmask",
            subject,
            {"export_id": export_id, "fields": unmasked_fields, "count": count, "target": target},
        )
    return facts


def listing(engine: Engine) -> pd.DataFrame:
    """The export registry for people, newest first.

    Columns: export_id, exported_at, audience (the saved name, else the expression), format,
    target, count, fields (comma-joined), sha256 (the first 12 hex digits), masked,
    pseudonymised, forgotten.
    """
    frame = registry.exports(engine)
    return pd.DataFrame(
        {
            "export_id": frame["export_id"].astype(int),
            "exported_at": frame["exported_at"],
            "audience": frame["audience"].where(frame["audience"].notna(), frame["expression"]),
            "format": frame["format"],
            "target": frame["target"],
            "count": frame["count"].astype(int),
            "fields": frame["fields"].map(lambda f: ", ".join(json.loads(f)) if f else ""),
            "sha256": frame["file_hash"].map(lambda h: h[:12] if isinstance(h, str) else None),
            "masked": frame["masked"],
            "pseudonymised": frame["pseudonymised"],
            "forgotten": frame["forgotten"].astype(int),
        }
    )
