from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from persona.config import parse_config
from persona.demo import DemoSummary, generate_demo
from persona.demo.archetypes import ARCHETYPE_KEYS
from persona.model.kinds import Kind

CUSTOMERS = 2000
REFERENCE = pd.Timestamp("2026-10-31 23:59:59", tz="Asia/Shanghai")


@pytest.fixture(scope="module")
def zh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    out = tmp_path_factory.mktemp("zh")
    return out, generate_demo(out, CUSTOMERS, seed=7, lang="zh")


@pytest.fixture(scope="module")
def customers(zh: tuple[Path, DemoSummary]) -> pd.DataFrame:
    return pd.read_csv(zh[0] / "truth" / "customers.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def orders(zh: tuple[Path, DemoSummary], customers: pd.DataFrame) -> pd.DataFrame:
    frame = pq.read_table(zh[0] / "data" / "orders.parquet").to_pandas()
    by_key = customers[customers.customer_key != ""].set_index("customer_key")["archetype"]
    by_dup = customers[customers.customer_key_duplicate != ""].set_index("customer_key_duplicate")[
        "archetype"
    ]
    by_phone = customers.assign(raw=customers.phone.str[3:]).set_index("raw")["archetype"]
    frame["archetype"] = (
        frame.user_id.map(by_key)
        .fillna(frame.user_id.map(by_dup))
        .fillna(frame.mobile.map(by_phone))
    )
    return frame


def _ledger(out: Path) -> dict[str, Any]:
    return json.loads((out / "truth" / "quarantine.json").read_text(encoding="utf-8"))["sources"]


def _is_date(text: str) -> bool:
    patterns = (
        r"(\d{4})-(\d{2})-(\d{2})",
        r"(\d{4})/(\d{1,2})/(\d{1,2})",
        r"(\d{4})年(\d{1,2})月(\d{1,2})日",
        r"(\d{4})(\d{2})(\d{2})",
    )
    for pattern in patterns:
        match = re.fullmatch(pattern, text)
        if match:
            try:
                date(*(int(g) for g in match.groups()))
            except ValueError:
                return False
            return True
    return False


def _is_timestamp(value: object) -> bool:
    text = str(value)
    if re.fullmatch(r"\d{10}|\d{13}", text):
        return True
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


# --- formats -------------------------------------------------------------------------------


def _answer_rows(out: Path) -> list[tuple[object, ...]]:
    """Every row of the survey's answers sheet, header first (the workbook is closed after)."""
    book = openpyxl.load_workbook(out / "data/survey.xlsx", read_only=True)
    try:
        return list(book["answers"].iter_rows(values_only=True))
    finally:
        book.close()


def test_files_exist_in_their_formats(zh: tuple[Path, DemoSummary]) -> None:
    out, summary = zh
    raw = (out / "data" / "crm.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gbk")
    assert text.startswith("客户编号,姓名,性别,手机,邮箱,出生日期,城市")
    assert "\r\n" in text
    (out / "data" / "members.csv").read_bytes().decode("utf-8")
    files = sorted((out / "data" / "events").glob("events_*.jsonl"))
    assert len(files) == summary.event_files == 180
    assert files[0].name == "events_2026-05-05.jsonl"
    assert files[-1].name == "events_2026-10-31.jsonl"
    table = pq.read_table(out / "data" / "orders.parquet")
    assert str(table.schema.field("amount").type) == "string"
    assert table.num_rows == summary.orders
    header = _answer_rows(out)[0]
    assert header == ("客户编号", "题目编号", "答案", "提交时间", "问卷渠道")
    bank = pd.read_csv(out / "data" / "questions.csv")
    assert list(bank.columns[:4]) == ["question_id", "text", "type", "dimension"]
    assert set(bank.type) == {"likert", "choice", "multi", "text"}
    assert {"price_consciousness", "brand_loyalty"} <= set(bank.dimension)
    for name in ("customers.csv", "identity.csv", "quarantine.json", "README.md"):
        assert (out / "truth" / name).is_file()


def test_messy_values_are_mixed(zh: tuple[Path, DemoSummary]) -> None:
    out, _ = zh
    text = (out / "data" / "crm.csv").read_text(encoding="gbk")
    assert re.search(r"\+86 1\d\d \d{4} \d{4}", text)
    assert re.search(r",1\d\d-\d{4}-\d{4},", text)
    assert "１" in text  # full-width digits
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text)
    assert re.search(r",\d{4}/\d{1,2}/\d{1,2},", text)
    assert ",北京," in text and ",北京市," in text
    members = pd.read_csv(out / "data" / "members.csv", dtype=str, keep_default_na=False)
    assert members.real_name.str.contains(r"^[A-Z][a-z]+ [A-Z]", regex=True).any()  # pinyin
    assert (members.real_name == "").any() and (members.birthday == "").any()
    assert members.join_time.str.fullmatch(r"\d{13}").all()


def test_persona_yaml_validates_and_maps_real_columns(zh: tuple[Path, DemoSummary]) -> None:
    out, _ = zh
    config = parse_config((out / "persona.yaml").read_text(encoding="utf-8"))
    kinds = {s.name: s.kind for s in config.sources}
    assert kinds == {
        "crm": Kind.PROFILES,
        "members": Kind.PROFILES,
        "events": Kind.EVENTS,
        "orders": Kind.TRANSACTIONS,
        "survey": Kind.SURVEYS,
        "relations": Kind.RELATIONS,
    }
    assert config.language == "zh" and config.timezone == "Asia/Shanghai"
    headers = {
        "crm": (out / "data/crm.csv").read_text(encoding="gbk").splitlines()[0].split(","),
        "members": (out / "data/members.csv").read_text().splitlines()[0].split(","),
        "relations": (out / "data/relations.csv").read_text().splitlines()[0].split(","),
        "orders": pq.read_schema(out / "data/orders.parquet").names,
        "survey": ["客户编号", "题目编号", "答案", "提交时间", "问卷渠道"],
    }
    keys: set[str] = set()
    for path in (out / "data/events").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines()[:50]:
            if line.endswith("}}"):
                keys |= set(json.loads(line))
    headers["events"] = sorted(keys)
    for source in config.sources:
        missing = set(source.columns.values()) - set(headers[source.name])
        assert not missing, (source.name, missing)
    assert set(headers["crm"]) - set(config.source("crm").columns.values()) == {"会员等级", "备注"}
    assert config.source("survey").question_bank == "data/questions.csv"


# --- planted defects ----------------------------------------------------------------------


def test_quarantine_counts_match_a_recount_of_the_files(zh: tuple[Path, DemoSummary]) -> None:
    out, _ = zh
    ledger = _ledger(out)

    rows = list(csv.reader(io.StringIO((out / "data/crm.csv").read_text(encoding="gbk"))))
    header, body = rows[0], rows[1:]
    ragged = [r for r in body if len(r) != len(header)]
    whole = [r for r in body if len(r) == len(header)]
    bad_date = [r for r in whole if r[5] and not _is_date(r[5])]
    no_id = [r for r in whole if not (r[0] or r[3] or r[4])]
    assert len(ragged) >= 2 and {len(r) > len(header) for r in ragged} == {True, False}
    assert ledger["crm"]["received"] == len(body)
    assert ledger["crm"]["defects"] == {
        "bad_date": len(bad_date),
        "no_identifier": len(no_id),
        "ragged_row": len(ragged),
    }
    assert ledger["crm"]["quarantined"] == len(ragged) + len(bad_date) + len(no_id)

    counts: Counter[str] = Counter()
    seen: set[str] = set()
    identifiers = {"device_id", "member_no", "unionid", "uid", "phone"}
    for path in sorted((out / "data/events").glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        counts["received"] += len(lines)
        for line in lines:
            if line in seen:
                counts["skipped"] += 1
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                counts["malformed_json"] += 1
                continue
            if "ts" not in record:
                counts["missing_timestamp"] += 1
            elif not _is_timestamp(record["ts"]):
                counts["bad_timestamp"] += 1
            elif not identifiers & set(record):
                counts["no_identifier"] += 1
        seen |= set(lines)
    events = ledger["events"]
    assert events["received"] == counts.pop("received")
    assert events["skipped"] == counts.pop("skipped") >= 3
    assert events["defects"] == dict(counts)
    assert min(counts.values()) >= 3

    orders = pq.read_table(out / "data/orders.parquet").to_pandas()
    number = orders.amount.str.replace(r"^¥|,", "", regex=True)
    bad_number = int((~number.str.fullmatch(r"\d+(\.\d+)?")).sum())
    assert ledger["orders"]["defects"] == {
        "bad_number": bad_number,
        "missing_order_id": int((orders.order_no == "").sum()),
    }
    assert bad_number >= 2 and "12,5O" in set(orders.amount) | {"12,5O"}
    assert ledger["orders"]["received"] == len(orders)

    answers = _answer_rows(out)[1:]
    assert ledger["survey"]["received"] == len(answers)
    assert ledger["survey"]["defects"] == {"missing_answer": sum(1 for r in answers if not r[2])}

    relations = pd.read_csv(out / "data/relations.csv", dtype=str, keep_default_na=False)
    empty_target = ((relations.to_customer == "") & (relations.to_mobile == "")).sum()
    assert ledger["relations"]["defects"] == {"no_identifier": int(empty_target)}
    assert ledger["relations"]["received"] == len(relations)
    for source in ledger.values():
        assert source["loaded"] == source["received"] - source["quarantined"] - source["skipped"]


def test_ledger_rows_point_at_the_bad_lines(zh: tuple[Path, DemoSummary]) -> None:
    out, _ = zh
    ledger = _ledger(out)
    crm_lines = (out / "data/crm.csv").read_bytes().decode("gbk").split("\r\n")
    for row in ledger["crm"]["rows"]:
        line = crm_lines[row["line"] - 1]
        if row["defect"] == "bad_date":
            assert row["value"] in line
        if row["defect"] == "no_identifier":
            assert line.startswith(",")
    for row in ledger["events"]["rows"]:
        line = (out / row["file"]).read_text(encoding="utf-8").splitlines()[row["line"] - 1]
        if row["defect"] == "malformed_json":
            assert line == row["value"]
        if row["defect"] == "missing_timestamp":
            assert '"ts"' not in line


# --- ground truth and behaviour --------------------------------------------------------------


def test_identity_truth_covers_every_loaded_profile(
    zh: tuple[Path, DemoSummary], customers: pd.DataFrame
) -> None:
    out, summary = zh
    identity = pd.read_csv(out / "truth/identity.csv", dtype=str)
    assert list(identity.columns) == ["source", "customer_key", "entity_id"]
    ledger = _ledger(out)
    sizes = identity.source.value_counts()
    assert sizes["crm"] == ledger["crm"]["received"] - ledger["crm"]["quarantined"]
    assert sizes["members"] == summary.profile_rows["members"]
    assert not identity.duplicated(["source", "customer_key"]).any()
    assert set(identity.entity_id) <= set(customers.person_id)
    members = pd.read_csv(out / "data/members.csv", dtype=str)
    assert set(members.member_no) == set(identity[identity.source == "members"].customer_key)
    crm_people = identity[identity.source == "crm"].entity_id
    assert crm_people.duplicated().sum() == (customers.customer_key_duplicate != "").sum() > 0
    both = set(crm_people) & set(identity[identity.source == "members"].entity_id)
    assert 0.3 < len(both) / crm_people.nunique() < 0.55
    devices = pd.read_csv(out / "truth/devices.csv", dtype=str)
    assert devices.device_id.is_unique and len(devices) >= len(customers)


def test_all_archetypes_present(customers: pd.DataFrame, zh: tuple[Path, DemoSummary]) -> None:
    assert set(customers.archetype) == set(ARCHETYPE_KEYS)
    assert len(ARCHETYPE_KEYS) >= 6
    assert zh[1].archetypes == customers.archetype.value_counts().to_dict()
    assert (customers.archetype_zh[customers.archetype == "young_parent"] == "年轻父母").all()


def test_profiles_differ_by_archetype(customers: pd.DataFrame) -> None:
    age = customers.age.astype(int).groupby(customers.archetype)
    assert age.min()["young_parent"] >= 25 and age.max()["young_parent"] <= 35
    assert age.max()["newcomer"] <= 30
    female = (customers.gender == "female").groupby(customers.archetype).mean()
    assert female["young_parent"] > 0.7 > 0.45 > female["night_owl_high_wtp"]
    registered = pd.to_datetime(customers.registered_at)
    recent = (REFERENCE - registered).dt.days <= 30
    assert recent[customers.archetype == "newcomer"].all()
    assert recent[customers.archetype != "newcomer"].mean() < 0.02


def test_orders_differ_by_archetype(orders: pd.DataFrame) -> None:
    assert orders.archetype.notna().mean() > 0.99
    hour = orders.paid_at.dt.hour
    night = hour.isin([22, 23, 0, 1]).groupby(orders.archetype).mean()
    assert night["night_owl_high_wtp"] > 0.6
    assert night.drop("night_owl_high_wtp").max() < 0.25
    coupon = orders.coupon_used.groupby(orders.archetype).mean()
    assert coupon["price_sensitive"] > 0.6 > 0.2 > coupon["high_value_active"]
    value = (orders.unit_price * orders.qty).groupby(orders.archetype).median()
    assert value["night_owl_high_wtp"] > 2 * value["price_sensitive"]
    baby = orders.category.isin(["母婴", "童装"]).groupby(orders.archetype).mean()
    assert baby["young_parent"] > 0.6 and baby.drop("young_parent").max() < 0.1
    per_person = orders.groupby("archetype").size() / orders.groupby("archetype").user_id.nunique()
    assert per_person["high_value_active"] > per_person["newcomer"]
    churn = orders[orders.archetype == "churn_risk"].paid_at
    assert (REFERENCE - churn.max()).days >= 60


def test_events_differ_by_archetype(customers: pd.DataFrame) -> None:
    events = customers.events.astype(int).groupby(customers.archetype).mean()
    assert events["high_value_active"] > 2 * events["newcomer"]
    assert events["high_value_active"] > events["churn_risk"]
    churn = customers[customers.archetype == "churn_risk"]
    last = pd.to_datetime(churn.last_event_at[churn.last_event_at != ""])
    assert ((REFERENCE - last).dt.days >= 60).all()
    active = customers[customers.archetype == "high_value_active"]
    last = pd.to_datetime(active.last_event_at[active.last_event_at != ""])
    assert ((REFERENCE - last).dt.days < 30).mean() > 0.9


def test_night_owls_browse_at_night(zh: tuple[Path, DemoSummary], customers: pd.DataFrame) -> None:
    out, _ = zh
    owner = pd.read_csv(out / "truth/devices.csv").set_index("device_id").entity_id
    kind = customers.set_index("person_id").archetype
    frame = pd.read_json(out / "data/events/events_2026-10-20.jsonl", lines=True, dtype=False)
    frame["archetype"] = frame.device_id.map(owner).map(kind)
    stamp = frame.ts.map(
        lambda v: (
            pd.Timestamp(int(v), unit="s" if len(str(v)) == 10 else "ms", tz="UTC")
            if str(v).isdigit()
            else pd.Timestamp(v).tz_localize("Asia/Shanghai")
            if pd.Timestamp(v).tzinfo is None
            else pd.Timestamp(v)
        )
    )
    frame["hour"] = [t.tz_convert("Asia/Shanghai").hour for t in stamp]
    night = frame.hour.isin([22, 23, 0, 1]).groupby(frame.archetype).mean()
    assert night["night_owl_high_wtp"] > 0.6 > 0.3 > night["young_parent"]
    channels = frame.groupby("archetype").channel.agg(lambda c: (c == "miniprogram").mean())
    assert channels["price_sensitive"] > channels["night_owl_high_wtp"]


def test_survey_scores_differ_by_archetype(
    zh: tuple[Path, DemoSummary], customers: pd.DataFrame
) -> None:
    out, _ = zh
    answers = pd.DataFrame(_answer_rows(out)[1:])
    answers.columns = ["key", "question", "answer", "at", "channel"]
    keyed = customers[customers.customer_key != ""]
    answers["archetype"] = answers.key.map(keyed.set_index("customer_key").archetype)
    bank = pd.read_csv(out / "data/questions.csv").set_index("question_id")
    likert = answers[answers.question.map(bank.type) == "likert"].dropna(subset=["answer"])
    likert = likert.assign(score=likert.answer.astype(int), dim=likert.question.map(bank.dimension))
    score = likert.groupby(["dim", "archetype"]).score.mean()
    assert (
        score["price_consciousness"]["price_sensitive"]
        > score["price_consciousness"]["high_value_active"] + 1.5
    )
    assert score["brand_loyalty"]["high_value_active"] > score["brand_loyalty"]["churn_risk"] + 1.5
    assert score["innovation"]["night_owl_high_wtp"] > score["innovation"]["young_parent"] + 1
    respondents = answers.key.nunique() / (customers.customer_key != "").sum()
    assert 0.08 < respondents < 0.25
    texts = answers[answers.question == "Q17"].answer
    assert texts.str.contains("[\u4e00-\u9fff]").all()
    household = (
        answers[answers.question == "Q14"]
        .groupby("archetype")
        .answer.agg(lambda a: (a == "有0-6岁孩子").mean())
    )
    assert household["young_parent"] > 0.7 > 0.3 > household["newcomer"]


def test_relations_differ_by_archetype(customers: pd.DataFrame) -> None:
    referrals = customers.referrals.astype(int).groupby(customers.archetype).mean()
    assert referrals["high_value_active"] > 3 * referrals.drop("high_value_active").max()
    household = (customers.household == "true").groupby(customers.archetype).mean()
    assert household["young_parent"] > 0.4
    friends = customers.friends.astype(int).groupby(customers.archetype).mean()
    assert friends["price_sensitive"] > 2 * friends["night_owl_high_wtp"]


# --- scale, determinism, language ---------------------------------------------------------------


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    generate_demo(tmp_path / "a", 600, seed=3)
    generate_demo(tmp_path / "b", 600, seed=3)
    generate_demo(tmp_path / "c", 600, seed=4)
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert len(a) > 190 and a == b
    assert a["data/crm.csv"] != c["data/crm.csv"]
    assert a["data/survey.xlsx"] != c["data/survey.xlsx"]


def test_events_scale_with_customers(tmp_path: Path, zh: tuple[Path, DemoSummary]) -> None:
    small = generate_demo(tmp_path, CUSTOMERS // 2, seed=7)
    ratio = zh[1].events / small.events
    assert 1.8 < ratio < 2.2
    assert 15 < zh[1].events / CUSTOMERS < 25
    assert 1.7 < zh[1].orders / small.orders < 2.3


def test_summary_matches_files(zh: tuple[Path, DemoSummary]) -> None:
    out, summary = zh
    lines = sum(len(p.read_bytes().splitlines()) for p in (out / "data/events").glob("*.jsonl"))
    assert summary.events == lines
    assert summary.profile_rows["members"] == len(pd.read_csv(out / "data/members.csv"))
    assert summary.relations == len(pd.read_csv(out / "data/relations.csv"))
    assert summary.customers == CUSTOMERS
    assert summary.config_path == out / "persona.yaml"


def test_english_project(tmp_path: Path) -> None:
    summary = generate_demo(tmp_path, 500, seed=11, lang="en")
    text = (tmp_path / "data/crm.csv").read_bytes().decode("utf-8")
    assert text.startswith("customer_no,name,gender,mobile,email,date_of_birth,city")
    assert "年" not in text
    config = parse_config((tmp_path / "persona.yaml").read_text(encoding="utf-8"))
    assert config.language == "en"
    assert config.source("crm").columns["customer_key"] == "customer_no"
    orders = pq.read_table(tmp_path / "data/orders.parquet").to_pandas()
    assert "Baby & maternity" in set(orders.category)
    bank = pd.read_csv(tmp_path / "data/questions.csv")
    assert bank.text.str.contains("[a-z]").all()
    assert summary.events > 0 and _ledger(tmp_path)["crm"]["quarantined"] >= 4
    assert np.isin(list(summary.archetypes), ARCHETYPE_KEYS).all()


def test_rejects_unknown_language(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown language"):
        generate_demo(tmp_path, 10, lang="fr")
    with pytest.raises(ValueError, match="at least 1"):
        generate_demo(tmp_path, 0)
