"""Each cleaning rule, on Chinese and English inputs, evaluated by the real engine."""

from __future__ import annotations

import pytest

from persona.engine.base import quote_literal
from persona.engine.duckdb import DuckDBEngine
from persona.pipeline.clean import rules


@pytest.fixture(scope="module")
def engine() -> DuckDBEngine:
    from persona.pipeline.clean import _load_geo

    db = DuckDBEngine(None)
    _load_geo(db)
    return db


def run(engine: DuckDBEngine, sql_of: object, value: str | None) -> object:
    literal = "null::varchar" if value is None else quote_literal(value)
    sql = sql_of(literal)  # type: ignore[operator]
    return engine.fetch_all(f"select {sql}")[0][0]


PHONES = {
    "cn-mobile-plain": ("13812345678", "+8613812345678"),
    "cn-mobile-dashes": ("138-1234-5678", "+8613812345678"),
    "cn-mobile-spaces-plus86": ("+86 138 1234 5678", "+8613812345678"),
    "cn-mobile-0086": ("0086 13812345678", "+8613812345678"),
    "cn-mobile-86-prefix": ("8613812345678", "+8613812345678"),
    "cn-mobile-fullwidth": ("１３８１２３４５６７８", "+8613812345678"),
    "cn-mobile-brackets": ("(+86)138.1234.5678", "+8613812345678"),
    "cn-landline-beijing": ("010-12345678", "+861012345678"),
    "cn-landline-brackets": ("(0755) 8765 4321", "+8675587654321"),
    "intl-us": ("+1 415 555 0100", "+14155550100"),
    "intl-uk-00": ("0044 20 7946 0958", "+442079460958"),
    "too-short": ("12345", None),
    "letters": ("未知", None),
    "empty": ("", None),
    "null": (None, None),
}


@pytest.mark.parametrize(("raw", "expected"), PHONES.values(), ids=PHONES.keys())
def test_phone_to_e164(engine: DuckDBEngine, raw: str | None, expected: str | None) -> None:
    assert run(engine, rules.phone, raw) == expected


EMAILS = {
    "lower-and-trim": ("  Zhang.Wei@Example.COM ", "zhang.wei@example.com"),
    "fullwidth-at": ("li＠qq.com", "li@qq.com"),
    "no-at": ("not an email", None),
    "no-domain-dot": ("a@localhost", None),
    "gmail-kept-without-rules": ("A.B+x@gmail.com", "a.b+x@gmail.com"),
}


@pytest.mark.parametrize(("raw", "expected"), EMAILS.values(), ids=EMAILS.keys())
def test_email(engine: DuckDBEngine, raw: str, expected: str | None) -> None:
    assert run(engine, rules.email, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A.B+promo@gmail.com", "ab@gmail.com"),
        ("a.b@googlemail.com", "ab@gmail.com"),
        ("a.b+x@qq.com", "a.b+x@qq.com"),
    ],
    ids=["gmail-dots-and-tag", "googlemail-alias", "other-provider-untouched"],
)
def test_email_provider_rules(engine: DuckDBEngine, raw: str, expected: str) -> None:
    assert run(engine, lambda v: rules.email(v, provider_rules=True), raw) == expected


GENDERS = {
    "zh-male": ("男", "male"),
    "zh-female": ("女", "female"),
    "zh-female-long": ("女性", "female"),
    "zh-honorific-male": ("先生", "male"),
    "en-M": ("M", "male"),
    "en-female": ("Female", "female"),
    "digit-1-male": ("1", "male"),
    "digit-0-female": ("0", "female"),
    "digit-2-female": ("2", "female"),
    "fullwidth-F": ("Ｆ", "female"),
    "unknown": ("未知", None),
    "padded": (" 男 ", "male"),
}


@pytest.mark.parametrize(("raw", "expected"), GENDERS.values(), ids=GENDERS.keys())
def test_gender_vocabularies(engine: DuckDBEngine, raw: str, expected: str | None) -> None:
    assert run(engine, rules.gender, raw) == expected


TEXT = {
    "fullwidth-latin": ("ＡＢＣ１２３", "ABC123"),
    "ideographic-space": ("张\u3000伟", "张 伟"),
    "collapse-and-trim": ("  Zhang   Wei \t", "Zhang Wei"),
    "only-spaces-is-empty": ("   ", None),
    "chinese-untouched": ("上海市浦东新区", "上海市浦东新区"),
}


@pytest.mark.parametrize(("raw", "expected"), TEXT.values(), ids=TEXT.keys())
def test_default_text_rules(engine: DuckDBEngine, raw: str, expected: str | None) -> None:
    assert run(engine, rules.text_rules, raw) == expected


CITIES = {
    "zh-short": ("北京", "北京"),
    "zh-with-shi": ("北京市", "北京"),
    "en": ("Beijing", "北京"),
    "en-lower": ("shanghai", "上海"),
    "fullwidth-en": ("ＢＥＩＪＩＮＧ", "北京"),
    "pinyin-apostrophe": ("Xi'an", "西安"),
    "with-district": ("广州市天河区", "广州"),
    "unknown-kept": ("Springfield", "Springfield"),
}


@pytest.mark.parametrize(("raw", "expected"), CITIES.values(), ids=CITIES.keys())
def test_city_names(engine: DuckDBEngine, raw: str, expected: str) -> None:
    assert run(engine, rules.city, raw) == expected


PROVINCES = {
    "zh-sheng": ("广东省", "广东"),
    "en": ("Guangdong", "广东"),
    "autonomous-region": ("内蒙古自治区", "内蒙古"),
    "municipality": ("上海市", "上海"),
}


@pytest.mark.parametrize(("raw", "expected"), PROVINCES.values(), ids=PROVINCES.keys())
def test_province_names(engine: DuckDBEngine, raw: str, expected: str) -> None:
    assert run(engine, rules.province, raw) == expected


@pytest.mark.parametrize(
    ("city", "province"),
    [("苏州", "江苏"), ("哈尔滨", "黑龙江"), ("深圳", "广东")],
    ids=["suzhou", "harbin", "shenzhen"],
)
def test_province_from_city(engine: DuckDBEngine, city: str, province: str) -> None:
    assert run(engine, rules.province_of_city, city) == province


def test_default_rules_per_field() -> None:
    assert rules.default_rules("phone") == ["phone"]
    assert rules.default_rules("src_phone") == ["phone"]
    assert rules.default_rules("id_number") == ["fullwidth", "trim", "upper"]
    assert rules.default_rules("event") == ["fullwidth", "trim", "lower"]
    assert rules.default_rules("name") == ["fullwidth", "trim", "collapse_spaces"]
