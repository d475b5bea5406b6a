"""Audiences: count, preview and overlap customers selected by an expression (docs/audiences.md).

Customers who refused marketing (``consent_marketing`` false) are left out unless
`include_opted_out` (analytics counts); every result says how many were left out. Counts and
breakdown cells of fewer than `privacy.k` customers are suppressed (DESIGN.md section 9).
"""

from __future__ import annotations

import builtins
import itertools
from typing import TYPE_CHECKING, Any

import pandas as pd

from persona.analysis import saved
from persona.analysis.selection import (
    BASE,
    CELL,
    CELLS,
    OPT_OUT,
    Selectable,
    breakdown,
    compile_expression,
    fingerprint,
    relation,
    selectable,
)
from persona.engine.base import quote_identifier
from persona.model.errors import ProjectError
from persona.privacy.kanon import protect_distribution
from persona.privacy.masking import mask_value

if TYPE_CHECKING:
    from persona.project import Project

PREVIEW_COLUMNS = ("segment", "city", "gender", "age", "lifecycle", "monetary", "frequency")
_UNKNOWN = object()


class Audiences:
    """`project.audiences`: select customers by an expression; save and refresh audiences."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self._known: tuple[str, Selectable, str, pd.DataFrame] | None = None

    @property
    def _k(self) -> int:
        return self._project.config.privacy.k

    def _prepare(self) -> tuple[Selectable, str, pd.DataFrame]:
        """The selectable columns, the table to count on and its breakdown cells.

        They are read again after a build or a segments run.
        """
        engine = self._project.engine
        if not engine.table_exists("features"):
            raise ProjectError("no features yet: run `persona build` first")
        made_from = fingerprint(engine)
        if self._known is None or self._known[0] != made_from:
            columns = selectable(engine, self._project.config)
            base = relation(engine, columns, made_from)
            cells = engine.fetch_df(f"select * from {CELLS}").set_index(CELL)
            self._known = (made_from, columns, base, cells)
        return self._known[1], self._known[2], self._known[3]

    def raw_count(self, expression: str, *, include_opted_out: bool = False) -> dict[str, int]:
        """Unsuppressed counts, for tests and saved-audience history (never shown as such).

        Returns:
            ``{"count": n, "population": p, "opted_out": o}``: customers selected, the
            customers counted from, and opted-out customers the expression selects (left out
            unless `include_opted_out`).
        """
        columns, base, _ = self._prepare()
        condition, _ = compile_expression(expression, columns)
        return self._totals(condition, base, include_opted_out)

    def _totals(self, condition: str, base: str, include_opted_out: bool) -> dict[str, int]:
        row = self._project.engine.fetch_all(
            f"select {self._counts(include_opted_out)} from (select {condition} is true "
            f"as _hit, {OPT_OUT} from {base})"
        )[0]
        return {"count": int(row[0]), "population": int(row[1]), "opted_out": int(row[2])}

    @staticmethod
    def _counts(include_opted_out: bool) -> str:
        """SQL of the selected, population and left-out counts over ``_hit`` and `OPT_OUT`."""
        keep = "true" if include_opted_out else f"not {OPT_OUT}"
        left_out = "false" if include_opted_out else OPT_OUT
        return (
            f"count(*) filter (where _hit and {keep}) as count, count(*) filter "
            f"(where {keep}) as population, count(*) filter (where _hit and {left_out}) "
            "as opted_out"
        )

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
        columns, base, _ = self._prepare()
        condition, _ = compile_expression(expression, columns)
        keep = "" if include_opted_out else f"and not {OPT_OUT}"
        self._project.engine.execute(
            f"create or replace temp table {quote_identifier(table)} as select customer_id "
            f"from {base} where {condition} is true {keep}"
        )
        return self._totals(condition, base, include_opted_out)

    def invalidate(self) -> None:
        """Drop the derived tables audiences are counted on; the next count makes them again.

        `persona forget` calls this, so no copy of a forgotten person survives in a cache.
        """
        engine = self._project.engine
        with engine.transaction():
            for table in (BASE, CELLS):
                engine.drop(table)
            engine.execute("delete from _persona_meta where key = ?", [BASE])
        self._known = None

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
            ExpressionError: the expression is invalid (position, did-you-mean).
            ProjectError: before a build.

        Example:
            >>> # project.audiences.count("monetary > 1000 and gender = 'female'")["count"]
        """
        columns, base, cells = self._prepare()
        condition, _ = compile_expression(expression, columns)
        dimensions = breakdown(columns) if by else []
        # One scan grouped by the integer of each combination of breakdown values.
        frame = self._project.engine.fetch_df(
            f"select {CELL}, {self._counts(include_opted_out)} from (select {CELL}, {OPT_OUT}, "
            f"{condition} is true as _hit from {base}) group by {CELL}"
        ).join(cells, on=CELL)
        totals = {c: int(frame[c].sum()) for c in ("count", "population", "opted_out")}
        total, k = totals["count"], self._k
        shown_cells: dict[str, list[dict[str, Any]]] = {}
        if _shown(total, k) not in (None, 0):
            shown_cells = {d: _cells(frame, columns.column(d), k) for d in dimensions}
        count, population = _shown(total, k), totals["population"]
        opted_out = totals["opted_out"]
        return {
            "expression": expression,
            "count": count,
            "below_k": count is None,
            "share": round(total / population, 6) if count is not None and population else None,
            "population": _shown(population, k),
            "k": k,
            "left_out": {"marketing_opt_out": _shown(opted_out, k)},
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
        columns, base, _ = self._prepare()
        condition, used = compile_expression(expression, columns)
        extra = [c for c in PREVIEW_COLUMNS if c in columns.names]
        extra = [columns.column(c) for c in extra]
        extra += sorted(u for u in used if u not in extra)
        keep = "" if include_opted_out else f"and not {OPT_OUT}"
        shown_columns = ", ".join(f"s.{quote_identifier(c)}" for c in extra)
        frame = self._project.engine.fetch_df(
            "select s.customer_id, c.customer_keys[1] as customer_key, c.name, "
            f"c.phones[1] as phone, c.emails[1] as email, {shown_columns} from (select * from "
            f"{base} where {condition} is true {keep}) s "
            "join customers c on c.customer_id = s.customer_id "
            f"order by hash(s.customer_id || ?), s.customer_id limit {int(rows)}",
            [str(seed)],
        )
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
        columns, base, _ = self._prepare()
        letters = "ABC"[: len(expressions)]
        conditions, used = [], set()
        for expression in expressions:
            condition, reads = compile_expression(expression, columns)
            conditions.append(condition)
            used |= reads
        flags = ", ".join(f"{c} is true as _{x}" for c, x in zip(conditions, letters, strict=True))
        keep = "true" if include_opted_out else f"not {OPT_OUT}"
        any_hit = " or ".join(f"_{x}" for x in letters)
        rows = self._project.engine.fetch_all(
            f"select {', '.join('_' + x for x in letters)}, count(*) filter (where {keep}), "
            f"count(*) filter (where {OPT_OUT}) from (select {OPT_OUT}, {flags} "
            f"from {base}) where {any_hit} group by all"
        )
        found = {tuple(bool(v) for v in row[: len(letters)]): int(row[-2]) for row in rows}
        opted_out = 0 if include_opted_out else sum(int(row[-1]) for row in rows)
        regions = []
        for size in range(1, len(letters) + 1):
            for members in itertools.combinations(letters, size):
                key = tuple(x in members for x in letters)
                value = _shown(found.get(key, 0), self._k)
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
            "left_out": {"marketing_opt_out": _shown(opted_out, self._k)},
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
        frame["size"] = [_shown(int(s), self._k) if pd.notna(s) else None for s in frame["size"]]
        return frame

    def show(self, name: str) -> dict[str, Any]:
        """One saved audience: definition, versions, and its size at every refresh.

        Raises:
            UnknownReferenceError: no such audience (with a did-you-mean).
        """
        detail = saved.detail(self._project.engine, name)
        for entry in detail["history"]:
            entry["size"] = _shown(entry["size"], self._k)
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
                    "size": _shown(size, self._k),
                }
            )
        return refreshed


def _shown(count: int, k: int) -> int | None:
    """The count when 0 or at least k customers, else None (shown as ``<k``)."""
    return count if count == 0 or count >= k else None


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
