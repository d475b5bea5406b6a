"""Batches: re-ingest is a no-op, a changed file is a new batch, overlaps are skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from persona import Project
from persona.model.errors import EngineError
from persona.project import ingest_errors
from tests.conftest import MakeProject, ingest_one, raw_rows

EVENTS = """
- name: events
  kind: events
  path: data/events/
  columns: {device_id: d, event: e, timestamp: t}
"""
HEAD = "d,e,t\n"
DAY1 = HEAD + "x,view,2023-01-01 10:00\ny,view,2023-01-01 11:00\n"


def test_reingesting_an_unchanged_file_is_a_noop(make_project: MakeProject) -> None:
    root = make_project(EVENTS, {"data/events/1.csv": DAY1})
    assert ingest_one(root)["loaded"] == 2
    assert ingest_one(root) == {"received": 0, "loaded": 0, "quarantined": 0, "skipped": 0}
    # touched (new mtime) but the same bytes: still a no-op
    os.utime(root / "data/events/1.csv", (1, 1))
    assert ingest_one(root)["received"] == 0
    with Project.open(root) as project:
        assert project.status().loc[0, "batches"] == 1


def test_a_changed_file_is_a_new_batch_and_overlap_is_skipped(make_project: MakeProject) -> None:
    root = make_project(EVENTS, {"data/events/1.csv": DAY1})
    ingest_one(root)
    (root / "data/events/1.csv").write_text(DAY1 + "z,buy,2023-01-01 12:00\n")
    assert ingest_one(root) == {"received": 3, "loaded": 1, "quarantined": 0, "skipped": 2}
    assert [r[0] for r in raw_rows(root, "raw_events", "_batch_id")] == [1, 1, 2]


def test_copies_are_found_at_any_time_even_infinite_or_past_9999(
    make_project: MakeProject,
) -> None:
    # Only stored rows in the new rows' time range are compared: the range must hold these too.
    odd = HEAD + "x,view,infinity\ny,view,-infinity\nz,view,9999-12-31 20:00:00+00\n"
    root = make_project(EVENTS, {"data/events/1.csv": odd})
    assert ingest_one(root)["loaded"] == 3
    (root / "data/events/1.csv").write_text(odd + "w,buy,2023-01-01 12:00\n")
    assert ingest_one(root) == {"received": 4, "loaded": 1, "quarantined": 0, "skipped": 3}


def test_overlapping_daily_exports(make_project: MakeProject) -> None:
    day2 = HEAD + "y,view,2023-01-01 11:00\nx,buy,2023-01-02 09:00\n"
    root = make_project(EVENTS, {"data/events/1.csv": DAY1, "data/events/2.csv": day2})
    assert ingest_one(root) == {"received": 4, "loaded": 3, "quarantined": 0, "skipped": 1}


def test_duplicates_within_one_file_are_loaded(make_project: MakeProject) -> None:
    root = make_project(EVENTS, {"data/events/1.csv": DAY1 + DAY1.removeprefix(HEAD)})
    assert ingest_one(root)["loaded"] == 4


def test_status_totals_add_up_over_runs(make_project: MakeProject) -> None:
    root = make_project(EVENTS, {"data/events/1.csv": DAY1 + "w,,2023-01-01\n"})
    ingest_one(root)
    (root / "data/events/2.csv").write_text(DAY1)
    ingest_one(root)
    with Project.open(root) as project:
        row = project.status().iloc[0]
    assert (row["received"], row["loaded"], row["quarantined"], row["skipped"]) == (5, 2, 1, 2)


def test_a_failing_batch_leaves_nothing_behind(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(EVENTS, {"data/events/1.csv": DAY1 + "w,,2023-01-01\n"})
    from persona.engine.duckdb import DuckDBEngine

    real_execute = DuckDBEngine.execute

    def failing(self: DuckDBEngine, sql: str, params: object = None) -> None:
        if sql.startswith("insert into batches"):
            raise EngineError("disk full (simulated)", sql)
        real_execute(self, sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(DuckDBEngine, "execute", failing)
    with Project.open(root) as project:
        (error,) = ingest_errors(project.ingest())
    assert "disk full (simulated)" in error
    monkeypatch.undo()
    with Project.open(root) as project:
        for table in ("raw_events", "quarantine", "batches"):
            assert project.engine.fetch_all(f"select count(*) from {table}")[0][0] == 0
    assert ingest_one(root) == {"received": 3, "loaded": 2, "quarantined": 1, "skipped": 0}


def test_store_lives_in_the_project_folder(make_project: MakeProject) -> None:
    root = make_project(EVENTS, {"data/events/1.csv": DAY1})
    ingest_one(root)
    assert (root / ".persona" / "store.duckdb").is_file()
    assert isinstance(root, Path)
