"""A small shop project with one person spread over every kind of data, for privacy tests.

K0001 (张伟) has a profile with a WeChat name in an extra column, orders, events under a
differently written phone, a device, a referral (relation) to K0003, a quarantined order, an
identity decision and an export. K0002 refused profiling and K0004 refused analytics.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from persona import Project
from tests.conftest import MakeProject

AS_OF = datetime(2024, 6, 30, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai"))

SOURCES = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, phone: phone, email: email, name: name, city: city,
            gender: gender, age: age, address: address, consent_profiling: profiling,
            consent_analytics: analytics, consent_marketing: marketing}
- name: orders
  kind: transactions
  path: data/orders.csv
  columns: {order_id: order, customer_key: id, timestamp: paid_at, amount: amount,
            category: category, channel: channel}
- name: events
  kind: events
  path: data/events.csv
  columns: {phone: phone, device_id: device, event: event, timestamp: ts, properties: props}
- name: referrals
  kind: relations
  path: data/referrals.csv
  columns: {src_customer_key: from, dst_customer_key: to, relation: relation}
"""
CRM = (
    "id,phone,email,name,city,gender,age,address,profiling,analytics,marketing,wechat\n"
    "K0001,13812345678,K0001@Example.com,张伟,上海,male,35,上海市浦东新区世纪大道100号,yes,yes,"
    "yes,wx_zhangwei_88\n"
    "K0002,13900001111,k0002@example.com,李娜,上海,female,28,,no,yes,yes,wx_lina\n"
    "K0003,13700002222,k0003@example.com,王芳,北京,female,41,,yes,yes,no,wx_wangfang\n"
    "K0004,13600003333,k0004@example.com,刘洋,北京,male,52,,yes,no,yes,wx_liuyang\n"
)
ORDERS = (
    "order,id,paid_at,amount,category,channel\n"
    "O1,K0001,2024-06-01 10:00,300,beauty,app\n"
    "O2,K0001,2024-06-20 10:00,200,beauty,app\n"
    "O3,K0002,2024-06-10 10:00,80,food,web\n"
    "O4,K0003,2024-05-10 10:00,120,food,store\n"
    "O5,K0001,2024-06-21 10:00,twelve,beauty,app\n"  # quarantined: not a number
    "O6,K0004,2024-06-15 10:00,60,home,web\n"
)
EVENTS = (
    "phone,device,event,ts,props\n"
    '138 1234 5678,dev-aaa1,view,2024-06-25 09:00,"{""page"": ""home""}"\n'
    '138 1234 5678,dev-aaa1,cart,2024-06-25 09:05,"{""page"": ""cart""}"\n'
    '13900001111,dev-bbb2,view,2024-06-26 20:00,"{""ref"": ""13812345678""}"\n'
    '13700002222,,view,2024-06-27 21:00,"{""page"": ""home""}"\n'
)
REFERRALS = "from,to,relation\nK0001,K0003,referred\nK0002,K0004,referred\n"
PERSON = ("K0001", "13812345678", "k0001@example.com", "dev-aaa1", "张伟", "wx_zhangwei_88")
"""What must be gone after K0001 is forgotten (matched case-insensitively)."""


def shop_project(make_project: MakeProject, k: int = 1) -> Path:
    """Build the shop as of AS_OF with `privacy.k` = k; return its folder."""
    files = {
        "data/crm.csv": CRM,
        "data/orders.csv": ORDERS,
        "data/events.csv": EVENTS,
        "data/referrals.csv": REFERRALS,
    }
    root = make_project(SOURCES, files)
    with (root / "persona.yaml").open("a", encoding="utf-8") as config:
        # A project may class any column; favourite_channel stands in for one that identifies.
        config.write(
            f"privacy:\n  k: {k}\n  fields: {{wechat: direct, favourite_channel: direct}}\n"
        )
    with Project.open(root) as project:
        project.build(as_of=AS_OF)
    return root


def holding(project: Project, needles: list[str]) -> dict[str, list[str]]:
    """Every store table (and column) whose text holds one of the needles: table -> needles."""
    found: dict[str, list[str]] = {}
    tables = project.engine.fetch_all(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and not temporary order by 1"
    )
    for (table,) in tables:
        columns = project.engine.table_columns(table)
        text = " || '|' || ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in columns)
        for needle in needles:
            hit = project.engine.fetch_all(
                f'select count(*) from "{table}" where contains(lower({text}), lower(?))',
                [needle],
            )[0][0]
            if hit:
                found.setdefault(table, []).append(needle)
    return found
