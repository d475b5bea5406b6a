from __future__ import annotations

import gc
import socket
import sqlite3
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import psycopg
import pyarrow as pa
import pytest

from persona.model.errors import SourceError
from persona.pipeline.ingest.database import _connect_problem, _safe_url, read_database
from persona.pipeline.ingest.tabular import TabularData, deduplicate, read_xlsx, to_text

from .conftest import LoadPostgres

# -- helpers --------------------------------------------------------------------------------


def rows_of(data: TabularData) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = data.read_all().to_pylist()
    return rows


def write_xlsx(
    path: Path, sheets: dict[str, list[list[Any]]], hidden: tuple[str, ...] = ()
) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    workbook.save(path)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def with_password(url: str, password: str) -> str:
    return url.replace(":secret@", f":{password}@")


# -- values ---------------------------------------------------------------------------------


def test_to_text_converts_every_value_kind() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert to_text(None) is None
    assert to_text("") is None
    assert to_text("  ") == "  "
    assert to_text(13812345678.0) == "13812345678"
    assert to_text(3.0) == "3"
    assert to_text(-0.0) == "0"
    assert to_text(12.5) == "12.5"
    assert to_text(0.1 + 0.2) == "0.30000000000000004"
    assert to_text(1e300) == "1e+300"
    assert to_text(True) == "true"
    assert to_text(False) == "false"
    assert to_text(42) == "42"
    assert to_text(date(2023, 1, 5)) == "2023-01-05"
    assert to_text(datetime(2023, 1, 5, 10, 0)) == "2023-01-05 10:00:00"
    assert to_text(datetime(2023, 1, 5, 10, 0, tzinfo=shanghai)) == "2023-01-05 10:00:00+08:00"
    assert to_text(time(10, 30)) == "10:30:00"
    assert to_text(timedelta(hours=5)) == "5:00:00"
    assert to_text(Decimal("12.50")) == "12.50"
    assert to_text(b"\x00\xff") == "00ff"
    assert to_text({"城市": "上海", "n": [1, 2]}) == '{"城市": "上海", "n": [1, 2]}'
    assert to_text([Decimal("1.5"), None]) == '["1.5", null]'


def test_deduplicate_renames_repeats_without_clashing() -> None:
    assert deduplicate(["id", "phone", "id", "id"]) == (
        ["id", "phone", "id_2", "id_3"],
        ["id"],
    )
    # an existing "id_2" column keeps its name; the repeat skips to id_3
    assert deduplicate(["id", "id", "id_2"]) == (["id", "id_3", "id_2"], ["id"])
    # "_line" is reserved for the row number
    assert deduplicate(["_line", "a"]) == (["_line_2", "a"], ["_line"])


# -- xlsx -----------------------------------------------------------------------------------


def test_xlsx_values_are_read_as_text(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "survey.xlsx",
        {
            "answers": [
                ["客户编号", "手机", "金额", "次数", "生日", "答题时间", "会员", "备注"],
                [1001, 13812345678, 12.5, 3.0, date(1990, 3, 7), datetime(2023, 1, 5, 10, 30),
                 True, "喜欢 咖啡"],
                [1002, 13900001111, None, 0, None, datetime(2023, 1, 6, 0, 0, 5), False, None],
            ]
        },
    )  # fmt: skip
    data = read_xlsx(path)
    assert data.description == f"{path}, sheet 'answers'"
    assert data.columns == ["客户编号", "手机", "金额", "次数", "生日", "答题时间", "会员", "备注"]
    assert data.duplicates == []
    table = data.read_all()
    assert table.schema.field("_line").type == pa.int64()
    assert all(table.schema.field(c).type == pa.string() for c in data.columns)
    assert table.to_pylist() == [
        {"_line": 2, "客户编号": "1001", "手机": "13812345678", "金额": "12.5", "次数": "3",
         "生日": "1990-03-07", "答题时间": "2023-01-05 10:30:00", "会员": "true",
         "备注": "喜欢 咖啡"},
        {"_line": 3, "客户编号": "1002", "手机": "13900001111", "金额": None, "次数": "0",
         "生日": None, "答题时间": "2023-01-06 00:00:05", "会员": "false", "备注": None},
    ]  # fmt: skip


def test_xlsx_line_is_the_excel_row_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B3"], sheet["C3"] = "id", "city"
    sheet["B4"], sheet["C4"] = 1, "上海"
    sheet["B6"], sheet["C6"] = 2, "北京"  # row 5 is blank
    sheet["B9"] = ""  # trailing rows with empty strings
    sheet["C10"] = ""
    workbook.save(tmp_path / "rows.xlsx")
    data = read_xlsx(tmp_path / "rows.xlsx")
    assert rows_of(data) == [
        {"_line": 4, "id": "1", "city": "上海"},
        {"_line": 6, "id": "2", "city": "北京"},
    ]


def test_xlsx_duplicate_and_empty_headers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "dups.xlsx",
        {"s": [["id", None, "id", "phone", "id"], [1, "x", 2, 13812345678, 3]]},
    )
    data = read_xlsx(path)
    assert data.columns == ["id", "column_2", "id_2", "phone", "id_3"]
    assert data.duplicates == ["id"]
    assert rows_of(data) == [
        {"_line": 2, "id": "1", "column_2": "x", "id_2": "2", "phone": "13812345678", "id_3": "3"}
    ]


def test_xlsx_sheet_by_name_index_and_default(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {"notes": [["readme"], ["hidden sheet"]], "orders": [["order_id"], ["A1"]],
         "答案": [["question_id", "answer"], ["q1", "非常同意"]]},
        hidden=("notes",),
    )  # fmt: skip
    assert rows_of(read_xlsx(path)) == [{"_line": 2, "order_id": "A1"}]  # first visible
    by_name = read_xlsx(path, "答案")
    assert by_name.description == f"{path}, sheet '答案'"
    assert rows_of(by_name) == [{"_line": 2, "question_id": "q1", "answer": "非常同意"}]
    assert read_xlsx(path, 2).columns == ["question_id", "answer"]
    assert read_xlsx(path, 0).columns == ["readme"]


def test_xlsx_batches_hold_batch_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "big.xlsx", {"s": [["n"], *[[i] for i in range(5)]]})
    batches = list(read_xlsx(path, batch_rows=2).batches)
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert pa.Table.from_batches(batches).column("_line").to_pylist() == [2, 3, 4, 5, 6]


def test_xlsx_header_only_yields_one_empty_batch(tmp_path: Path) -> None:
    data = read_xlsx(write_xlsx(tmp_path / "h.xlsx", {"s": [["a", "b"]]}))
    batches = list(data.batches)
    assert len(batches) == 1
    assert batches[0].num_rows == 0
    assert batches[0].schema.names == ["_line", "a", "b"]


def test_xlsx_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"missing\.xlsx: not found; check `path:`"):
        read_xlsx(tmp_path / "missing.xlsx")


def test_xlsx_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a folder, not a workbook"):
        read_xlsx(tmp_path)


def test_xlsx_missing_sheet_lists_sheets_and_suggests(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "b.xlsx", {"answers": [["a"]], "orders": [["b"]]})
    with pytest.raises(SourceError) as error:
        read_xlsx(path, "answer")
    message = str(error.value)
    assert "has no sheet 'answer'" in message
    assert "did you mean 'answers'?" in message
    assert "0: 'answers', 1: 'orders'" in message
    assert "`sheet:`" in message


def test_xlsx_sheet_index_out_of_range(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "b.xlsx", {"answers": [["a"]]})
    with pytest.raises(SourceError, match=r"no sheet number 3 \(sheets count from 0\).*'answers'"):
        read_xlsx(path, 3)


def test_xlsx_that_is_really_csv(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("id,name\n1,张三\n", encoding="utf-8")
    with pytest.raises(SourceError) as error:
        read_xlsx(path)
    message = str(error.value)
    assert "export.xlsx is not a readable Excel workbook" in message
    assert "`format: csv`" in message


def test_xlsx_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(SourceError, match=r"archive\.xlsx is not a readable Excel workbook"):
        read_xlsx(path)


def test_xlsx_empty_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "b.xlsx", {"data": [["a"], [1]], "空表": []})
    with pytest.raises(SourceError, match=r"b\.xlsx: sheet '空表' is empty"):
        read_xlsx(path, "空表")


# -- sqlite ---------------------------------------------------------------------------------


def make_sqlite(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE orders (order_id TEXT, user_id INTEGER, amount REAL, qty REAL, "
            "city TEXT, note TEXT, raw BLOB)"
        )
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("A1", 1001, 12.5, 3.0, "上海", "", b"\x01\xab"),
                ("A2", 1002, None, 1.0, "北京", None, None),
                ("A3", 13812345678, 0.1, 2.0, None, "第三单", None),
            ],
        )
        conn.execute('CREATE TABLE "we""ird name" (x TEXT)')
        conn.execute('INSERT INTO "we""ird name" VALUES (\'ok\')')
    conn.close()
    return path


def test_sqlite_table_is_read_as_text(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "shop.db")
    data = read_database("sqlite:///shop.db", table="orders", base_dir=tmp_path)
    assert data.description == "sqlite:///shop.db, table orders"
    assert data.columns == ["order_id", "user_id", "amount", "qty", "city", "note", "raw"]
    assert rows_of(data) == [
        {"_line": 1, "order_id": "A1", "user_id": "1001", "amount": "12.5", "qty": "3",
         "city": "上海", "note": None, "raw": "01ab"},
        {"_line": 2, "order_id": "A2", "user_id": "1002", "amount": None, "qty": "1",
         "city": "北京", "note": None, "raw": None},
        {"_line": 3, "order_id": "A3", "user_id": "13812345678", "amount": "0.1", "qty": "2",
         "city": None, "note": "第三单", "raw": None},
    ]  # fmt: skip


def test_sqlite_absolute_url_and_schema_qualified_table(tmp_path: Path) -> None:
    db = make_sqlite(tmp_path / "shop.db")
    data = read_database(f"sqlite:///{db}", table="main.orders")
    assert data.read_all().num_rows == 3


def test_sqlite_table_names_are_quoted(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "shop.db")
    data = read_database("sqlite:///shop.db", table='"we""ird name"', base_dir=tmp_path)
    assert rows_of(data) == [{"_line": 1, "x": "ok"}]
    with pytest.raises(SourceError, match="does not exist"):
        read_database("sqlite:///shop.db", table="orders; DROP TABLE orders", base_dir=tmp_path)
    assert read_database("sqlite:///shop.db", table="orders", base_dir=tmp_path).read_all()


def test_sqlite_query_with_comment_semicolon_and_duplicate_columns(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "shop.db")
    query = (
        "-- the big orders; with a semicolon in a comment\n"
        "SELECT order_id AS id, user_id AS id, 'a;b' AS s FROM orders WHERE qty > 1 "
        "ORDER BY order_id; -- done"
    )
    data = read_database("sqlite:///shop.db", query=query, base_dir=tmp_path)
    assert data.columns == ["id", "id_2", "s"]
    assert data.duplicates == ["id"]
    assert rows_of(data) == [
        {"_line": 1, "id": "A1", "id_2": "1001", "s": "a;b"},
        {"_line": 2, "id": "A3", "id_2": "13812345678", "s": "a;b"},
    ]


def test_sqlite_batches(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "shop.db")
    data = read_database("sqlite:///shop.db", table="orders", batch_rows=2, base_dir=tmp_path)
    batches = list(data.batches)
    assert [b.num_rows for b in batches] == [2, 1]
    assert [b.column(0).to_pylist() for b in batches] == [[1, 2], [3]]


def test_sqlite_stream_can_be_read_on_another_thread(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "shop.db")
    data = read_database("sqlite:///shop.db", table="orders", batch_rows=1, base_dir=tmp_path)
    with ThreadPoolExecutor(1) as pool:
        batches = pool.submit(list, data.batches).result()
    assert [b.num_rows for b in batches] == [1, 1, 1]


def test_sqlite_empty_result_yields_one_empty_batch(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "shop.db")
    data = read_database(
        "sqlite:///shop.db", query="SELECT order_id FROM orders WHERE 0", base_dir=tmp_path
    )
    batches = list(data.batches)
    assert [b.num_rows for b in batches] == [0]
    assert batches[0].schema.names == ["_line", "order_id"]


def test_sqlite_is_opened_read_only(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "shop.db")
    with pytest.raises(SourceError, match="readonly"):
        read_database(
            "sqlite:///shop.db",
            query="WITH x AS (SELECT 1) DELETE FROM orders",
            base_dir=tmp_path,
        )
    assert read_database("sqlite:///shop.db", table="orders", base_dir=tmp_path).read_all()


def test_sqlite_file_missing(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as error:
        read_database("sqlite:///nope.db", table="orders", base_dir=tmp_path)
    assert f"SQLite file {tmp_path / 'nope.db'} not found" in str(error.value)
    assert "`url:`" in str(error.value)


def test_sqlite_file_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "shop.db").write_text("id,name\n1,x\n" * 100, encoding="utf-8")
    with pytest.raises(SourceError, match=r"shop\.db is not a SQLite database"):
        read_database("sqlite:///shop.db", table="orders", base_dir=tmp_path)


def test_sqlite_missing_table_lists_tables(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "shop.db")
    with pytest.raises(SourceError) as error:
        read_database("sqlite:///shop.db", table="order", base_dir=tmp_path)
    message = str(error.value)
    assert "table 'order' does not exist; did you mean 'orders'?" in message
    assert 'tables there: orders, we"ird name' in message


def test_sqlite_bad_sql_includes_the_database_message(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "shop.db")
    with pytest.raises(SourceError) as error:
        read_database("sqlite:///shop.db", query="SELECT nope FROM orders", base_dir=tmp_path)
    assert "the query failed: no such column: nope; fix `query:`" in str(error.value)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("DELETE FROM orders", "not DELETE"),
        ("  drop table orders", "not DROP"),
        ("SELECT 1; DELETE FROM orders", "holds 2 statements"),
        ("SELECT ';' ; SELECT 2 -- x", "holds 2 statements"),
        ("-- only a comment", "not nothing"),
    ],
)
def test_only_a_single_select_is_accepted(tmp_path: Path, query: str, expected: str) -> None:
    make_sqlite(tmp_path / "shop.db")
    with pytest.raises(SourceError, match=expected):
        read_database("sqlite:///shop.db", query=query, base_dir=tmp_path)
    assert read_database("sqlite:///shop.db", table="orders", base_dir=tmp_path).read_all()


def test_unsupported_url_scheme_lists_supported() -> None:
    with pytest.raises(SourceError) as error:
        read_database("mysql://root:hunter2@db:3306/shop", table="orders")
    message = str(error.value)
    assert "unsupported database URL 'mysql://root@db:3306/shop'" in message
    assert "sqlite:///" in message
    assert "postgresql://" in message
    assert "hunter2" not in message


def test_url_without_scheme_suggests_sqlite() -> None:
    with pytest.raises(SourceError, match=r"for a SQLite file write sqlite:///shop\.db"):
        read_database("shop.db", table="orders")


def test_table_and_query_are_exclusive() -> None:
    with pytest.raises(SourceError, match="exactly one of `table:` or `query:`"):
        read_database("sqlite:///x.db", table="t", query="SELECT 1")


# -- PostgreSQL -----------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_types_are_read_as_text(postgres_url: str, load_postgres: LoadPostgres) -> None:
    load_postgres(
        "public.customers",
        [("id", "integer"), ("name", "text"), ("paid_at", "timestamptz"),
         ("seen_at", "timestamp"), ("birthday", "date"), ("amount", "numeric(10,2)"),
         ("score", "double precision"), ("vip", "boolean"), ("props", "json"),
         ("tags", "jsonb"), ("photo", "bytea"), ("uid", "uuid"), ("note", "text")],
        [
            (1, "张三", datetime(2023, 1, 5, 2, 0, tzinfo=UTC),
             datetime(2023, 1, 5, 10, 0), date(1990, 3, 7), Decimal("12.50"), 3.0, True,
             '{"城市": "上海"}', '["a", "b"]', b"\x01\xab",
             uuid.UUID("12345678-1234-5678-1234-567812345678"), ""),
            (2, None, None, None, None, None, 0.25, False, None, None, None, None, None),
        ],
    )  # fmt: skip
    data = read_database(postgres_url, table="public.customers")
    port = postgres_url.rsplit(":", 1)[1].split("/")[0]
    assert data.description == (
        f"postgresql://persona@127.0.0.1:{port}/persona_test, table public.customers"
    )
    assert rows_of(data) == [
        {"_line": 1, "id": "1", "name": "张三", "paid_at": "2023-01-05 10:00:00+08:00",
         "seen_at": "2023-01-05 10:00:00", "birthday": "1990-03-07", "amount": "12.50",
         "score": "3", "vip": "true", "props": '{"城市": "上海"}', "tags": '["a", "b"]',
         "photo": "01ab", "uid": "12345678-1234-5678-1234-567812345678", "note": None},
        {"_line": 2, "id": "2", "name": None, "paid_at": None, "seen_at": None,
         "birthday": None, "amount": None, "score": "0.25", "vip": "false", "props": None,
         "tags": None, "photo": None, "uid": None, "note": None},
    ]  # fmt: skip


@pytest.mark.postgres
def test_postgres_streams_a_large_table_in_batches(
    postgres_url: str, load_postgres: LoadPostgres
) -> None:
    load_postgres(
        "events",
        [("n", "integer"), ("event", "text")],
        ((i, "浏览" if i % 2 else "下单") for i in range(120_000)),
    )
    data = read_database(postgres_url, query="SELECT * FROM events ORDER BY n")
    first = next(data.batches)
    # the rows come through a server-side cursor: the server is waiting on its next FETCH
    with psycopg.connect(postgres_url) as conn:
        activity = conn.execute(
            "SELECT query FROM pg_stat_activity WHERE application_name = 'persona'"
        ).fetchall()
    assert any("persona_read" in str(row[0]) for row in activity)
    batches = [first, *data.batches]
    assert [b.num_rows for b in batches] == [50_000, 50_000, 20_000]
    table = pa.Table.from_batches(batches)
    assert table.column("_line").to_pylist() == list(range(1, 120_001))
    assert table.column("n").to_pylist()[-1] == "119999"
    assert table.column("event").to_pylist()[:2] == ["下单", "浏览"]


@pytest.mark.postgres
def test_postgres_quoted_schema_and_table(postgres_url: str, load_postgres: LoadPostgres) -> None:
    load_postgres('Shop"s.Orders', [("order_id", "text")], [("A1",)])
    data = read_database(postgres_url, table='"Shop""s"."Orders"')
    assert rows_of(data) == [{"_line": 1, "order_id": "A1"}]


@pytest.mark.postgres
def test_postgres_query_with_percent_and_cte(
    postgres_url: str, load_postgres: LoadPostgres
) -> None:
    load_postgres("items", [("name", "text")], [("100% 棉",), ("麻",)])
    data = read_database(
        postgres_url,
        query="WITH x AS (SELECT name FROM items) SELECT name, name FROM x "
        "WHERE name LIKE '%\\%%' ESCAPE '\\';",
    )
    assert data.columns == ["name", "name_2"]
    assert rows_of(data) == [{"_line": 1, "name": "100% 棉", "name_2": "100% 棉"}]


@pytest.mark.postgres
def test_postgres_dropped_stream_closes_its_connection(
    postgres_url: str, load_postgres: LoadPostgres
) -> None:
    load_postgres("few", [("n", "integer")], [(1,), (2,), (3,)])
    data = read_database(postgres_url, table="few", batch_rows=1)
    next(data.batches)
    del data
    gc.collect()  # a ResourceWarning here would fail the test (warnings are errors)
    unread = read_database(postgres_url, table="few")
    del unread
    gc.collect()


@pytest.mark.postgres
def test_postgres_connection_refused_names_the_port_not_the_password() -> None:
    port = free_port()
    url = f"postgresql://persona:s3cr3t-pw@127.0.0.1:{port}/shop"
    with pytest.raises(SourceError) as error:
        read_database(url, table="orders")
    message = str(error.value)
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}" in message
    assert "connection refused" in message
    assert "is the server running" in message
    assert f"postgresql://persona@127.0.0.1:{port}/shop" in message
    assert "s3cr3t-pw" not in message


@pytest.mark.postgres
def test_postgres_wrong_password(postgres_url: str) -> None:
    with pytest.raises(SourceError) as error:
        read_database(with_password(postgres_url, "wrong-pw"), table="orders")
    message = str(error.value)
    assert "authentication failed for user 'persona'" in message
    assert "check the user name and password" in message
    assert "wrong-pw" not in message


@pytest.mark.postgres
def test_postgres_missing_database_suggests_the_closest(postgres_url: str) -> None:
    url = postgres_url.replace("/persona_test", "/persona_tset")
    with pytest.raises(SourceError) as error:
        read_database(url, table="orders")
    message = str(error.value)
    assert "database 'persona_tset' does not exist; did you mean 'persona_test'?" in message
    assert "fix the database name in `url:`" in message
    assert "secret" not in message


@pytest.mark.postgres
def test_postgres_missing_table_lists_the_schema(
    postgres_url: str, load_postgres: LoadPostgres
) -> None:
    load_postgres("shop.orders", [("order_id", "text")], [])
    load_postgres("shop.refunds", [("order_id", "text")], [])
    with pytest.raises(SourceError) as error:
        read_database(postgres_url, table="shop.order")
    message = str(error.value)
    assert "table 'shop.order' does not exist; did you mean 'orders'?" in message
    assert "tables there: orders, refunds" in message
    assert "secret" not in message


@pytest.mark.postgres
def test_postgres_bad_sql_includes_the_server_message(postgres_url: str) -> None:
    with pytest.raises(SourceError) as error:
        read_database(postgres_url, query="SELECT nope FROM pg_class")
    message = str(error.value)
    assert 'column "nope" does not exist' in message
    assert "(at character 8 of the query)" in message
    assert "fix `query:`" in message
    assert "secret" not in message


@pytest.mark.postgres
def test_postgres_error_in_the_first_rows_is_raised_at_once(postgres_url: str) -> None:
    with pytest.raises(SourceError, match="refused the read: division by zero; fix `query:`"):
        read_database(postgres_url, query="SELECT 1 / (n - 3) FROM generate_series(1, 5) n")


@pytest.mark.postgres
def test_postgres_error_while_streaming_names_the_last_good_row(postgres_url: str) -> None:
    data = read_database(
        postgres_url, query="SELECT 1 / (n - 3) FROM generate_series(1, 5) n", batch_rows=2
    )
    assert next(data.batches).num_rows == 2
    with pytest.raises(SourceError, match="reading stopped after row 2: division by zero"):
        next(data.batches)
    assert list(data.batches) == []  # the stream is closed


@pytest.mark.postgres
def test_postgres_missing_schema(postgres_url: str) -> None:
    with pytest.raises(SourceError, match="schema 'nosuch' does not exist or holds no tables"):
        read_database(postgres_url, table="nosuch.orders")


def test_postgres_url_with_a_bad_port() -> None:
    with pytest.raises(SourceError) as error:
        read_database("postgresql://bi:pw@db:54x2/shop", table="orders")
    assert str(error.value) == (
        "postgresql://bi@db:54x2/shop, table orders: the port in `url:` is not a number"
    )


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("postgresql://bi:p%40ss@db:5432/shop?sslmode=require&password=x",
         "postgresql://bi@db:5432/shop"),
        ("postgres://bi:pa/ss@db/shop", "postgres://bi@db/shop"),
        ("postgresql://db/shop", "postgresql://db/shop"),
        ("sqlite:///data/shop.db", "sqlite:///data/shop.db"),
        ("sqlite:////abs/shop.db", "sqlite:////abs/shop.db"),
        ("shop.db", "shop.db"),
    ],
)  # fmt: skip
def test_safe_url_drops_the_password(url: str, safe: str) -> None:
    assert _safe_url(url) == safe


@pytest.mark.postgres
def test_postgres_reads_in_a_read_only_transaction(
    postgres_url: str, load_postgres: LoadPostgres
) -> None:
    load_postgres("keep", [("n", "integer")], [(1,)])
    with pytest.raises(SourceError, match="the database refused the read"):
        read_database(
            postgres_url, query="WITH gone AS (DELETE FROM keep RETURNING n) SELECT n FROM gone"
        )
    assert read_database(postgres_url, table="keep").read_all().num_rows == 1


@pytest.mark.postgres
def test_postgres_permission_denied(postgres_url: str, load_postgres: LoadPostgres) -> None:
    load_postgres("private", [("n", "integer")], [(1,)])
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS reader")
        conn.execute("CREATE ROLE reader LOGIN PASSWORD 'reader-pw'")
    url = postgres_url.replace("persona:secret@", "reader:reader-pw@")
    with pytest.raises(SourceError) as error:
        read_database(url, table="private")
    message = str(error.value)
    assert "permission denied for table private" in message
    assert "grant SELECT to user 'reader'" in message
    assert "reader-pw" not in message


@pytest.mark.parametrize(
    ("libpq_message", "expected"),
    [
        ("connection to server at \"10.0.0.9\", port 5432 failed: timeout expired",
         "no answer within 10 s"),
        ("connection to server at \"10.0.0.9\", port 5432 failed: No route to host",
         "host unreachable"),
        ("connection to server at \"10.0.0.9\", port 5432 failed: Network is unreachable",
         "host unreachable"),
        ('could not translate host name "db.invalid" to address: Name or service not known',
         "unknown host name 'db.invalid'"),
        ("failed to resolve host 'db.invalid': [Errno -2] Name or service not known",
         "unknown host name 'db.invalid'"),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "bi", database "shop"',
         "pg_hba.conf"),
        ("SSL error: certificate verify failed", "SSL error: certificate verify failed"),
    ],
)  # fmt: skip
def test_connection_problems_are_explained(libpq_message: str, expected: str) -> None:
    url = "postgresql://bi:pw@db.invalid:5432/shop"
    message = _connect_problem(libpq_message, url, "db.invalid:5432")
    assert message.startswith(
        "cannot connect to PostgreSQL at db.invalid:5432 (postgresql://bi@db.invalid:5432/shop)"
    )
    assert expected in message
    assert ":pw@" not in message
