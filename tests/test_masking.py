from __future__ import annotations

import pytest

from persona.privacy.masking import mask_value


@pytest.mark.parametrize(
    ("field", "value", "masked"),
    [
        ("name", "张伟", "张*"),
        ("name", "欧阳娜娜", "欧***"),
        ("name", "Zhang Wei", "Z*** W***"),
        ("phones", ["+8613812341234"], ["+86 138****1234"]),
        ("phone", "+14155550100", "********0100"),
        ("emails", ["zhang.wei@example.com"], ["z***@example.com"]),
        ("id_number", "110101199001011234", "1101**********1234"),
        ("address", "上海市浦东新区世纪大道100号", "上海市浦东新***"),
        ("customer_key", "C000123", "C000123"),
        ("city", "北京", "北京"),
    ],
    ids=[
        "zh-name",
        "zh-compound-surname",
        "en-name",
        "cn-mobile",
        "intl-phone",
        "email",
        "id-card",
        "address",
        "customer-key-visible",
        "city-visible",
    ],
)
def test_masks(field: str, value: object, masked: object) -> None:
    assert mask_value(field, value) == masked
