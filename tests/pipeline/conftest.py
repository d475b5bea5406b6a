"""Fixtures for pipeline tests: a real, throwaway PostgreSQL server.

The `postgres_url` fixture starts its own cluster once per test session, on a free port on
127.0.0.1 with password (SCRAM) authentication, and stops it at the end. It never skips: when
the server binaries are missing the test fails and says how to install them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

PG_USER = "persona"
PG_PASSWORD = "secret"
PG_DATABASE = "persona_test"

LoadPostgres = Callable[[str, Sequence[tuple[str, str]], Iterable[Sequence[object]]], None]


def find_postgres_bindir() -> Path | None:
    """Return the folder holding `initdb` and `pg_ctl`, or None when the server is not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    versions.sort(key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    candidates.extend(Path(p) for p in reversed(versions))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Cluster:
    """A PostgreSQL cluster in a temporary folder, run as `postgres` when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.home = Path(tempfile.mkdtemp(prefix="persona-pg-"))
        self.data = self.home / "data"
        self.sockets = self.home / "sockets"
        self.log = self.home / "server.log"
        self.port = 0
        self.sockets.mkdir()
        (self.home / "pwfile").write_text(PG_PASSWORD + "\n", encoding="utf-8")
        if self.as_root:
            try:
                shutil.chown(self.home, "postgres", "postgres")
                for child in self.home.iterdir():
                    shutil.chown(child, "postgres", "postgres")
            except LookupError:
                shutil.rmtree(self.home, ignore_errors=True)
                pytest.fail(
                    "PostgreSQL refuses to run as root and there is no `postgres` system user "
                    "to run it as; run `make test`, which installs the Debian `postgresql` "
                    "package (it creates that user)"
                )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, cwd=self.home, capture_output=True, text=True, check=False, timeout=120
        )

    def initdb(self) -> None:
        result = self.run(
            "initdb",
            "-D", str(self.data),
            "--username", PG_USER,
            "--pwfile", str(self.home / "pwfile"),
            "--auth-local", "trust",
            "--auth-host", "scram-sha-256",
            "--encoding", "UTF8",
            "--locale", "C",
            "--no-sync",
        )  # fmt: skip
        if result.returncode != 0:
            pytest.fail(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        for _attempt in range(3):
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            result = self.run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                "-t", "60", "start",
            )  # fmt: skip
            if result.returncode == 0:
                return
        log = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        pytest.fail(f"pg_ctl start failed:\n{result.stdout}\n{result.stderr}\n{log}")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.home, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Start a throwaway PostgreSQL server and yield a URL to its empty `persona_test` database.

    The database's time zone is Asia/Shanghai, so timestamptz values read back with +08:00.
    """
    bindir = find_postgres_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; run `make test`, which "
            "installs the Debian `postgresql` package, or `apt-get install postgresql`"
        )
    cluster = _Cluster(bindir)
    try:
        cluster.initdb()
        cluster.start()
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DATABASE)))
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET timezone TO 'Asia/Shanghai'").format(
                    sql.Identifier(PG_DATABASE)
                )
            )
        yield cluster.url(PG_DATABASE)
    finally:
        cluster.stop()


def load_postgres_table(
    url: str,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[object]],
) -> None:
    """(Re)create `table` with `columns` (name, SQL type) and COPY `rows` into it.

    `table` may be schema-qualified (`shop.orders`); the schema is created when missing.
    """
    parts = table.split(".")
    with psycopg.connect(url) as conn:
        if len(parts) == 2:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(parts[0])))
        name = sql.Identifier(*parts)
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
        definition = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(sql_type))
            for column, sql_type in columns
        )
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(name, definition))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            name, sql.SQL(", ").join(sql.Identifier(column) for column, _ in columns)
        )
        with conn.cursor().copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)


@pytest.fixture
def load_postgres(postgres_url: str) -> LoadPostgres:
    """Return `load(table, columns, rows)` that fills a table of the test server."""

    def load(
        table: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[object]]
    ) -> None:
        load_postgres_table(postgres_url, table, columns, rows)

    return load
