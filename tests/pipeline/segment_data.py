"""A small project with three planted groups of customers, for the segments tests.

90 customers C01..C90: C01-C30 are night owls (their events between 23:00 and 01:00), C31-C60
deal seekers (small orders, each with a discount), C61-C90 big spenders (large orders, often);
everyone else shops in the afternoon. C05, C35 and C65 object to profiling.
"""

from __future__ import annotations

import random

SOURCES = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, gender: gender, birth_date: birth, consent_profiling: profiling}
- name: orders
  kind: transactions
  path: data/orders.csv
  columns: {order_id: order, customer_key: id, timestamp: paid_at, amount: amount,
            discount: discount, category: category, channel: channel}
- name: events
  kind: events
  path: data/events.csv
  columns: {customer_key: id, event: event, timestamp: ts}
"""
GROUPS = {"night": range(1, 31), "deal": range(31, 61), "big": range(61, 91)}
OBJECTING = {"C05", "C35", "C65"}
AS_OF = "2024-06-30"


def group_of(key: str) -> str:
    """The planted group of a customer key."""
    number = int(key[1:])
    return next(name for name, numbers in GROUPS.items() if number in numbers)


def files(seed: int = 1, extra_orders: dict[str, int] | None = None) -> dict[str, str]:
    """The CSV files of the project; `extra_orders` adds big orders to some customers."""
    rng = random.Random(seed)
    crm = ["id,gender,birth,profiling,tier"]
    orders = ["order,id,paid_at,amount,discount,category,channel"]
    events = ["id,event,ts"]
    n = 0
    for group, numbers in GROUPS.items():
        for number in numbers:
            key = f"C{number:02d}"
            gender = rng.choice(["男", "女"])
            birth = f"{rng.randint(1970, 2000)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
            consent = "否" if key in OBJECTING else "是"
            crm.append(f"{key},{gender},{birth},{consent},{rng.choice(['gold', 'silver'])}")
            count = {"night": 3, "deal": 4, "big": 8}[group] + rng.randint(0, 2)
            count += (extra_orders or {}).get(key, 0)
            for _ in range(count):
                n += 1
                day = rng.randint(1, 28)
                month = rng.choice(["04", "05", "06"])
                if group == "big" or (extra_orders or {}).get(key):
                    amount, discount, category = rng.randint(800, 1500), 0, "数码"
                elif group == "deal":
                    amount, discount, category = rng.randint(20, 60), rng.randint(5, 15), "食品"
                else:
                    amount, discount, category = rng.randint(100, 300), 0, "图书"
                channel = rng.choice(["app", "web"])
                orders.append(
                    f"O{n},{key},2024-{month}-{day:02d} 15:00,{amount},{discount},{category},"
                    f"{channel}"
                )
            for _ in range(6):
                day = rng.randint(1, 28)
                hour = rng.choice([23, 0]) if group == "night" else rng.randint(13, 17)
                events.append(f"{key},view,2024-06-{day:02d} {hour:02d}:{rng.randint(10, 59)}")
    return {
        "data/crm.csv": "\n".join(crm) + "\n",
        "data/orders.csv": "\n".join(orders) + "\n",
        "data/events.csv": "\n".join(events) + "\n",
    }
