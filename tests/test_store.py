from __future__ import annotations

from pathlib import Path

import pytest

from persona.engine.duckdb import DuckDBEngine
from persona.model.errors import StoreError
from persona.store import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version


def test_a_new_store_gets_the_current_schema(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "s.duckdb")
    report = migrate(engine)
    assert (report.from_version, report.to_version) == (0, SCHEMA_VERSION)
    assert report.messages == []
    assert schema_version(engine) == SCHEMA_VERSION
    assert engine.table_exists("raw_events") and engine.table_exists("quarantine")
    engine.close()


def test_an_older_store_is_upgraded_with_a_message(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "s.duckdb")
    migrate(engine)
    newer = [*MIGRATIONS, ["alter table batches add column note VARCHAR"]]
    report = migrate(engine, newer)
    assert report.messages == [
        f"upgraded the store schema from v{SCHEMA_VERSION} to v{SCHEMA_VERSION + 1}"
    ]
    assert "note" in engine.table_columns("batches")
    assert migrate(engine, newer).messages == []
    engine.close()


def test_a_store_from_a_newer_persona_is_refused(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "s.duckdb")
    migrate(engine, [*MIGRATIONS, ["create table future (x int)"]])
    with pytest.raises(StoreError, match="newer Persona"):
        migrate(engine)
    engine.close()


def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "s.duckdb")
    migrate(engine)
    broken = [*MIGRATIONS, ["create table ok (x int)", "this is not sql"]]
    with pytest.raises(Exception, match=r"not sql|syntax"):
        migrate(engine, broken)
    assert schema_version(engine) == SCHEMA_VERSION
    assert not engine.table_exists("ok")
    engine.close()


def test_a_store_in_use_gives_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "s.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); "
            "print('ok', flush=True); time.sleep(30)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreError, match="in use by another Persona process"):
            DuckDBEngine(path)
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
