"""The five data kinds and their canonical fields (DESIGN.md section 3).

Every source declares one kind and maps its columns onto these fields. A field's `type` decides
how a raw value is coerced at ingest; a value that cannot be coerced sends its row to quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The five kinds of customer data, after the seed article's five dimensions."""

    PROFILES = "profiles"
    EVENTS = "events"
    TRANSACTIONS = "transactions"
    SURVEYS = "surveys"
    RELATIONS = "relations"


class FieldType(StrEnum):
    """How a canonical field is stored and coerced."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    JSON = "json"


class FieldClass(StrEnum):
    """How identifying a field is (DESIGN.md section 9).

    - ``direct``: points to a person by itself (name, phone, e-mail, ID number, address, device
      and WeChat ids); masked in every preview, report, page and export unless unmasked.
    - ``quasi``: identifies in combination (birth date, age, gender, postcode, city ...).
    - ``sensitive``: sensitive personal information (PIPL art. 28) that is not an identifier;
      the ID number is direct and also sensitive (see `SENSITIVE_FIELDS`).
    - ``ordinary``: everything else (events, orders, features, tags, consents, internal ids).
    """

    DIRECT = "direct"
    QUASI = "quasi"
    SENSITIVE = "sensitive"
    ORDINARY = "ordinary"


SENSITIVE_FIELDS: tuple[str, ...] = ("id_number",)
"""Fields holding sensitive personal information (PIPL art. 28), whatever their class."""


@dataclass(frozen=True)
class CanonicalField:
    """One canonical field of a kind.

    Attributes:
        name: The canonical name, e.g. ``timestamp``.
        type: How raw values are coerced.
        required: Whether a row without a value is quarantined.
        label_zh: The field's name in Chinese, for messages and reports.
        field_class: How identifying the field is (masking, pseudonymised exports).
    """

    name: str
    type: FieldType
    required: bool = False
    label_zh: str = ""
    field_class: FieldClass = FieldClass.ORDINARY


IDENTIFIERS: tuple[str, ...] = (
    "customer_key",
    "email",
    "phone",
    "device_id",
    "member_no",
    "unionid",
    "id_number",
)
"""Identifier fields: a value that points to a person. Relations prefix them `src_` / `dst_`."""

_IDENTIFIER_LABELS_ZH = {
    "customer_key": "客户编号",
    "email": "邮箱",
    "phone": "手机",
    "device_id": "设备号",
    "member_no": "会员号",
    "unionid": "微信UnionID",
    "id_number": "身份证号",
}

T = FieldType
D, Q = FieldClass.DIRECT, FieldClass.QUASI
_IDENTIFIER_CLASSES = {"customer_key": FieldClass.ORDINARY}
"""Identifiers are direct, except the customer key: an internal id that stays visible."""
_PROFILE_FIELDS = (
    CanonicalField("name", T.TEXT, label_zh="姓名", field_class=D),
    CanonicalField("given_name", T.TEXT, label_zh="名", field_class=D),
    CanonicalField("family_name", T.TEXT, label_zh="姓", field_class=D),
    CanonicalField("gender", T.TEXT, label_zh="性别", field_class=Q),
    CanonicalField("birth_date", T.DATE, label_zh="出生日期", field_class=Q),
    CanonicalField("age", T.INTEGER, label_zh="年龄", field_class=Q),
    CanonicalField("education", T.TEXT, label_zh="学历", field_class=Q),
    CanonicalField("occupation", T.TEXT, label_zh="职业", field_class=Q),
    CanonicalField("address", T.TEXT, label_zh="地址", field_class=D),
    CanonicalField("postcode", T.TEXT, label_zh="邮编", field_class=Q),
    CanonicalField("city", T.TEXT, label_zh="城市", field_class=Q),
    CanonicalField("province", T.TEXT, label_zh="省份", field_class=Q),
    CanonicalField("country", T.TEXT, label_zh="国家", field_class=Q),
    CanonicalField("registered_at", T.TIMESTAMP, label_zh="注册时间"),
    CanonicalField("consent_analytics", T.BOOLEAN, label_zh="同意分析"),
    CanonicalField("consent_profiling", T.BOOLEAN, label_zh="同意画像"),
    CanonicalField("consent_marketing", T.BOOLEAN, label_zh="同意营销"),
)
_EVENT_FIELDS = (
    CanonicalField("event", T.TEXT, required=True, label_zh="事件"),
    CanonicalField("timestamp", T.TIMESTAMP, required=True, label_zh="时间"),
    CanonicalField("channel", T.TEXT, label_zh="渠道"),
    CanonicalField("session_id", T.TEXT, label_zh="会话"),
    CanonicalField("item", T.TEXT, label_zh="商品"),
    CanonicalField("category", T.TEXT, label_zh="品类"),
    CanonicalField("properties", T.JSON, label_zh="属性"),
)
_TRANSACTION_FIELDS = (
    CanonicalField("order_id", T.TEXT, required=True, label_zh="订单号"),
    CanonicalField("timestamp", T.TIMESTAMP, required=True, label_zh="下单时间"),
    CanonicalField("item", T.TEXT, label_zh="商品"),
    CanonicalField("category", T.TEXT, label_zh="品类"),
    CanonicalField("quantity", T.NUMBER, label_zh="数量"),
    CanonicalField("unit_price", T.NUMBER, label_zh="单价"),
    CanonicalField("amount", T.NUMBER, label_zh="金额"),
    CanonicalField("discount", T.NUMBER, label_zh="优惠"),
    CanonicalField("payment_method", T.TEXT, label_zh="支付方式"),
    CanonicalField("channel", T.TEXT, label_zh="渠道"),
    CanonicalField("status", T.TEXT, label_zh="状态"),
)
_SURVEY_FIELDS = (
    CanonicalField("question_id", T.TEXT, required=True, label_zh="题目编号"),
    CanonicalField("answer", T.TEXT, required=True, label_zh="答案"),
    CanonicalField("answered_at", T.TIMESTAMP, label_zh="作答时间"),
)
_RELATION_FIELDS = (
    CanonicalField("relation", T.TEXT, required=True, label_zh="关系"),
    CanonicalField("weight", T.NUMBER, label_zh="权重"),
    CanonicalField("since", T.TIMESTAMP, label_zh="开始时间"),
)


def _identifier_fields(prefix: str = "") -> tuple[CanonicalField, ...]:
    return tuple(
        CanonicalField(
            prefix + name,
            T.TEXT,
            label_zh=_IDENTIFIER_LABELS_ZH[name],
            field_class=_IDENTIFIER_CLASSES.get(name, D),
        )
        for name in IDENTIFIERS
    )


TIME_FIELDS: dict[Kind, str] = {
    Kind.PROFILES: "registered_at",
    Kind.EVENTS: "timestamp",
    Kind.TRANSACTIONS: "timestamp",
    Kind.SURVEYS: "answered_at",
    Kind.RELATIONS: "since",
}
"""Each kind's time field: when the registration, event, order, answer or relation happened.
Copies of a record have the same time, so it narrows the records a duplicate check compares."""


def identifier_fields(kind: Kind) -> tuple[str, ...]:
    """Return the identifier field names of a kind (relations have `src_` and `dst_` ones)."""
    if kind is Kind.RELATIONS:
        return tuple(f"src_{n}" for n in IDENTIFIERS) + tuple(f"dst_{n}" for n in IDENTIFIERS)
    return IDENTIFIERS


def canonical_fields(kind: Kind) -> tuple[CanonicalField, ...]:
    """Return every canonical field of a kind, identifiers first.

    Example:
        >>> [f.name for f in canonical_fields(Kind.SURVEYS)][-3:]
        ['question_id', 'answer', 'answered_at']
    """
    own = {
        Kind.PROFILES: _PROFILE_FIELDS,
        Kind.EVENTS: _EVENT_FIELDS,
        Kind.TRANSACTIONS: _TRANSACTION_FIELDS,
        Kind.SURVEYS: _SURVEY_FIELDS,
        Kind.RELATIONS: _RELATION_FIELDS,
    }[kind]
    if kind is Kind.RELATIONS:
        return _identifier_fields("src_") + _identifier_fields("dst_") + own
    return _identifier_fields() + own


def raw_table(kind: Kind) -> str:
    """Return the store table that holds a kind's loaded records, e.g. ``raw_events``."""
    return f"raw_{kind.value}"


def field_classes() -> dict[str, FieldClass]:
    """The class of every canonical field that is not ordinary (relations' prefixes dropped).

    Example:
        >>> field_classes()["phone"], field_classes()["city"]
        (<FieldClass.DIRECT: 'direct'>, <FieldClass.QUASI: 'quasi'>)
    """
    return {
        f.name: f.field_class
        for kind in (Kind.PROFILES, Kind.EVENTS)
        for f in canonical_fields(kind)
        if f.field_class is not FieldClass.ORDINARY
    }
