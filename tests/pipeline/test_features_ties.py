"""Features that pick one record among equals pick the same one every time."""

from __future__ import annotations

from persona import Project
from tests.conftest import MakeProject

SOURCES = """
- name: events
  kind: events
  path: data/events.csv
  columns: {customer_key: id, event: event, timestamp: ts}
- name: orders
  kind: transactions
  path: data/orders.csv
  columns: {customer_key: id, order_id: order, timestamp: ts, amount: amount, channel: channel}
"""
EVENTS = (
    "id,event,ts\nC1,view,2024-06-01 10:00\nC1,login,2024-06-02 10:00\nC1,share,2024-06-02 10:00\n"
)
ORDERS = (
    "id,order,ts,amount,channel\nC1,O1,2024-05-01 10:00,10,web\nC1,O2,2024-05-01 10:00,10,app\n"
)


def test_ties_go_to_the_alphabetically_first_value(make_project: MakeProject) -> None:
    root = make_project(SOURCES, {"data/events.csv": EVENTS, "data/orders.csv": ORDERS})
    for _ in range(3):
        with Project.open(root) as project:
            project.build(full=True)
            row = project.engine.fetch_all("select last_event, first_order_channel from features")
        assert row == [("login", "app")]
