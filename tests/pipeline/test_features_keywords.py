"""Free-text survey keywords: the tokeniser in Chinese and English, and `survey_keywords`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from persona import Project
from persona.demo import generate_demo
from persona.demo.archetypes import ARCHETYPES
from persona.pipeline.features import run_features
from persona.pipeline.features.catalog import FILLS, feature_catalog, survey_column
from persona.pipeline.features.keywords import MAX_KEYWORDS, keywords, top_keywords
from tests.conftest import MakeProject

AS_OF = datetime(2024, 6, 30, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai"))

# -- the tokeniser --------------------------------------------------------------------------


def test_chinese_words_without_stop_words_punctuation_or_single_characters() -> None:
    assert keywords("更多优惠券，更多积分抵现！") == ["优惠券", "积分", "抵现"]  # 更, 多 dropped
    assert keywords("希望快递更快一些。") == ["快递"]  # 希望 and 一些 are stop words
    assert keywords("我们的东西没有问题") == []
    assert keywords("母婴用品正品保障") == ["母婴", "用品", "正品", "保障"]


def test_english_words_lower_cased_without_stop_words_numbers_or_punctuation() -> None:
    text = "Faster DELIVERY, please!! The kids' sizes are wrong; it's 2 weeks... 24h service?"
    assert keywords(text) == [
        "faster",
        "delivery",
        "kids",
        "sizes",
        "wrong",
        "weeks",
        "24h",
        "service",
    ]
    assert keywords("I don’t want anything more, thanks") == ["anything"]  # curly apostrophe
    assert keywords("  ...!!!  ") == []


def test_mixed_and_full_width_text() -> None:
    assert keywords("App太慢了, app crashes") == ["app", "太慢", "app", "crashes"]
    assert keywords("ＡＰＰ页面加载慢") == ["app", "页面", "加载"]  # full-width letters


def test_top_keywords_count_occurrences_and_break_ties_alphabetically() -> None:
    texts = ["Faster delivery and cheaper shipping", "Delivery is slow; shipping costs too much!"]
    assert top_keywords(texts) == ["delivery", "shipping", "cheaper", "costs", "faster"]
    assert top_keywords(["beta alpha gamma", "gamma alpha"], limit=2) == ["alpha", "gamma"]
    assert top_keywords(["优惠券门槛太高", "优惠券 积分"]) == ["优惠券", "太高", "积分", "门槛"]
    assert top_keywords([]) == []


# jieba 0.42 imports pkg_resources, which warns on recent setuptools; this stand-in warns the
# same way whatever setuptools is installed.
PKG_RESOURCES = """
import os, warnings
from importlib.util import find_spec
warnings.warn("pkg_resources is deprecated as an API", UserWarning, stacklevel=2)
def resource_stream(package, name):
    return open(os.path.join(os.path.dirname(find_spec(package).origin), name), "rb")
"""
KEYWORDS_SCRIPT = """
import sys, tempfile
def unwritable(**options):
    raise PermissionError("read-only temp folder")
from persona.pipeline.features.keywords import keywords
assert keywords("plain English only") == ["plain", "english"]
assert "jieba" not in sys.modules
sys.pycache_prefix = sys.argv[1]  # jieba compiled afresh: its invalid escapes warn
if sys.argv[2] == "broken":
    tempfile.TemporaryDirectory = unwritable
assert keywords("母婴用品") == ["母婴", "用品"]
assert "jieba" in sys.modules
"""


@pytest.mark.parametrize("temp_folder", ["usable", "broken"])
def test_jieba_loads_lazily_quietly_and_leaves_no_cache(tmp_path: Path, temp_folder: str) -> None:
    shadow, temp, pycache = tmp_path / "shadow", tmp_path / "tmp", tmp_path / "pycache"
    shadow.mkdir()
    temp.mkdir()
    (shadow / "pkg_resources.py").write_text(PKG_RESOURCES, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "dev",
            "-W",
            "error",
            "-c",
            KEYWORDS_SCRIPT,
            str(pycache),
            temp_folder,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(shadow), *sys.path]),
            "TMPDIR": str(temp),
            "HOME": str(tmp_path / "no-home"),
        },
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""  # no warnings, no jieba log lines
    assert list(temp.iterdir()) == []  # the dictionary cache did not outlive the load
    assert not [p for p in tmp_path.rglob("*") if p.suffix == ".cache"]
    assert not (tmp_path / "no-home").exists()


# -- the feature --------------------------------------------------------------------------

SOURCES = """
- name: crm
  kind: profiles
  path: data/crm.csv
  columns: {customer_key: id, name: name}
- name: survey
  kind: surveys
  path: data/survey.csv
  question_bank: data/questions.csv
  columns: {customer_key: id, question_id: q, answer: answer, answered_at: at}
"""
CRM = "id,name\nC1,张伟\nC2,Ann Lee\nC3,王芳\nC4,赵敏\nC5,陈静\n"
QUESTIONS = (
    "question_id,text,type,dimension\n"
    "Q1,买东西前我会比价,likert,price_consciousness\n"
    "Q2,您最希望我们提供什么?,text,needs\n"
    "Q3,购物时让您最头疼的是什么?,text,pain_points\n"
    "Q4,您最常用的购物渠道是?,choice,channel_preference\n"
)
SURVEY = (
    "id,q,answer,at\n"
    "C1,Q1,5,2024-06-01 10:00\n"
    "C1,Q2,更多优惠券，更多积分抵现！,2024-06-01 10:01\n"
    "C1,Q3,优惠券门槛太高，积分规则太复杂。,2024-06-01 10:02\n"
    "C1,Q4,App 优惠券,2024-06-01 10:03\n"  # a choice answer: no keywords
    "C2,Q2,Parcels get lost,2024-05-01 10:00\n"  # answered again later: only the latest counts
    "C2,Q2,Faster delivery and cheaper shipping,2024-06-01 10:00\n"
    'C2,Q3,"Delivery is slow; shipping costs too much!",2024-06-01 10:01\n'
    "C3,Q1,4,2024-06-01 10:00\n"
    "C3,Q2,更快的配送,2024-07-10 10:00\n"  # after the as-of date
    "C4,Q2,没有,2024-06-01 10:00\n"  # only a stop word
    "C5,Q2,App太慢了，app crashes,2024-06-01 10:00\n"
)


def _keywords_by_key(project: Project) -> dict[str, list[str] | None]:
    run_features(project.engine, project.config, as_of=AS_OF)
    rows = project.engine.fetch_all(
        "select c.customer_keys[1], f.survey_keywords from features f "
        "join customers c using (customer_id)"
    )
    return {str(key): value for key, value in rows}


def test_survey_keywords_of_each_customer(make_project: MakeProject) -> None:
    files = {"data/crm.csv": CRM, "data/questions.csv": QUESTIONS, "data/survey.csv": SURVEY}
    root = make_project(SOURCES, files, identity="{probabilistic: false}")
    with Project.open(root) as project:
        project.build()
        found = _keywords_by_key(project)
        types = dict(
            project.engine.fetch_all(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'features'"
            )
        )
    # 优惠券 and 积分 twice each; the rest once, in code point order; at most 5
    assert found["C1"] == ["优惠券", "积分", "复杂", "太高", "抵现"]
    assert found["C2"] == ["delivery", "shipping", "cheaper", "costs", "faster"]
    assert found["C3"] is None  # its text answer is after the as-of date
    assert found["C4"] == []  # answered, but only stop words
    assert found["C5"] == ["app", "crashes", "太慢"]
    assert types["survey_keywords"] == "VARCHAR[]"


def test_no_text_answers_no_keywords_and_no_jieba(make_project: MakeProject) -> None:
    survey = "id,q,answer,at\nC1,Q1,5,2024-06-01 10:00\nC2,Q4,App,2024-06-01 10:00\n"
    files = {"data/crm.csv": CRM, "data/questions.csv": QUESTIONS, "data/survey.csv": survey}
    root = make_project(SOURCES, files, identity="{probabilistic: false}")
    with Project.open(root) as project:
        project.build()
        found = _keywords_by_key(project)
        leftovers = project.engine.fetch_all(
            "select table_name from duckdb_tables() where table_name like '_ff_%'"
        )
    assert set(found.values()) == {None}
    assert leftovers == []


def test_catalog_entry() -> None:
    (spec,) = [s for s in feature_catalog() if s.name == "survey_keywords"]
    assert (spec.type, spec.kind) == ("list", "surveys")
    assert f"{MAX_KEYWORDS}" in spec.description_en and f"{MAX_KEYWORDS}" in spec.description_zh
    assert "survey_keywords" not in FILLS
    assert survey_column("Keywords") == "survey_keywords_score"  # a dimension keeps its score


# -- the demo: planted needs and pains show in the keywords --------------------------------


def test_demo_keywords_come_from_each_archetypes_planted_texts(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(root, customers=300, seed=7, lang="zh")
    with Project.open(root) as project:
        project.build()
        keys = project.engine.fetch_df(
            "select customer_id, 'crm' as source, unnest(customer_keys) as customer_key "
            "from customers"
        )
        features = project.engine.fetch_df(
            "select customer_id, survey_keywords from features where survey_keywords is not null"
        )
    truth = pd.read_csv(root / "truth/customers.csv", usecols=["person_id", "archetype"])
    identity = pd.read_csv(root / "truth/identity.csv", dtype=str)
    people = keys.merge(identity, on=["source", "customer_key"]).merge(
        truth, left_on="entity_id", right_on="person_id"
    )
    owner = people.groupby("customer_id")["archetype"].agg(["first", "nunique"])
    archetype = owner.loc[owner["nunique"] == 1, "first"]
    planted = {
        a.key: {k for text, _ in (*a.needs, *a.pains) for k in keywords(text)} for a in ARCHETYPES
    }
    counts: dict[str, Counter[str]] = {}
    for customer_id, found in zip(
        features["customer_id"], features["survey_keywords"], strict=True
    ):
        if customer_id in archetype.index:
            kind = archetype[customer_id]
            assert set(found) <= planted[kind], (kind, found)
            counts.setdefault(kind, Counter()).update(found)
    assert sum(counts["young_parent"].values()) >= 10
    top, _ = min(counts["young_parent"].items(), key=lambda kv: (-kv[1], kv[0]))
    others = set().union(*(v for k, v in planted.items() if k != "young_parent"))
    assert top in planted["young_parent"] - others  # e.g. 育儿, 母婴, 用品: theirs alone
