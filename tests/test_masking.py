"""Masking of direct identifiers, table-driven: every kind of identifier and its edge cases."""

from __future__ import annotations

import pytest

from persona.model.kinds import FieldClass
from persona.privacy.fields import CLASSES, direct_identifiers, field_class, is_sensitive
from persona.privacy.masking import mask_value

CASES = [
    # Chinese names: the surname stays (compound ones too), each other character is a *.
    ("zh-name", "name", "张伟", "张*"),
    ("zh-name-3", "name", "王小明", "王**"),
    ("zh-compound-surname", "name", "欧阳娜娜", "欧阳**"),
    ("zh-compound-surname-short", "name", "司马光", "司马*"),
    ("zh-compound-alone", "name", "欧阳", "欧*"),
    ("zh-one-character", "name", "伟", "*"),
    ("zh-dotted-name", "name", "阿依·买买提", "阿*·***"),
    ("zh-given-name", "given_name", "娜娜", "娜*"),
    # Western names: initials.
    ("en-name", "name", "John Smith", "J*** S***"),
    ("en-name-spaces", "name", "  Zhang   Wei ", "Z*** W***"),
    ("en-single", "family_name", "Smith", "S***"),
    # Phones: CN mobiles keep the prefix and last 4; international ones their calling code.
    ("cn-mobile-e164", "phones", ["+8613812341234"], ["138****1234"]),
    ("cn-mobile-national", "phone", "13812341234", "138****1234"),
    ("cn-mobile-spaced", "phone", "138 1234 1234", "138****1234"),
    ("us-phone", "phone", "+14155550100", "+1 ******0100"),
    ("uk-phone", "phone", "+447911123456", "+44 ******3456"),
    ("hk-phone", "phone", "+85291234567", "+852 ****4567"),
    ("landline", "phone", "021-64381234", "***-****1234"),
    ("short-number", "phone", "110", "***"),
    # E-mails: first letter and the domain.
    ("email", "emails", ["zhang.wei@example.com"], ["z***@example.com"]),
    ("email-one-letter", "email", "a@x.com", "a***@x.com"),
    ("not-an-email", "email", "zhangwei", "***"),
    # ID-card numbers: at most the first and last 4.
    ("id-card", "id_number", "110101199001011234", "1101**********1234"),
    ("id-card-x", "id_numbers", ["11010119900101123X"], ["1101**********123X"]),
    ("id-card-15", "id_number", "110101900101123", "110*********123"),
    ("passport", "id_number", "E12345678", "E1*****78"),
    ("id-tiny", "id_number", "123", "****"),
    # Addresses: province, city and district stay.
    ("address-city-district", "address", "上海市浦东新区世纪大道100号", "上海市浦东新区***"),
    ("address-province", "address", "广东省深圳市南山区科技园南区1栋", "广东省深圳市南山区***"),
    (
        "address-region",
        "address",
        "新疆维吾尔自治区乌鲁木齐市天山区解放路8号",
        "新疆维吾尔自治区乌鲁木齐市天山区***",
    ),
    ("address-county", "address", "浙江省杭州市淳安县千岛湖镇", "浙江省杭州市淳安县***"),
    ("address-western", "address", "10 Downing Street, London", "***, London"),
    ("address-unknown", "address", "世纪大道100号", "***"),
    # Device, WeChat and member ids: a short prefix.
    ("device", "device_ids", ["dev-aaa1-bbbb"], ["dev-***"]),
    ("unionid", "unionid", "oU_12ab", "oU***"),
    # Internal ids and ordinary fields pass through; None stays None.
    ("customer-key-visible", "customer_key", "C000123", "C000123"),
    ("customer-id-visible", "customer_id", "cust_00000001", "cust_00000001"),
    ("city-visible", "city", "北京", "北京"),
    ("none", "name", None, None),
    ("list-with-none", "phones", ["13812341234", None], ["138****1234", None]),
]


@pytest.mark.parametrize(
    ("field", "value", "masked"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_masks(field: str, value: object, masked: object) -> None:
    assert mask_value(field, value) == masked


def test_project_classes_mask_extra_columns() -> None:
    extra = {"wechat_name": FieldClass.DIRECT, "blood_type": FieldClass.SENSITIVE}
    assert mask_value("wechat_name", "小龙女2024", extra) == "小龙***"
    assert mask_value("wechat_name", "小龙女2024") == "小龙女2024"  # not classed: shown
    assert direct_identifiers(["customer_id", "wechat_name", "phones", "city"], extra) == [
        "wechat_name",
        "phones",
    ]
    assert is_sensitive("blood_type", extra) and is_sensitive("id_numbers")
    assert not is_sensitive("city", extra)


def test_classes_come_from_the_canonical_schema() -> None:
    assert field_class("phones") is FieldClass.DIRECT
    assert field_class("birth_date") is FieldClass.QUASI
    assert field_class("customer_key") is FieldClass.ORDINARY  # an internal id
    assert field_class("monetary") is FieldClass.ORDINARY
    assert {c for c, k in CLASSES.items() if k is FieldClass.DIRECT} >= {
        "name",
        "address",
        "emails",
        "unionids",
        "device_ids",
        "member_nos",
        "id_numbers",
    }
