"""Audiences: count, preview and overlap customers selected by an expression (docs/audiences.md).

Customers who refused marketing (``consent_marketing`` false) are left out unless
`include_opted_out` (analytics counts); every result says how many were left out. Counts and
breakdown cells of fewer than `privacy.k` customers are suppressed (DESIGN.md section 9).
"""

from __future__ import annotations

import builtins
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from persona.analysis import saved
from persona.analysis.selection import (
    AUDIENCE_FILE,
    BASE,
    CELL,
    CELLS,
    OPT_OUT,
    AudienceBase,
    Selectable,
    breakdown,
    compile_expression,
    fingerprint,
    read_base,
    selectable,
    write_base,
)
from persona.engine.base import quote_identifier
from persona.engine.duckdb import LockedReader
from persona.model.errors import ProjectError
from persona.privacy.kanon import protect_distribution, shown_count
from persona.privacy.masking import mask_value
from persona.store import STORE_DIR

if TYPE_CHECKING:
    from persona.project import Project

PREVIEW_COLUMNS = ("segment", "city", "gender", "age", "lifecycle", "monetary", "frequency")
_UNKNOWN = object()


class Audiences:
    """`project.audiences`: select customers by an expression; save and refresh audiences.

    Expressions are evaluated on the audience file (`persona.analysis.selection.write_base`)
    through a `LockedReader`: a read-only engine connection without external access and with
    its configuration locked.
    """

    def __init__(self, project: Project) -> None:
        self._project = project
        self._columns: Selectable | None = None
        self._base: AudienceBase | None = None
        self._reader: LockedReader | None = None

    @property
    def _k(self) -> int:
        return self._project.config.privacy.k

    @property
    def path(self) -> Path:
        """The audience file (derived from the store; safe to delete)."""
        return self._project.root / STORE_DIR / AUDIENCE_FILE

    def _prepare(self) -> tuple[Selectable, LockedReader, AudienceBase]:
        """The selectable columns, the locked reader of the audience file and its contents.

        The file is made again when a build or a segments run changed what it holds.
        """
        engine = self._project.engine
        if not engine.table_exists("features"):
            raise ProjectError("no features yet: run `persona build` first")
        made_from = fingerprint(engine)
        if self._base is None or self._base.fingerprint != made_from:
            self._close_reader()
            columns = selectable(engine, self._project.config)
            base = read_base(self._open_reader()) if self.path.exists() else None
            if base is None or base.fingerprint != made_from:
                self._close_reader()
                write_base(engine, columns, made_from, self.path)
                base = read_base(self._open_reader())
            if base is None:
                raise ProjectError(f"cannot write the audience file {self.path}")
            self._columns, self._base = columns, base
        assert self._columns is not None and self._reader is not None
        return self._columns, self._reader, self._base

    def _open_reader(self) -> LockedReader:
        self._reader = LockedReader(self.path)
        return self._reader

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _compile(self, expression: str) -> tuple[str, set[str], LockedReader, AudienceBase]:
        columns, reader, base = self._prepare()
        condition, used = compile_expression(expression, columns, base.codes)
        return condition, used, reader, base

    def raw_count(self, expression: str, *, include_opted_out: bool = False) -> dict[str, int]:
        """Unsuppressed counts, for tests and saved-audience history (never shown as such).

        Returns:
            ``{"count": n, "population": p, "opted_out": o}``: customers selected, the
            customers counted from, and opted-out customers the expression selects (left out
            unless `include_opted_out`).
        """
        condition, _, reader, base = self._compile(expression)
        kept, opted = reader.fetch_all(
            f"select count(*) filter (where not {OPT_OUT}), count(*) filter (where {OPT_OUT}) "
            f"from {BASE} where {condition}"
        )[0]
        return _totals(base.cells, int(kept), int(opted), include_opted_out)

    def select_into(
        self, expression: str, table: str, *, include_opted_out: bool = False
    ) -> dict[str, int]:
        """Write the customers an expression selects into a temporary table of the engine.

        The table has one column, ``customer_id``; it lives until the project is closed.
        Exports, coverage and lookalikes start from it.

        Returns:
            ``{"count": n, "population": p, "opted_out": o}`` as `raw_count` gives them.

        Raises:
            ExpressionError: the expression is invalid.
            ProjectError: before a build.
        """
        condition, _, reader, base = self._compile(expression)
        selected = reader.fetch_arrow(
            f"select customer_id, {OPT_OUT} from {BASE} where {condition}"
        )
        opted = pc.sum(selected.column(OPT_OUT).cast(pa.int64())).as_py() or 0
        kept = selected if include_opted_out else selected.filter(pc.invert(selected[OPT_OUT]))
        self._project.engine.stage_table(table, kept.select(["customer_id"]))
        return _totals(base.cells, len(selected) - opted, opted, include_opted_out)

    def invalidate(self) -> None:
        """Delete the audience file; the next count makes it again.

        `persona forget` calls this, so no copy of a forgotten person survives in a cache.
        """
        self._close_reader()
        self._columns = self._base = None
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            path.unlink(missing_ok=True)
        engine = self._project.engine
        for legacy in (BASE, CELLS):  # kept in the store itself before Persona 0.6
            engine.drop(legacy)

    def close(self) -> None:
        """Release the audience file (`Project.close` calls this)."""
        self._close_reader()

    def count(
        self, expression: str, *, include_opted_out: bool = False, by: bool = True
    ) -> dict[str, Any]:
        """How many customers an expression selects, with a k-suppressed breakdown.

        Args:
            expression: e.g. ``orders_90d >= 3 and city in ('上海', '北京')``.
            include_opted_out: Count customers who refused marketing too (analytics only).
            by: Add the breakdown by segment, city, gender and lifecycle.

        Returns:
            ``{"expression", "count", "below_k", "share", "population", "k", "left_out":
            {"marketing_opt_out"}, "breakdown": {column: [cells]}}``; a count below k is None
            with ``below_k`` true (docs/audiences.md has the shape).

        Raises:
            ExpressionError: The expression is invalid (position, did-you-mean).
            ProjectError: Before a build.

        Example:
            >>> # project.audiences.count("monetary > 1000 and gender = 'female'")["count"]
        """
        condition, _, reader, base = self._compile(expression)
        columns = self._columns
        assert columns is not None
        # Only the selected customers are grouped, by the integer of their cell. The condition
        # stands alone in WHERE (a null is not selected there) so its comparisons are pushed
        # into the scan.
        hits = reader.fetch_df(
            f"select {CELL}, count(*) as count from {BASE} where {condition} group by {CELL}"
        ).set_index(CELL)
        frame = base.cells.join(hits, how="inner")
        opted = frame[OPT_OUT].astype(bool)
        opted_out = 0 if include_opted_out else int(frame.loc[opted, "count"].sum())
        kept = frame if include_opted_out else frame.loc[~opted]
        totals = _totals(base.cells, int(kept["count"].sum()), opted_out, include_opted_out)
        total, k = totals["count"], self._k
        shown_cells: dict[str, list[dict[str, Any]]] = {}
        if by and shown_count(total, k) not in (None, 0):
            shown_cells = {d: _cells(kept, columns.column(d), k) for d in breakdown(columns)}
        count, population = shown_count(total, k), totals["population"]
        return {
            "expression": expression,
            "count": count,
            "below_k": count is None,
            "share": round(total / population, 6) if count is not None and population else None,
            "population": shown_count(population, k),
            "k": k,
            "left_out": {"marketing_opt_out": shown_count(opted_out, k)},
            "breakdown": shown_cells,
        }

    def preview(
        self, expression: str, *, rows: int = 10, seed: int = 0, include_opted_out: bool = False
    ) -> pd.DataFrame:
        """A seeded sample of selected customers, direct identifiers masked.

        Columns: customer_id, customer_key, name, phone, email (masked), then segment, city,
        gender, age, lifecycle, monetary, frequency (those the project has) and the columns the
        expression reads.

        Raises:
            ExpressionError: the expression is invalid.
            ProjectError: before a build, or `rows` is not positive.
        """
        if rows < 1:
            raise ProjectError(f"--rows {rows}: ask for at least 1 row")
        condition, used, reader, _ = self._compile(expression)
        columns = self._columns
        assert columns is not None
        extra = [c for c in PREVIEW_COLUMNS if c in columns.names]
        extra = [columns.column(c) for c in extra]
        extra += sorted(u for u in used if u not in extra)
        keep = "" if include_opted_out else f"and not {OPT_OUT}"
        shown_columns = ", ".join(quote_identifier(c) for c in extra)
        sample = reader.fetch_df(
            f"select customer_id, {shown_columns} from {BASE} where {condition} {keep} "
            f"order by hash(customer_id || ?), customer_id limit {int(rows)}",
            [str(seed)],
        )
        people = self._project.engine.fetch_df(
            "select customer_id, customer_keys[1] as customer_key, name, phones[1] as phone, "
            "emails[1] as email from customers where list_contains(?, customer_id)",
            [sample["customer_id"].tolist()],
        )
        frame = people.merge(sample, on="customer_id", how="right")
        for field in ("name", "phone", "email"):
            frame[field] = frame[field].map(lambda v, f=field: mask_value(f, v))
        return frame.rename(columns={c: c.removeprefix("tag:") for c in frame.columns})

    def overlap(self, *expressions: str, include_opted_out: bool = False) -> dict[str, Any]:
        """The Venn regions of two or three audiences, each k-suppressed.

        Returns:
            ``{"audiences": {"A": expr, ...}, "regions": [{"region": "A&B", "in": ["A", "B"],
            "count": n or None, "suppressed": bool}], "k", "left_out"}``; a region is the
            customers in exactly those audiences.

        Raises:
            ProjectError: not two or three expressions.
            ExpressionError: an expression is invalid (its letter is named).
        """
        if len(expressions) not in (2, 3):
            raise ProjectError(f"overlap takes 2 or 3 audience expressions, not {len(expressions)}")
        letters = "ABC"[: len(expressions)]
        conditions = []
        for expression in expressions:
            condition, _, reader, _ = self._compile(expression)
            conditions.append(condition)
        flags = ", ".join(f"{c} is true as _{x}" for c, x in zip(conditions, letters, strict=True))
        keep = "true" if include_opted_out else f"not {OPT_OUT}"
        any_hit = " or ".join(f"_{x}" for x in letters)
        rows = reader.fetch_all(
            f"select {', '.join('_' + x for x in letters)}, count(*) filter (where {keep}), "
            f"count(*) filter (where {OPT_OUT}) from (select {OPT_OUT}, {flags} "
            f"from {BASE}) where {any_hit} group by all"
        )
        found = {tuple(bool(v) for v in row[: len(letters)]): int(row[-2]) for row in rows}
        opted_out = 0 if include_opted_out else sum(int(row[-1]) for row in rows)
        regions = []
        for size in range(1, len(letters) + 1):
            for members in itertools.combinations(letters, size):
                key = tuple(x in members for x in letters)
                value = shown_count(found.get(key, 0), self._k)
                regions.append(
                    {
                        "region": "&".join(members),
                        "in": list(members),
                        "count": value,
                        "suppressed": value is None,
                    }
                )
        return {
            "audiences": dict(zip(letters, expressions, strict=True)),
            "regions": regions,
            "k": self._k,
            "left_out": {"marketing_opt_out": shown_count(opted_out, self._k)},
        }

    def save(self, name: str, expression: str) -> dict[str, Any]:
        """Save (or change) a named audience after validating it; records its size now.

        Returns:
            The audience as `show` gives it.

        Raises:
            ExpressionError: the expression is invalid (nothing is saved).
            ProjectError: the name is not a plain identifier.
        """
        self.raw_count(expression)
        saved.save(self._project.engine, name, expression)
        self.refresh(name)
        return self.show(name)

    def list(self) -> pd.DataFrame:
        """The saved audiences: name, version, expression, updated_at, last size (k-suppressed)."""
        frame = saved.listing(self._project.engine)
        frame["size"] = [
            shown_count(int(s), self._k) if pd.notna(s) else None for s in frame["size"]
        ]
        return frame

    def show(self, name: str) -> dict[str, Any]:
        """One saved audience: definition, versions, and its size at every refresh.

        Raises:
            UnknownReferenceError: no such audience (with a did-you-mean).
        """
        detail = saved.detail(self._project.engine, name)
        for entry in detail["history"]:
            entry["size"] = shown_count(entry["size"], self._k)
        return detail

    def refresh(self, name: str | None = None) -> builtins.list[dict[str, Any]]:
        """Recount every saved audience (or one) and append the sizes to their history.

        Returns:
            Per audience: name, version and size (k-suppressed).

        Raises:
            UnknownReferenceError: `name` is not a saved audience.
            ExpressionError: a saved expression no longer fits the data (e.g. a feature was
                removed); the message names the audience.
        """
        engine = self._project.engine
        refreshed = []
        for audience in saved.definitions(engine, name):
            size = self.raw_count(audience["expression"])["count"]
            saved.append_history(engine, audience, size)
            refreshed.append(
                {
                    "name": audience["name"],
                    "version": audience["version"],
                    "size": shown_count(size, self._k),
                }
            )
        return refreshed


def _totals(cells: pd.DataFrame, kept: int, opted: int, include_opted_out: bool) -> dict[str, int]:
    """The totals of a selection: ``{"count", "population", "opted_out"}``.

    `kept` and `opted` are the selected customers who did not and did refuse marketing;
    the population comes from the customers of every cell.
    """
    everyone = int(cells["customers"].sum())
    refused = int(cells.loc[cells[OPT_OUT].astype(bool), "customers"].sum())
    if include_opted_out:
        return {"count": kept + opted, "population": everyone, "opted_out": 0}
    return {"count": kept, "population": everyone - refused, "opted_out": opted}


def _cells(frame: pd.DataFrame, column: str, k: int) -> list[dict[str, Any]]:
    """The k-protected cells of one breakdown column (small values pooled as "other")."""
    sums = frame.groupby(column, dropna=False)["count"].sum()
    counts: list[tuple[object, int]] = []
    for value, n in sums.items():
        key: Any = value
        counts.append((_UNKNOWN if pd.isna(key) else key, int(n)))
    cells = []
    for cell in protect_distribution(counts, k):
        other = cell.value is None
        shown = None if other or cell.value is _UNKNOWN else cell.value
        cells.append(
            {
                "value": _plain(shown),
                "other": other,
                "count": cell.count,
                "share": None if cell.share is None else round(cell.share, 6),
                "suppressed": cell.count is None,
            }
        )
    return cells


def _plain(value: object) -> object:
    return value.item() if hasattr(value, "item") else value
