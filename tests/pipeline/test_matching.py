"""Probabilistic matching (Splink on DuckDB): hand-made profiles and the demo's planted truth."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from itertools import combinations
from pathlib import Path

import pandas as pd
import pytest
import yaml

from persona.demo import generate_demo
from persona.pipeline.matching import (
    PAIR_COLUMNS,
    MatchSettings,
    name_key,
    normalise_name,
    predict_matches,
)

COLUMNS = ["record_id", "source", "name", "birth_date", "phone", "email", "city"]


def profiles(*rows: tuple[object, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


def matched(pairs: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(pairs["record_id_l"], pairs["record_id_r"], strict=True))


HAND_MADE = profiles(
    # 张伟 in the CRM and as "Zhang Wei" in the app, same phone.
    ("crm:1", "crm", "张伟", date(1990, 3, 15), "+8613812345678", "zhangwei88@qq.com", "北京"),
    ("app:1", "app", "Zhang Wei", date(1990, 3, 15), "+8613812345678", None, "北京"),
    # Another 张伟: same name, different person.
    ("crm:2", "crm", "张伟", date(1972, 11, 30), "+8613000000001", "zw1972@163.com", "广州"),
    # 李晓敏 with a homophone typo (敏/民), day and month swapped, no phone on one side.
    ("crm:3", "crm", "李晓敏", date(1985, 7, 2), "+8613900001111", None, "上海"),
    ("app:3", "app", "李晓民", date(1985, 2, 7), None, None, "上海"),
    # Family name first with an ideographic space, second e-mail, other phone.
    ("crm:4", "crm", "欧阳　娜娜", date(1993, 9, 9), "+8613511112222", "ouyang@126.com", "杭州"),
    ("app:4", "app", "Nana Ouyang", date(1993, 9, 9), "+8618800001111", None, "杭州"),
    # Western names: punctuation, order and case; a one-letter typo.
    ("crm:5", "crm", "John O'Brien", date(1980, 1, 5), "+14155550100", "jobrien@ex.com", "NYC"),
    ("app:5", "app", "OBRIEN, JOHN", date(1980, 5, 1), "+14155550100", None, "NYC"),
    ("crm:6", "crm", "Jon Smith", date(1975, 6, 20), None, "jsmith@example.com", "London"),
    ("app:6", "app", "John Smith", date(1975, 6, 20), None, None, "London"),
    # Born the same day in the same city as Jon Smith, but another name and phone.
    ("crm:7", "crm", "Mary Jones", date(1975, 6, 20), "+447700900001", None, "London"),
    # A third 张伟 in 北京, born another day, with another phone.
    ("app:9", "app", "张伟", date(1968, 4, 4), "+8613700000009", None, "北京"),
    # A bare name (and city) is not enough to merge.
    ("app:8", "app", "张伟", None, None, None, "北京"),
)
EXPECTED = {
    ("app:1", "crm:1"),
    ("app:3", "crm:3"),
    ("app:4", "crm:4"),
    ("app:5", "crm:5"),
    ("app:6", "crm:6"),
}


def test_hand_made_profiles_match_across_scripts_typos_and_order() -> None:
    pairs = predict_matches(HAND_MADE)
    assert list(pairs.columns) == list(PAIR_COLUMNS)
    assert matched(pairs) == EXPECTED
    assert (pairs["match_probability"] >= 0.9).all()
    assert (pairs["record_id_l"] < pairs["record_id_r"]).all()


def test_a_stricter_threshold_only_removes_pairs() -> None:
    loose = matched(predict_matches(HAND_MADE, MatchSettings(threshold=0.5)))
    strict = matched(predict_matches(HAND_MADE, MatchSettings(threshold=0.999999)))
    assert strict <= EXPECTED <= loose


def test_extra_columns_and_row_order_do_not_change_the_pairs() -> None:
    shuffled = HAND_MADE.sample(frac=1, random_state=3).assign(notes="x")
    assert matched(predict_matches(shuffled)) == EXPECTED


def test_tiny_inputs_and_empty_results_keep_the_columns() -> None:
    one = predict_matches(HAND_MADE.head(1))
    none_alike = predict_matches(HAND_MADE.iloc[[0, 2, 7]])
    for pairs in (one, none_alike, predict_matches(HAND_MADE.head(0))):
        assert list(pairs.columns) == list(PAIR_COLUMNS)
        assert pairs.empty
    assert matched(predict_matches(HAND_MADE.head(2))) == {("app:1", "crm:1")}


def test_all_null_columns_and_a_single_source() -> None:
    no_contact = HAND_MADE.assign(phone=None, email=None, source="crm")
    assert matched(predict_matches(no_contact)) >= {("app:1", "crm:1"), ("app:6", "crm:6")}
    nothing = HAND_MADE.assign(name=None, birth_date=None, phone=None, email=None, city=None)
    assert predict_matches(nothing).empty


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="lack the column"):
        predict_matches(HAND_MADE.drop(columns="city"))
    with pytest.raises(ValueError, match="unique"):
        predict_matches(pd.concat([HAND_MADE, HAND_MADE.head(1)]))


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("张晓明", "xiaoming zhang"),
        ("Zhang Xiaoming", "xiaoming zhang"),
        ("XIAOMING  zhang ", "xiaoming zhang"),
        ("张　晓明", "xiaoming zhang"),
        ("曾志伟", "zeng zhiwei"),
        ("吕雪", "lu xue"),
        ("欧阳娜娜", "nana ouyang"),
        ("Zoë O'Brien-Smith", "obriensmith zoe"),
    ],
)
def test_name_key_is_romanised_and_order_free(name: str, key: str) -> None:
    normalised = normalise_name(name)
    assert normalised is not None
    assert name_key(normalised) == key


# -- accuracy on the demo data ---------------------------------------------------------------


def e164(value: object) -> str | None:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(value or "")))
    digits = re.sub(r"^(0086|86)(?=1\d{10}$)", "", digits)
    return "+86" + digits if re.fullmatch(r"1[3-9]\d{9}", digits) else None


def birth(value: object) -> date | None:
    text = str(value or "").strip()
    found = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    try:
        return date(int(found[1]), int(found[2]), int(found[3])) if found else None
    except ValueError:
        return None


def demo_profiles(folder: Path) -> pd.DataFrame:
    """Read crm.csv and members.csv as persona.yaml maps them, lightly normalised."""
    config = yaml.safe_load((folder / "persona.yaml").read_text(encoding="utf-8"))
    frames = []
    for source in config["sources"]:
        if source["name"] not in ("crm", "members"):
            continue
        raw = pd.read_csv(
            folder / source["path"],
            dtype=str,
            keep_default_na=False,
            encoding=source.get("encoding", "utf-8"),
            on_bad_lines="skip",
        )
        mapping = source["columns"]
        key = raw[mapping.get("customer_key") or mapping["member_no"]]
        email = raw[mapping["email"]].str.strip().str.lower()
        city = raw[mapping["city"]].str.strip().str.removesuffix("市").str.lower()
        frames.append(
            pd.DataFrame(
                {
                    "record_id": source["name"] + ":" + key,
                    "source": source["name"],
                    "name": raw[mapping["name"]],
                    "birth_date": raw[mapping["birth_date"]].map(birth),
                    "phone": raw[mapping["phone"]].map(e164),
                    "email": email.where(email != "", None),
                    "city": city.where(city != "", None),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def clusters(ids: list[str], pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Connected components: each record id to the smallest id of its component."""
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for left, right in pairs:
        a, b = root(left), root(right)
        parent[max(a, b)] = min(a, b)
    return {i: root(i) for i in ids}


def same_cluster_pairs(labels: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = {}
    for record, label in labels.items():
        groups.setdefault(label, []).append(record)
    return {pair for group in groups.values() for pair in combinations(sorted(group), 2)}


def pairwise_scores(
    truth: dict[str, str], pairs: list[tuple[str, str]]
) -> tuple[float, float, float]:
    predicted = same_cluster_pairs(clusters(sorted(truth), pairs))
    actual = same_cluster_pairs(truth)
    hits = len(predicted & actual)
    precision, recall = hits / len(predicted), hits / len(actual)
    return precision, recall, 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[str, str]]:
    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder, customers=3000, seed=7, lang="zh")
    identity = pd.read_csv(folder / "truth" / "identity.csv", dtype=str)
    truth = dict(
        zip(identity["source"] + ":" + identity["customer_key"], identity["entity_id"], strict=True)
    )
    records = demo_profiles(folder)
    # Rows the ingest quarantines (ragged, no identifier) are not in the truth.
    return records[records["record_id"].isin(truth)].reset_index(drop=True), truth


@pytest.mark.slow
def test_demo_identities_are_recovered(demo: tuple[pd.DataFrame, dict[str, str]]) -> None:
    records, truth = demo
    assert len(records) == len(truth)
    pairs = predict_matches(records)
    found = list(zip(pairs["record_id_l"], pairs["record_id_r"], strict=True))
    precision, recall, f1 = pairwise_scores(truth, found)
    assert precision >= 0.99, (precision, recall, f1)
    assert f1 >= 0.97, (precision, recall, f1)

    shared = [
        (group[0], other)
        for column in ("phone", "email")
        for group in records.dropna(subset=[column]).groupby(column)["record_id"].agg(sorted)
        for other in group[1:]
    ]
    precision, recall, f1 = pairwise_scores(truth, found + shared)
    assert precision >= 0.99, (precision, recall, f1)
    assert f1 >= 0.98, (precision, recall, f1)


@pytest.mark.slow
def test_the_same_records_and_seed_give_the_same_pairs(
    demo: tuple[pd.DataFrame, dict[str, str]],
) -> None:
    records, _ = demo
    sample = records.iloc[::2]  # both sources
    first = predict_matches(sample)
    assert first.equals(predict_matches(sample))  # bit for bit
    assert len(first) > 100
    # Another row order sums floats in another order: same pairs, weights equal to ~1e-12.
    pd.testing.assert_frame_equal(first, predict_matches(sample.iloc[::-1]))
