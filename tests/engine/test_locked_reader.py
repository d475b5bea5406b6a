"""The locked reader audience expressions run on: it reads its one file and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona.engine.duckdb import DuckDBEngine, LockedReader
from persona.model.errors import EngineError


@pytest.fixture
def reader(tmp_path: Path) -> LockedReader:
    engine = DuckDBEngine(None)
    target = tmp_path / "audience.duckdb"
    engine.execute(f"attach '{target}' as a")
    engine.execute("create table a.t as select range as x from range(5)")
    engine.execute("detach a")
    engine.close()
    (tmp_path / "secret.csv").write_text("x\n1\n", encoding="utf-8")
    return LockedReader(target)


def test_it_reads_its_file(reader: LockedReader) -> None:
    assert reader.fetch_all("select count(*), sum(x) from t") == [(5, 10)]
    assert list(reader.fetch_df("select x from t order by x")["x"]) == [0, 1, 2, 3, 4]
    assert reader.fetch_arrow("select x from t").num_rows == 5


@pytest.mark.parametrize(
    "statement",
    [
        "select * from read_csv('{dir}/secret.csv')",
        "copy t to '{dir}/out.csv'",
        "attach '{dir}/other.duckdb' as o",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
        "reset enable_external_access",
        "set lock_configuration = false",
        "set memory_limit = '100GB'",
        "create table t2 as select 1",
        "insert into t values (9)",
        "delete from t",
        "drop table t",
    ],
)
def test_it_refuses_files_settings_and_writes(
    reader: LockedReader, tmp_path: Path, statement: str
) -> None:
    with pytest.raises(EngineError):
        reader.fetch_all(statement.format(dir=tmp_path))
    assert reader.fetch_all("select count(*) from t") == [(5,)]
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()
