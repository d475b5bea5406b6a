"""Ingest of every format and encoding, mapping, extras and type coercion."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pandas as pd
import pytest
from openpyxl import Workbook

from persona import Project
from tests.conftest import MakeProject, ingest_one, raw_rows
from tests.pipeline.conftest import LoadPostgres

CRM = (
    "客户编号,姓名,手机,出生日期,注册时间,同意营销,会员等级\n"
    "C1,张三,13812345678,1990/1/5,2023-01-05 10:00:00,是,金卡\n"
    "C2,李四,139 1234 5678,1985年3月2日,2023年1月5日 08:30,否,银卡\n"
)

CRM_MAPPING = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns:
    customer_key: 客户编号
    name: 姓名
    phone: 手机
    birth_date: 出生日期
    registered_at: 注册时间
    consent_marketing: 同意营销
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_common_encoding_loads_the_same(
    make_project: MakeProject, encoding: str
) -> None:
    root = make_project(CRM_MAPPING, {"data/crm.csv": CRM.encode(encoding)})
    assert ingest_one(root) == {"received": 2, "loaded": 2, "quarantined": 0, "skipped": 0}
    rows = raw_rows(
        root, "raw_profiles", "customer_key, name, birth_date, consent_marketing, extra"
    )
    assert rows == [
        ("C1", "张三", dt.date(1990, 1, 5), True, '{"会员等级":"金卡"}'),
        ("C2", "李四", dt.date(1985, 3, 2), False, '{"会员等级":"银卡"}'),
    ]


def test_timestamps_without_zone_read_in_project_zone(make_project: MakeProject) -> None:
    root = make_project(CRM_MAPPING, {"data/crm.csv": CRM})
    ingest_one(root)
    (first, second) = raw_rows(root, "raw_profiles", "registered_at")
    utc = dt.UTC
    assert first[0].astimezone(utc) == dt.datetime(2023, 1, 5, 2, 0, tzinfo=utc)
    assert second[0].astimezone(utc) == dt.datetime(2023, 1, 5, 0, 30, tzinfo=utc)


@pytest.mark.parametrize("delimiter", ["\t", ";", "|"])
def test_delimiter_is_sniffed(make_project: MakeProject, delimiter: str) -> None:
    root = make_project(CRM_MAPPING, {"data/crm.csv": CRM.replace(",", delimiter)})
    assert ingest_one(root)["loaded"] == 2


def test_tsv_and_headerless_csv_with_configured_header(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: crm
          kind: profiles
          path: data/crm.tsv
          header: false
          columns:
            customer_key: column_1
            name: column_2
        """,
        {"data/crm.tsv": "C1\t张三\nC2\t李四\n"},
    )
    assert ingest_one(root)["loaded"] == 2
    assert raw_rows(root, "raw_profiles", "customer_key, name") == [("C1", "张三"), ("C2", "李四")]


EVENTS_MAPPING = """
- name: events
  kind: events
  path: {path}
  columns:
    device_id: device
    event: name
    timestamp: ts
"""


def test_jsonl_with_nested_properties_epoch_ms_and_iso_zones(make_project: MakeProject) -> None:
    lines = [
        {"device": "d1", "name": "view", "ts": 1672884000123, "properties": {"page": "首页"}},
        {"device": "d2", "name": "buy", "ts": "2023-01-05T10:00:00+08:00", "utm": "wx"},
        {"device": "d3", "name": "view", "ts": "1672884000"},
    ]
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n"
    root = make_project(EVENTS_MAPPING.format(path="data/e.jsonl"), {"data/e.jsonl": text})
    assert ingest_one(root) == {"received": 3, "loaded": 3, "quarantined": 0, "skipped": 0}
    rows = raw_rows(root, "raw_events", "_line, device_id, timestamp, properties, extra")
    utc = dt.UTC
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][2].astimezone(utc) == dt.datetime(2023, 1, 5, 2, 0, 0, 123000, tzinfo=utc)
    assert rows[1][2].astimezone(utc) == dt.datetime(2023, 1, 5, 2, 0, tzinfo=utc)
    assert rows[2][2].astimezone(utc) == dt.datetime(2023, 1, 5, 2, 0, tzinfo=utc)
    assert json.loads(rows[0][3]) == {"page": "首页"}
    assert json.loads(rows[1][4]) == {"utm": "wx"}


def test_json_array_file(make_project: MakeProject) -> None:
    data = [{"device": "d1", "name": "view", "ts": "2023-01-05 10:00"}] * 2
    root = make_project(
        EVENTS_MAPPING.format(path="data/e.json"), {"data/e.json": json.dumps(data)}
    )
    assert ingest_one(root)["loaded"] == 2


def test_parquet_with_typed_columns(make_project: MakeProject, tmp_path: object) -> None:
    root = make_project(EVENTS_MAPPING.format(path="data/e.parquet"))
    frame = pd.DataFrame(
        {
            "device": ["d1", "d2"],
            "name": ["view", "buy"],
            "ts": pd.to_datetime(["2023-01-05 10:00", "2023-01-06 11:00"]).tz_localize("UTC"),
            "amount": [1.5, 2.0],
        }
    )
    frame.to_parquet(root / "data/e.parquet")
    assert ingest_one(root)["loaded"] == 2
    rows = raw_rows(root, "raw_events", "_line, timestamp, extra")
    assert rows[0][0] == 1
    assert rows[0][1].astimezone(dt.UTC) == dt.datetime(2023, 1, 5, 10, 0, tzinfo=dt.UTC)
    assert json.loads(rows[1][2]) == {"amount": "2.0"}


def test_xlsx_source(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: survey
          kind: surveys
          path: data/s.xlsx
          question_bank: data/q.csv
          columns:
            phone: 手机
            question_id: 题号
            answer: 答案
        """,
        {"data/q.csv": "question_id,text,type,dimension\nQ1,价格重要吗,likert,price\n"},
    )
    book = Workbook()
    sheet = book.active
    sheet.append(["手机", "题号", "答案"])
    sheet.append([13812345678, "Q1", 5])
    sheet.append([13812345679, "Q1", "非常同意"])
    book.save(root / "data/s.xlsx")
    assert ingest_one(root)["loaded"] == 2
    assert raw_rows(root, "raw_surveys", "_line, phone, answer") == [
        (2, "13812345678", "5"),
        (3, "13812345679", "非常同意"),
    ]
    bank = raw_rows(
        root, "question_bank", "question_id, type, dimension, 0 as _batch_id, 0 as _line"
    )
    assert bank == [("Q1", "likert", "price", 0, 0)]


def test_folder_of_daily_exports_is_one_source_with_a_batch_per_file(
    make_project: MakeProject,
) -> None:
    head = "device,name,ts\n"
    root = make_project(
        EVENTS_MAPPING.format(path="data/events/"),
        {
            "data/events/2023-01-01.csv": head + "d1,view,2023-01-01 10:00\n",
            "data/events/2023-01-02.csv": head
            + "d1,buy,2023-01-02 10:00\nd2,view,2023-01-02 11:00\n",
        },
    )
    assert ingest_one(root) == {"received": 3, "loaded": 3, "quarantined": 0, "skipped": 0}
    assert [r[0] for r in raw_rows(root, "raw_events", "_batch_id")] == [1, 2, 2]


def test_glob_source(make_project: MakeProject) -> None:
    head = "device,name,ts\n"
    root = make_project(
        EVENTS_MAPPING.format(path="'data/*/ev_*.csv'"),
        {
            "data/a/ev_1.csv": head + "d1,view,2023-01-01 10:00\n",
            "data/b/ev_2.csv": head + "d2,view,2023-01-01 10:00\n",
            "data/b/other.csv": "not,the,same\n",
        },
    )
    assert ingest_one(root)["loaded"] == 2


def test_sqlite_table_source(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: orders
          kind: transactions
          url: sqlite:///data/shop.db
          table: orders
          columns:
            customer_key: user_id
            order_id: order_no
            timestamp: paid_at
            amount: pay_amount
        """
    )
    with sqlite3.connect(root / "data/shop.db") as db:
        db.execute("create table orders (user_id text, order_no text, paid_at text, pay_amount)")
        db.executemany(
            "insert into orders values (?, ?, ?, ?)",
            [("C1", "O1", "2023-01-05 10:00", "¥1,234.50"), ("C2", "O2", "1672884000", 12)],
        )
    assert ingest_one(root)["loaded"] == 2
    assert raw_rows(root, "raw_transactions", "order_id, amount") == [("O1", 1234.5), ("O2", 12.0)]
    assert ingest_one(root) == {"received": 0, "loaded": 0, "quarantined": 0, "skipped": 0}


def test_columns_named_like_canonical_fields_map_themselves(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: rel
          kind: relations
          path: data/r.csv
        """,
        {
            "data/r.csv": "src_phone,dst_phone,relation,weight,Since Date\n"
            "1,2,friend,0.5,2023-01-01\n"
        },
    )
    assert ingest_one(root)["loaded"] == 1
    assert raw_rows(root, "raw_relations", "src_phone, dst_phone, weight, extra") == [
        ("1", "2", 0.5, '{"since_date":"2023-01-01"}')
    ]


RETAIL = """
- name: invoices
  kind: transactions
  path: data/retail.csv
  columns:
    customer_key: CustomerID
    order_id: InvoiceNo
    item: StockCode
    quantity: Quantity
    timestamp: InvoiceDate
    unit_price: UnitPrice
"""


def test_retail_invoice_export_in_latin1_with_us_dates(make_project: MakeProject) -> None:
    """The shape of the public Online Retail file: Latin-1, M/D/YYYY H:MM, missing customers."""
    rows = [
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,"
        "United Kingdom",
        "536366,22633,CAFÉ CRÈME MUG,6,12/1/2010 8:28,1.85,17850,France",
        "C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527,United Kingdom",
        "536414,22139,,56,12/1/2010 11:52,0,,United Kingdom",
    ]
    root = make_project(RETAIL, {"data/retail.csv": ("\n".join(rows) + "\n").encode("latin-1")})
    assert ingest_one(root) == {"received": 4, "loaded": 3, "quarantined": 1, "skipped": 0}
    loaded = raw_rows(root, "raw_transactions", "order_id, timestamp, quantity, extra")
    assert loaded[0][1].astimezone(dt.UTC) == dt.datetime(2010, 12, 1, 0, 26, tzinfo=dt.UTC)
    assert json.loads(loaded[1][3])["description"] == "CAFÉ CRÈME MUG"
    assert loaded[2][:1] == ("C536379",) and loaded[2][2] == -1.0


def test_day_first_dates_are_sniffed(make_project: MakeProject) -> None:
    content = (
        "CustomerID,InvoiceNo,InvoiceDate,StockCode,Quantity,UnitPrice\n"
        "1,a,1/12/2010 8:26,x,1,1\n2,b,25/12/2010 9:00,x,1,1\n"
    )
    root = make_project(RETAIL, {"data/retail.csv": content})
    ingest_one(root)
    first, second = raw_rows(root, "raw_transactions", "timestamp")
    assert first[0].date() == dt.date(2010, 12, 1) and second[0].date() == dt.date(2010, 12, 25)


@pytest.mark.postgres
def test_postgresql_table_and_query_sources(
    make_project: MakeProject, postgres_url: str, load_postgres: LoadPostgres
) -> None:
    load_postgres(
        "public.erp_orders",
        [
            ("user_id", "text"),
            ("order_no", "text"),
            ("paid_at", "timestamptz"),
            ("pay_amount", "numeric(10,2)"),
            ("note", "text"),
        ],
        [
            ("C1", "O1", dt.datetime(2023, 1, 5, 2, 0, tzinfo=dt.UTC), 1234.5, "首单"),
            ("C2", "O2", dt.datetime(2023, 1, 6, 3, 0, tzinfo=dt.UTC), 12, None),
            (None, "O3", dt.datetime(2023, 1, 7, 3, 0, tzinfo=dt.UTC), 1, None),
        ],
    )
    columns = (
        "columns: {customer_key: user_id, order_id: order_no, timestamp: paid_at, "
        "amount: pay_amount}"
    )
    root = make_project(
        f"""
        - name: orders
          kind: transactions
          url: {postgres_url}
          table: public.erp_orders
          {columns}
        - name: big_orders
          kind: transactions
          url: {postgres_url}
          query: select * from erp_orders where pay_amount > 100
          {columns}
        """
    )
    with Project.open(root) as project:
        frame = project.ingest()
    counts = frame.set_index("name")[["received", "loaded", "quarantined"]].to_dict("index")
    assert counts == {
        "orders": {"received": 3, "loaded": 2, "quarantined": 1},
        "big_orders": {"received": 1, "loaded": 1, "quarantined": 0},
    }
    rows = raw_rows(root, "raw_transactions", "_source, order_id, timestamp, amount, extra")
    first = rows[0]
    assert first[:2] == ("orders", "O1") and first[3] == 1234.5
    assert first[2].astimezone(dt.UTC) == dt.datetime(2023, 1, 5, 2, 0, tzinfo=dt.UTC)
    assert json.loads(first[4]) == {"note": "首单"}
    with Project.open(root) as project:
        again = project.ingest()
    assert again["received"].sum() == 0 and again["unchanged_files"].sum() == 2


def test_a_json_key_absent_from_one_daily_file_reads_as_empty(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: events
          kind: events
          path: data/events/
          columns: {device_id: d, phone: p, event: e, timestamp: t}
        """,
        {
            "data/events/1.jsonl": '{"d":"x","p":"138","e":"view","t":"2023-01-01"}\n',
            "data/events/2.jsonl": '{"d":"y","e":"view","t":"2023-01-02"}\n',
        },
    )
    with Project.open(root) as project:
        frame = project.ingest()
    assert frame.loc[0, "loaded"] == 2 and frame.loc[0, "errors"] == []
    assert "data/events/2.jsonl: no 'p' in any record" in frame.loc[0, "warnings"][0]
    assert raw_rows(root, "raw_events", "device_id, phone") == [("x", "138"), ("y", None)]
