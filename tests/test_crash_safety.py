"""A process killed (SIGKILL) at any moment of a large ingest leaves the store consistent."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from persona import Project
from tests.conftest import MakeProject

EVENTS = """
- name: events
  kind: events
  path: data/events/
  columns: {device_id: d, event: e, timestamp: t}
"""
FILES = 4
ROWS = 150_000


def _write_events(root: Path) -> None:
    previous: list[str] = []
    for day in range(FILES):
        lines = ["d,e,t,v"]
        for i in range(ROWS):
            stamp = f"2023-01-{day + 1:02d} {i % 24:02d}:{i % 60:02d}:00"
            if i % 10_007 == 0:
                stamp = "oops"
            lines.append(f"dev{i % 5000},view,{stamp},{i % 500}")
        # a few rows repeat the previous day's, so "skipped" is exercised too
        lines.extend(previous[1:50])
        previous = lines
        (root / f"data/events/day{day}.csv").write_text("\n".join(lines) + "\n")


def _totals(root: Path) -> tuple[tuple[object, ...], int]:
    with Project.open(root) as project:
        status = project.status().iloc[0]
        totals = tuple(int(status[k]) for k in ("received", "loaded", "quarantined", "skipped"))
        rows = int(project.engine.fetch_all("select count(*) from raw_events")[0][0])
    return totals, rows


def _consistent(root: Path) -> None:
    with Project.open(root) as project:
        fetch = project.engine.fetch_all
        # A crash between a batch's commit and its settle may leave marked rows: never loaded.
        orphans = fetch(
            "select count(*) from raw_events where _batch_id not in (select batch_id from batches)"
        )[0][0]
        assert orphans == 0
        orphan_quarantine = fetch(
            "select count(*) from quarantine where batch_id not in (select batch_id from batches)"
        )[0][0]
        assert orphan_quarantine == 0
        for batch_id, loaded, quarantined in fetch(
            "select batch_id, loaded, quarantined from batches"
        ):
            assert (
                fetch(
                    "select count(*) from raw_events where _batch_id = ? "
                    "and _problem is null and not _skip",
                    [batch_id],
                )[0][0]
                == loaded
            )
            assert (
                fetch("select count(*) from quarantine where batch_id = ?", [batch_id])[0][0]
                == quarantined
            )


@pytest.mark.slow
def test_sigkill_at_several_points_then_rerun_gives_the_same_totals(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project(EVENTS)
    (root / "data/events").mkdir()
    _write_events(root)
    reference = tmp_path / "reference"
    shutil.copytree(root, reference)
    command = [sys.executable, "-m", "persona", "ingest", "--json"]
    started = time.perf_counter()
    subprocess.run([*command, "-p", str(reference)], check=True, capture_output=True)
    uninterrupted = time.perf_counter() - started
    expected = _totals(reference)
    assert expected[0][0] == FILES * ROWS + (FILES - 1) * 49

    killed_mid_way = 0
    # Kill points spread over an uninterrupted run's duration: start-up, staging, loading, commit.
    for share in (0.4, 0.55, 0.7, 0.85, 0.95):
        delay = share * uninterrupted
        process = subprocess.Popen(
            [*command, "-p", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed_mid_way += 1
        process.wait()
        _consistent(root)
    assert killed_mid_way >= 2, "the ingest finished too fast to be interrupted"

    result = subprocess.run([*command, "-p", str(root)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    _consistent(root)
    assert _totals(root) == expected
