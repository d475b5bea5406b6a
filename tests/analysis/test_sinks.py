"""Audience exports to SQLite, PostgreSQL and a webhook (a local HTTP server in a thread)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest

from persona import Project
from persona.analysis.sinks import Retry, WebhookError, safe_url, send_webhook
from tests.analysis.test_exports import build_export_project, export_json, persona
from tests.pipeline.conftest import PG_PASSWORD, postgres_url  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_export_project(tmp_path_factory.mktemp("sinks") / "project")


@pytest.fixture
def root(built_once: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built_once, tmp_path / "project"))


def registry(root: Path) -> pd.DataFrame:
    with Project.open(root) as project:
        return project.engine.fetch_df("select * from exports order by export_id")


def test_sqlite_table_is_written_and_replaced(root: Path) -> None:
    database = root / "out" / "crm.db"
    first = export_json(
        root, "monetary >= 0", "--out", str(database), "--format", "sqlite",
        "--fields", "customer_key,name,monetary,consent_marketing,last_order_at,phones",
    )  # fmt: skip
    assert first["count"] == 5 and first["target"] == f"{database.resolve()}#audience_export"
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "select customer_key, name, monetary, consent_marketing, last_order_at, phones "
            "from audience_export order by customer_key"
        ).fetchall()
    assert [r[0] for r in rows] == ["C1", "C2", "C4", "C5", "C6"]  # C3 refused marketing
    assert rows[0][1:4] == ("张*", 700.0, 1) and rows[2][3] is None  # C4: consent unknown
    assert str(rows[0][4]).startswith("2024-06-28T10:00") and rows[0][5] == "138****5678"
    saved = persona("audience", "save", "vip", "monetary >= 200", "-p", str(root))
    assert saved.exit_code == 0, saved.output
    export_json(root, "vip", "--out", str(database), "--table", "audience_export")
    export_json(root, "vip", "--out", str(database), "--fields", "customer_key")  # .db: sqlite
    with sqlite3.connect(database) as connection:
        replaced = connection.execute("select customer_key from audience_export").fetchall()
        named = connection.execute("select * from audience_vip order by 1").fetchall()
    assert sorted(replaced) == [("C1",), ("C5",)] and named == [("C1",), ("C5",)]
    stored = registry(root)
    assert list(stored["format"]) == ["sqlite"] * 3 and list(stored["count"]) == [5, 2, 2]
    assert stored["file_hash"].isna().all()
    assert list(stored["audience"].fillna("")) == ["", "vip", "vip"]


def test_postgresql_table_without_the_password_anywhere(
    root: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    args = ("--out", postgres_url, "--table", "crm.campaign", "--fields", "customer_key,monetary")
    result = persona("audience", "export", "monetary >= 0", *args, "-p", str(root), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert PG_PASSWORD not in result.stdout and "Exported 5 customers (postgresql)" in result.stdout
    again = export_json(root, "monetary >= 200", *args)
    assert again["target"] == safe_url(postgres_url) + "#crm.campaign"
    assert PG_PASSWORD not in json.dumps(again)
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute(
            "select customer_key, monetary from crm.campaign order by 1"
        ).fetchall()
        kinds = connection.execute(
            "select data_type from information_schema.columns where table_schema = 'crm' "
            "and table_name = 'campaign' order by ordinal_position"
        ).fetchall()
    assert rows == [("C1", 700.0), ("C5", 250.0)]  # replaced, not appended
    assert kinds == [("text",), ("double precision",)]
    stored = registry(root)
    assert list(stored["count"]) == [5, 2] and PG_PASSWORD not in stored.to_string()
    with Project.open(root) as project:
        logged = project.engine.fetch_df("select detail from audit_log").to_string()
    assert PG_PASSWORD not in logged
    wrong = postgres_url.replace(f":{PG_PASSWORD}@", ":wrong-password@")
    refused = persona(
        "audience", "export", "monetary >= 0", "--out", wrong, "-p", str(root), "--lang", "en"
    )
    assert refused.exit_code == 1 and "cannot write table 'audience_export'" in refused.stderr
    assert "wrong-password" not in refused.stderr and "Traceback" not in refused.stderr


class Hook:
    """A local webhook: answers each POST with the next planned status (then 200).

    A planned 0 does not answer at all until the hook is closed (the client times out).
    """

    def __init__(self, plan: list[int], retry_after: str | None = None) -> None:
        self.plan = list(plan)
        self.retry_after = retry_after
        self.requests: list[dict[str, Any]] = []
        self.delivered: list[dict[str, Any]] = []
        self.released = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.requests.append(body)
                status = hook.plan.pop(0) if hook.plan else 200
                if status == 0:
                    hook.released.wait(10)
                    return
                if status == 200:
                    hook.delivered.append(body)
                self.send_response(status)
                if hook.retry_after is not None and status in (429, 503):
                    self.send_header("Retry-After", hook.retry_after)
                self.end_headers()
                self.wfile.write(b"busy" if status >= 500 else b"ok" if status == 200 else b"bad")

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/audience?token=s3cr3t"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooks() -> Iterator[list[Hook]]:
    made: list[Hook] = []
    yield made
    for hook in made:
        hook.close()


def test_webhook_retries_503_and_delivers_every_row_once_in_order(
    root: Path, hooks: list[Hook]
) -> None:
    hook = Hook([503, 503])
    hooks.append(hook)
    result = export_json(
        root, "monetary >= 0", "--out", hook.url, "--batch-size", "2", "--retry-delay", "0.001",
        "--fields", "customer_key,monetary",
    )  # fmt: skip
    assert result["format"] == "webhook" and result["count"] == 5
    assert result["target"] == hook.url.split("?")[0]  # the query (a token) is not kept
    assert len(hook.requests) == 5  # batch 1 three times, then batches 2 and 3
    assert [(b["batch"], b["batches"]) for b in hook.delivered] == [(1, 3), (2, 3), (3, 3)]
    keys = [row["customer_key"] for body in hook.delivered for row in body["rows"]]
    assert keys == ["C1", "C2", "C4", "C5", "C6"]
    assert {b["export_id"] for b in hook.delivered} == {result["export_id"]}
    assert hook.delivered[0]["rows"][0] == {"customer_key": "C1", "monetary": 700.0}
    stored = registry(root)
    assert list(stored["format"]) == ["webhook"] and list(stored["count"]) == [5]
    assert "s3cr3t" not in stored.to_string()


def test_webhook_400_fails_fast_and_names_the_batch(root: Path, hooks: list[Hook]) -> None:
    hook = Hook([400])
    hooks.append(hook)
    failed = persona(
        "audience", "export", "monetary >= 0", "--out", hook.url, "--retry-delay", "0.001",
        "-p", str(root), "--lang", "en",
    )  # fmt: skip
    assert failed.exit_code == 1 and "Traceback" not in failed.stderr
    assert "batch 1 of 1 was refused with HTTP 400" in failed.stderr
    assert "not retried" in failed.stderr and "s3cr3t" not in failed.stderr
    assert len(hook.requests) == 1
    assert registry(root).empty  # nothing left the project


def test_webhook_failure_after_some_batches_registers_who_was_sent(
    root: Path, hooks: list[Hook]
) -> None:
    hook = Hook([200, 500, 500, 500])
    hooks.append(hook)
    failed = persona(
        "audience", "export", "monetary >= 0", "--out", hook.url, "--batch-size", "2",
        "--retries", "2", "--retry-delay", "0.001", "-p", str(root), "--lang", "en",
    )  # fmt: skip
    assert failed.exit_code == 1
    assert "batch 2 of 3 failed after 3 attempts (HTTP 500 busy)" in failed.stderr
    assert "2 rows of earlier batches arrived" in failed.stderr
    assert len(hook.requests) == 4 and len(hook.delivered) == 1
    stored = registry(root)
    assert list(stored["count"]) == [2]  # the two customers of batch 1 left the project
    with Project.open(root) as project:
        keys = project.engine.fetch_all(
            "select c.customer_keys[1] from export_members m join customers c "
            "using (customer_id) order by 1"
        )
    assert keys == [("C1",), ("C2",)]


def test_webhook_honours_retry_after_and_backs_off(hooks: list[Hook]) -> None:
    hook = Hook([429, 503, 503], retry_after="7")
    hooks.append(hook)
    waits: list[float] = []
    frame = pd.DataFrame({"customer_key": ["C1", "C2"], "name": ["张*", "李*"]})
    sent = send_webhook(frame, hook.url, export_id=9, retry=Retry(retries=3), sleep=waits.append)
    assert sent == 2 and waits == [7.0, 7.0, 7.0]
    assert hook.delivered[0]["rows"][1] == {"customer_key": "C2", "name": "李*"}
    plain = Hook([503, 503, 503])
    hooks.append(plain)
    waits.clear()
    with pytest.raises(WebhookError, match="batch 1 of 1 failed after 3 attempts"):
        send_webhook(frame, plain.url, export_id=9, retry=Retry(retries=2), sleep=waits.append)
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0
    assert send_webhook(frame.iloc[:0], plain.url, export_id=9) == 0  # nothing to send
    assert len(plain.requests) == 3


def test_safe_url_drops_the_password() -> None:
    assert safe_url("postgresql://ann:p%40ss@db:5432/crm") == "postgresql://ann@db:5432/crm"
    assert safe_url("https://u:pw@h.example.com/x?token=t", keep_query=False) == (
        "https://u@h.example.com/x"
    )


def test_webhook_retries_timeouts_and_refused_connections(hooks: list[Hook]) -> None:
    hook = Hook([0])
    hooks.append(hook)
    waits: list[float] = []
    frame = pd.DataFrame({"customer_key": ["C1"]})
    retry = Retry(retries=1, base_delay=0.01, timeout=0.2)
    assert send_webhook(frame, hook.url, export_id=1, retry=retry, sleep=waits.append) == 1
    assert len(hook.requests) == 2 and len(hook.delivered) == 1 and len(waits) == 1
    closed = Hook([])
    url = closed.url
    closed.close()  # nothing listens on the port any more
    with pytest.raises(WebhookError, match=r"failed after 2 attempts \(connection problem"):
        send_webhook(frame, url, export_id=1, retry=retry, sleep=waits.append)
