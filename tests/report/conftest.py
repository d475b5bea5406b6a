"""A small shop with known answers for the persona cards, and a stand-in for the segments stage.

`write_segments` is a TEST FIXTURE: it writes the `segments`, `segment_members` and
`segment_runs` tables exactly as the shared contract describes them, so that the cards can be
checked against segments whose members we choose. Demo-level tests use the real stage.
"""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from persona import Project

SOURCES = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, name: name, phone: phone, gender: gender, birth_date: birth,
            city: city, consent_profiling: profiling}
- name: orders
  kind: transactions
  path: data/orders.csv
  columns: {order_id: order, customer_key: id, timestamp: paid_at, amount: amount,
            discount: discount, category: category, channel: channel}
- name: events
  kind: events
  path: data/events.csv
  columns: {customer_key: id, event: event, timestamp: ts, channel: channel}
- name: survey
  kind: surveys
  path: data/survey.csv
  question_bank: data/questions.csv
  columns: {customer_key: id, question_id: q, answer: answer, answered_at: at}
"""
BIG = [f"C{i:02d}" for i in range(1, 13)]  # 12 big spenders: women in 上海, late at night, app
THRIFTY = [f"C{i:02d}" for i in range(13, 23)]  # 10 bargain hunters: men in 成都, mornings, web
TINY = ["C23", "C24"]  # 2: fewer than k
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋"


def _crm() -> str:
    rows = ["id,name,phone,gender,birth,city,profiling"]
    for i, key in enumerate(BIG + THRIFTY + TINY):
        gender, city, birth = (
            ("女", "上海", "1990-03-01") if key in BIG else ("男", "成都", "1975-03-01")
        )
        rows.append(f"{key},{SURNAMES[i]}芳芳,1381234{i:04d},{gender},{birth},{city},true")
    rows.append("C25,宋小明,13900000000,男,1980-01-01,北京,false")  # no profiling consent
    return "\n".join(rows) + "\n"


def _orders() -> str:
    rows = ["order,id,paid_at,amount,discount,category,channel"]
    for key in BIG:
        rows += [f"{key}-1,{key},2024-06-01 23:00,500,0,数码电器,app",
                 f"{key}-2,{key},2024-06-20 23:00,500,0,数码电器,app"]  # fmt: skip
    for key in THRIFTY:
        rows += [f"{key}-1,{key},2024-06-02 10:00,50,10,食品生鲜,web",
                 f"{key}-2,{key},2024-06-21 10:00,50,10,食品生鲜,web"]  # fmt: skip
    rows += [f"{key}-1,{key},2024-06-03 12:00,100,0,图书文娱,app" for key in TINY]
    return "\n".join(rows) + "\n"


def _events() -> str:
    rows = ["id,event,ts,channel"]
    for key in BIG:
        rows += [f"{key},view,2024-06-{day:02d} 23:10,app" for day in range(10, 20)]
    for key in THRIFTY:
        rows += [f"{key},view,2024-06-{day:02d} 10:10,web" for day in range(10, 15)]
    return "\n".join(rows) + "\n"


QUESTIONS = (
    "question_id,text,type,dimension\n"
    "Q1,我愿意为品质多花钱,likert,quality_orientation\n"
    "Q2,您最希望我们提供什么?,text,needs\n"
)


def _survey() -> str:
    rows = ["id,q,answer,at"]
    for key in BIG:
        rows += [f"{key},Q1,5,2024-06-05 10:00", f"{key},Q2,希望有专属客服,2024-06-05 10:01"]
    for key in THRIFTY:
        rows += [f"{key},Q1,2,2024-06-05 10:00", f"{key},Q2,多发优惠券,2024-06-05 10:01"]
    return "\n".join(rows) + "\n"


AS_OF = "2024-06-30"
NAMES = {
    1: ("高价值夜猫子", "Big night spenders"),
    2: ("价格敏感", "Price-sensitive"),
    3: ("小众", "Niche"),
}
EVIDENCE = {
    1: [("monetary", "high", "消费金额是平均的1.8倍", "spend 1.8x the average")],
    2: [("discount_share", "high", "优惠订单占比是平均的2.4倍", "discounts 2.4x the average")],
    3: [("frequency", "low", "订单数是平均的0.3倍", "orders 0.3x the average")],
}


TRANSFORMS = {
    "scale": "standard",
    "features": {
        "monetary": {"type": "numeric", "fill": 1000.0, "log": True, "centre": 6.0, "scale": 1.2},
        "night_share": {"type": "numeric", "fill": 0.0, "log": False, "centre": 0.5, "scale": 0.5},
        "discount_share": {
            "type": "numeric",
            "fill": 0.0,
            "log": False,
            "centre": 0.4,
            "scale": 0.5,
        },
    },
}
"""The transforms of the segments stage's `segment_runs` (its `Transform.to_json` shape)."""


def write_segments(
    project: Project, members: dict[int, list[str]], *, medoids: dict[int, str] | None = None
) -> None:
    """TEST FIXTURE: the contract's segment tables, with the customers of the given keys.

    Distances put each segment's `medoids` entry (a customer key) nearest its centre.
    """
    engine = project.engine
    ids = dict(engine.fetch_all("select unnest(customer_keys), customer_id from customers"))
    for table in ("segments", "segment_members", "segment_runs"):
        engine.drop(table)
    engine.execute(
        "create table segment_members (customer_id varchar, segment_id integer, distance double)"
    )
    rows = []
    for segment, keys in members.items():
        for n, key in enumerate(keys):
            near = medoids is not None and medoids.get(segment) == key
            rows.append((ids[key], segment, 0.1 if near else 1.0 + n))
    engine.insert_rows("segment_members", rows)
    total = sum(len(keys) for keys in members.values())
    engine.execute(
        "create table segments (segment_id integer, name_zh varchar, name_en varchar, "
        "size bigint, share double, centre varchar, evidence varchar, method varchar)"
    )
    engine.insert_rows(
        "segments",
        [
            (
                segment,
                *NAMES[segment],
                len(keys),
                len(keys) / total,
                json.dumps({"monetary": 1000.0 if segment == 1 else 100.0}),
                json.dumps(
                    [
                        {
                            "feature": f,
                            "direction": d,
                            "value": 0,
                            "population": 0,
                            "ratio": 0,
                            "z": 0,
                            "text_zh": zh,
                            "text_en": en,
                        }
                        for f, d, zh, en in EVIDENCE[segment]
                    ],
                    ensure_ascii=False,
                ),
                "kmeans",
            )
            for segment, keys in members.items()
        ],
    )
    engine.execute(
        "create table segment_runs (run_id bigint, fitted_at timestamptz, method varchar, "
        "k integer, features varchar, scale varchar, curve varchar, stability double, "
        "sample bigint, segmented bigint, excluded bigint, transforms varchar)"
    )
    curve = [
        {"k": k, "silhouette": 0.5 - abs(k - 3) / 10, "calinski_harabasz": 10.0} for k in (2, 3, 4)
    ]
    engine.insert_rows(
        "segment_runs",
        [
            (
                1,
                datetime.now().astimezone(),
                "kmeans",
                len(members),
                json.dumps(["monetary", "night_share", "discount_share"]),
                "standard",
                json.dumps(curve),
                0.93,
                total,
                total,
                1,
                json.dumps(TRANSFORMS),
            )
        ],
    )


def write_snapshot_segments(project: Project, snapshot: int, members: dict[int, list[str]]) -> None:
    """TEST FIXTURE: what a build keeps of the segments with its snapshot (contract): a
    `segment_id` column in ``snapshot_<id>`` and a copy of `segments` with these sizes."""
    engine = project.engine
    table = f"snapshot_{snapshot}"
    engine.execute(f"alter table {table} add column if not exists segment_id integer")
    engine.execute(f"update {table} set segment_id = null")
    for segment, keys in members.items():
        engine.execute(
            f"update {table} set segment_id = ? where customer_id in (select customer_id "
            "from customers where list_has_any(customer_keys, ?))",
            [segment, keys],
        )
    engine.drop(f"{table}_segments")
    engine.execute(f"create table {table}_segments as select * from segments")
    for segment, keys in members.items():
        engine.execute(
            f"update {table}_segments set size = ? where segment_id = ?", [len(keys), segment]
        )


def write_shop(root: Path, extra: str = "privacy: {k: 5}\n") -> Path:
    """Write the shop's data files and persona.yaml (with `extra` settings)."""
    files = {
        "crm.csv": _crm(),
        "orders.csv": _orders(),
        "events.csv": _events(),
        "survey.csv": _survey(),
        "questions.csv": QUESTIONS,
    }
    (root / "data").mkdir(parents=True)
    for name, text in files.items():
        (root / "data" / name).write_text(text, encoding="utf-8")
    body = textwrap.indent(textwrap.dedent(SOURCES).strip(), "  ")
    (root / "persona.yaml").write_text(
        f"project: shop\nidentity: {{probabilistic: false}}\n{extra}sources:\n{body}\n",
        encoding="utf-8",
    )
    return root


AS_OF_TIME = datetime.fromisoformat(f"{AS_OF}T23:59:59+08:00")


def build_shop(root: Path) -> Path:
    """The shop built twice (two snapshots), with its three chosen segments and a history."""
    write_shop(root)
    with Project.open(root) as project:
        project.build(as_of=AS_OF_TIME)
        project.build(as_of=AS_OF_TIME)
        write_segments(project, {1: BIG, 2: THRIFTY, 3: TINY}, medoids={1: "C05", 2: "C15"})
        # snapshot 1: C09-C12 were in no segment yet (they joined segment 1 since)
        write_snapshot_segments(project, 1, {1: BIG[:8], 2: THRIFTY, 3: TINY})
        write_snapshot_segments(project, 2, {1: BIG, 2: THRIFTY, 3: TINY})
    return root


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small shop with segments (read-only: copy it before changing anything)."""
    return build_shop(tmp_path_factory.mktemp("report") / "shop")
