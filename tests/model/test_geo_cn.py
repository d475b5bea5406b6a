from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from persona.demo.vocab import city_names, province_names
from persona.model.geo_cn import (
    AMBIGUOUS_PINYIN,
    CITIES,
    CITY_TIERS,
    PREFERRED_FOR_PINYIN,
    PROVINCES,
    City,
    city_aliases,
    normalise_key,
    province_aliases,
)

PROVINCE_NAMES = {p.name for p in PROVINCES}
MUNICIPALITIES = {"北京", "上海", "天津", "重庆"}


def own_keys(city: City) -> set[str]:
    """The keys a city must own: its names and every spelling no other city shares."""
    names = {city.name, city.official_name, *city.spellings}
    return {normalise_key(n) for n in names} - AMBIGUOUS_PINYIN


def test_counts_and_unique_names() -> None:
    assert len(PROVINCES) == 34
    assert len({p.name for p in PROVINCES}) == 34
    assert len({p.full_name for p in PROVINCES}) == 34
    assert len(CITIES) >= 300
    assert len({c.name for c in CITIES}) == len(CITIES)
    assert len(city_aliases()) > 3 * len(CITIES)


def test_every_city_is_in_a_known_province() -> None:
    unknown = [c.name for c in CITIES if c.province not in PROVINCE_NAMES]
    assert unknown == []
    same_name = {c.name for c in CITIES if c.name == c.province}
    assert same_name == MUNICIPALITIES | {"香港", "澳门", "吉林"}
    assert {c.province for c in CITIES} == PROVINCE_NAMES


def test_every_province_full_name_is_official() -> None:
    suffixes = ("省", "市", "自治区", "特别行政区")
    assert all(p.full_name.endswith(suffixes) for p in PROVINCES)
    assert all(p.full_name.startswith(p.name) for p in PROVINCES)


def test_no_alias_means_two_cities() -> None:
    owners: defaultdict[str, set[str]] = defaultdict(set)
    for city in CITIES:
        for key in {normalise_key(n) for n in (city.name, city.official_name, *city.spellings)}:
            owners[key].add(city.name)
    shared = {key for key, names in owners.items() if len(names) > 1}
    assert shared == AMBIGUOUS_PINYIN


def test_every_city_owns_its_names() -> None:
    aliases = city_aliases()
    wrong = {
        key: aliases.get(key)
        for city in CITIES
        for key in own_keys(city)
        if aliases.get(key) != (city.name, city.province)
    }
    assert wrong == {}


def test_ambiguous_pinyin_maps_to_the_designated_city_only() -> None:
    aliases = city_aliases()
    by_name = {c.name: c for c in CITIES}
    for key, preferred in PREFERRED_FOR_PINYIN.items():
        assert aliases[key] == (preferred, by_name[preferred].province)
        assert aliases[key + "city"][0] == preferred
    assert aliases[normalise_key("宿州")] == ("宿州", "安徽")
    assert aliases[normalise_key("抚州市")] == ("抚州", "江西")


@pytest.mark.parametrize(
    ("text", "city", "province"),
    [
        ("北京市", "北京", "北京"),
        ("Beijing", "北京", "北京"),
        ("ＢＥＩＪＩＮＧ", "北京", "北京"),
        ("Beijing City", "北京", "北京"),
        ("上海", "上海", "上海"),
        ("苏州市", "苏州", "江苏"),
        ("Suzhou", "苏州", "江苏"),
        ("Xi'an", "西安", "陕西"),
        ("xian", "西安", "陕西"),
        ("XI AN", "西安", "陕西"),
        ("广州", "广州", "广东"),
        ("哈尔滨", "哈尔滨", "黑龙江"),
        ("Harbin", "哈尔滨", "黑龙江"),
        ("haerbin", "哈尔滨", "黑龙江"),
        (" 乌鲁木齐市 ", "乌鲁木齐", "新疆"),
        ("Urumqi", "乌鲁木齐", "新疆"),
        ("Hohhot", "呼和浩特", "内蒙古"),
        ("延边朝鲜族自治州", "延边", "吉林"),
        ("延边州", "延边", "吉林"),
        ("襄樊", "襄阳", "湖北"),
        ("Hong Kong", "香港", "香港"),
        ("香港特别行政区", "香港", "香港"),
        ("澳門", "澳门", "澳门"),
        ("Taipei", "台北", "台湾"),
        ("吉林市", "吉林", "吉林"),
    ],
)
def test_city_lookup(text: str, city: str, province: str) -> None:
    assert city_aliases()[normalise_key(text)] == (city, province)


@pytest.mark.parametrize("text", ["吉林省", "广东省", "海南", "粤", "宁", "", "city"])
def test_province_names_and_abbreviations_are_not_city_aliases(text: str) -> None:
    assert normalise_key(text) not in city_aliases()


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("广东省", "广东"),
        ("广东", "广东"),
        ("guangdong", "广东"),
        ("Guangdong Province", "广东"),
        ("粤", "广东"),
        ("内蒙古自治区", "内蒙古"),
        ("内蒙", "内蒙古"),
        ("neimenggu", "内蒙古"),
        ("Inner Mongolia", "内蒙古"),
        ("innermongolia", "内蒙古"),
        ("广西省", "广西"),
        ("Guangxi Zhuang Autonomous Region", "广西"),
        ("香港特别行政区", "香港"),
        ("Hong Kong SAR", "香港"),
        ("北京市", "北京"),
        ("Shaanxi", "陕西"),
        ("Shanxi", "山西"),
        ("Tibet", "西藏"),
        ("臺灣", "台湾"),
        ("ＧＵＡＮＧＤＯＮＧ", "广东"),
    ],
)
def test_province_lookup(text: str, province: str) -> None:
    assert province_aliases()[normalise_key(text)] == province


def test_every_province_owns_its_names() -> None:
    aliases = province_aliases()
    for province in PROVINCES:
        for name in (province.name, province.full_name, *province.spellings):
            assert aliases[normalise_key(name)] == province.name
        for character in province.abbreviations:
            assert aliases[character] == province.name


def test_abbreviations_can_be_left_out() -> None:
    aliases = province_aliases(include_abbreviations=False)
    assert "粤" not in aliases
    assert "宁" not in aliases
    assert aliases["广东"] == "广东"
    assert len(aliases) == len(province_aliases()) - sum(len(p.abbreviations) for p in PROVINCES)


def test_alias_tables_are_fresh_copies() -> None:
    city_aliases()["beijing"] = ("上海", "上海")
    province_aliases()["guangdong"] = "广西"
    assert city_aliases()["beijing"] == ("北京", "北京")
    assert province_aliases()["guangdong"] == "广东"


def test_keys_are_normalised() -> None:
    keys = [*city_aliases(), *province_aliases()]
    assert [k for k in keys if normalise_key(k) != k] == []
    assert all(k for k in keys)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (" Xi'an ", "xian"),
        ("ＢＥＩＪＩＮＧ", "beijing"),
        ("Hong  Kong", "hongkong"),
        ("Xi’an", "xian"),
        ("Ma-an-shan", "maanshan"),
        ("内蒙古·自治区", "内蒙古自治区"),
        ("北京\u3000市", "北京市"),
        ("", ""),
    ],
)
def test_normalise_key(text: str, key: str) -> None:
    assert normalise_key(text) == key


def test_tiers() -> None:
    assert CITY_TIERS["北京"] == 1
    assert CITY_TIERS["成都"] == 2
    assert {c for c, t in CITY_TIERS.items() if t == 1} == {"北京", "上海", "广州", "深圳"}
    new_first = "成都 重庆 杭州 武汉 苏州 西安 南京 长沙 天津 郑州 东莞 青岛 昆明 宁波 合肥"
    assert {c for c, t in CITY_TIERS.items() if t == 2} == set(new_first.split())
    assert Counter(CITY_TIERS.values()) == {1: 4, 2: 15, 3: 30, 4: 70, 5: 90, 6: 128}
    assert set(CITY_TIERS) == {c.name for c in CITIES if c.province not in {"香港", "澳门", "台湾"}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_demo_cities_resolve(lang: str) -> None:
    aliases = city_aliases()
    expected = list(zip(city_names("zh"), province_names("zh"), strict=True))
    for name, answer in zip(city_names(lang), expected, strict=True):
        # the spellings persona.demo.crm.city_text writes
        if lang == "zh":
            spellings = [name, f"{name}市"]
        else:
            spellings = [name, f"{name} City", name.upper(), name.lower()]
        assert [aliases.get(normalise_key(s)) for s in spellings] == [answer] * len(spellings)
