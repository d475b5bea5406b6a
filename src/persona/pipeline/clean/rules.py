"""Cleaning rules as engine SQL: each turns the SQL of a value into the SQL of its clean form.

Rules never fail: a value a rule cannot standardise (a phone that is no phone number, an unknown
city) becomes NULL for identifier-like rules (phone, email, gender) and stays as trimmed text for
descriptive ones (city, province), so no information is invented and the raw value is still in
`raw_<kind>`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from persona.engine.base import quote_literal
from persona.model.kinds import FieldType, Kind, canonical_fields

# Full-width forms U+FF01..U+FF5E are ASCII U+0021..U+007E shifted by 0xFEE0; U+3000 is a space.
_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\u00a0"
_HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + "  "

GEO_CITY_TABLE = "_geo_city"
GEO_PROVINCE_TABLE = "_geo_province"


_HAS_FULL = "[\uff01-\uff5e\u3000\u00a0]"


def fullwidth(value: str) -> str:
    """SQL: full-width letters, digits, punctuation and the ideographic space to half-width.

    Only values holding such a character go through the (slow, per character) translation.
    """
    translated = f"translate({value}, {quote_literal(_FULL)}, {quote_literal(_HALF)})"
    return (
        f"(case when regexp_matches({value}, {quote_literal(_HAS_FULL)}) "
        f"then {translated} else {value} end)"
    )


def trim(value: str) -> str:
    """SQL: remove leading and trailing whitespace of any kind; empty becomes NULL."""
    return f"nullif(regexp_replace({value}, '^\\s+|\\s+$', '', 'g'), '')"


def collapse_spaces(value: str) -> str:
    """SQL: runs of whitespace inside the value become one space."""
    return f"regexp_replace({value}, '\\s+', ' ', 'g')"


def lower(value: str) -> str:
    """SQL: lower case."""
    return f"lower({value})"


def upper(value: str) -> str:
    """SQL: upper case (ID-card check letters)."""
    return f"upper({value})"


def phone(value: str) -> str:
    """SQL: a phone number in E.164, or NULL when it is not one.

    Chinese mobiles (1[3-9] + 9 digits) and landlines (0 + area code + number) get +86, with
    +86 / 0086 / 86 prefixes, spaces, dashes, dots and brackets removed; a number already in
    international form (+ or 00 and 8-15 digits) keeps its country code.
    """
    digits = f"regexp_replace({fullwidth(value)}, '[\\s\\-\\.\\(\\)（）/]', '', 'g')"
    national = (
        f"regexp_replace(regexp_replace({digits}, '^(\\+86|0086)', ''), "
        "'^86(1[3-9]\\d{9})$', '\\1')"
    )
    return (
        f"case when regexp_full_match({national}, '1[3-9]\\d{{9}}') then '+86' || {national} "
        f"when regexp_full_match({national}, '0[1-9]\\d{{8,10}}') "
        f"then '+86' || substr({national}, 2) "
        f"when regexp_full_match({digits}, '(\\+|00)[1-9]\\d{{7,14}}') "
        f"then '+' || regexp_replace({digits}, '^(\\+|00)', '') end"
    )


def email(value: str, provider_rules: bool = False) -> str:
    """SQL: a lower-case e-mail address, or NULL when it is not one.

    With `provider_rules`, Gmail addresses also lose dots and a +tag in the local part.
    """
    clean = f"lower({trim(fullwidth(value))})"
    pattern = "'[^@\\s]+@[^@\\s]+\\.[^@\\s]+'"
    valid = f"case when regexp_full_match({clean}, {pattern}) then {clean} end"
    if not provider_rules:
        return valid
    local, domain = f"split_part({valid}, '@', 1)", f"split_part({valid}, '@', 2)"
    gmail = f"replace(regexp_replace({local}, '\\+.*$', ''), '.', '') || '@gmail.com'"
    return f"case when {domain} in ('gmail.com', 'googlemail.com') then {gmail} else {valid} end"


_MALE = ("男", "男性", "男士", "先生", "m", "male", "man", "1", "boy")
_FEMALE = ("女", "女性", "女士", "小姐", "f", "female", "woman", "0", "2", "girl")


def gender(value: str) -> str:
    """SQL: 'male', 'female' or NULL from the common vocabularies (男/女, M/F, 1/0, 1/2 ...)."""
    key = f"lower({trim(fullwidth(value))})"
    males = ", ".join(quote_literal(v) for v in _MALE)
    females = ", ".join(quote_literal(v) for v in _FEMALE)
    return f"case when {key} in ({males}) then 'male' when {key} in ({females}) then 'female' end"


def geo_key(value: str) -> str:
    """SQL of the lookup key of a place name (as `persona.model.geo_cn.normalise_key`)."""
    return f"regexp_replace(lower({fullwidth(value)}), '[\\s''\\-·]', '', 'g')"


def city(value: str) -> str:
    """SQL: the canonical city (北京市, Beijing, ＢＥＩＪＩＮＧ -> 北京), else the trimmed text.

    A value with a district after the city (北京市朝阳区) is looked up by its part up to 市.
    """
    text = trim(fullwidth(value))
    prefix = f"regexp_extract({text}, '^(.+?市)', 1)"
    return (
        f"coalesce((select g.city from {GEO_CITY_TABLE} g where g.key = {geo_key(text)}), "
        f"(select g.city from {GEO_CITY_TABLE} g where g.key = {geo_key(prefix)}), {text})"
    )


def province(value: str) -> str:
    """SQL: the canonical province name (广东省, Guangdong -> 广东), else the trimmed text."""
    text = trim(fullwidth(value))
    return (
        f"coalesce((select g.province from {GEO_PROVINCE_TABLE} g "
        f"where g.key = {geo_key(text)}), {text})"
    )


def province_of_city(clean_city: str) -> str:
    """SQL: the province of a canonical city, or NULL."""
    return f"(select g.province from {GEO_CITY_TABLE} g where g.key = {geo_key(clean_city)})"


def text_rules(value: str) -> str:
    """SQL of the default for free text: full-width to half-width, trimmed, spaces collapsed."""
    return collapse_spaces(trim(fullwidth(value)))


RULES: dict[str, Callable[[str], str]] = {
    "fullwidth": fullwidth,
    "trim": trim,
    "collapse_spaces": collapse_spaces,
    "lower": lower,
    "upper": upper,
    "phone": phone,
    "email": email,
    "gender": gender,
    "city": city,
    "province": province,
    "none": lambda value: value,
}

_LOWERED = {"event", "channel", "status", "payment_method", "relation"}
_IDENTIFIER_RULES = ("fullwidth", "trim")


def default_rules(field: str) -> list[str]:
    """The rules a canonical field gets unless `cleaning.rules` says otherwise."""
    base = field.removeprefix("src_").removeprefix("dst_")
    if base == "phone":
        return ["phone"]
    if base == "email":
        return ["email"]
    if base == "id_number":
        return [*_IDENTIFIER_RULES, "upper"]
    if base in ("customer_key", "device_id", "member_no", "unionid"):
        return list(_IDENTIFIER_RULES)
    if field in ("gender", "city", "province"):
        return [field]
    if field in _LOWERED:
        return ["fullwidth", "trim", "lower"]
    return ["fullwidth", "trim", "collapse_spaces"]


def clean_sql(
    kind: Kind,
    field: str,
    value: str,
    rules: Sequence[str] | None = None,
    *,
    email_provider_rules: bool = False,
) -> str:
    """SQL of a field's clean value: its rules (or defaults) applied in order.

    Only text fields are cleaned; typed fields (numbers, dates, timestamps, yes/no, JSON) were
    coerced at ingest and pass through.
    """
    types = {f.name: f.type for f in canonical_fields(kind)}
    if types[field] is not FieldType.TEXT:
        return value
    sql = value
    for rule in rules if rules is not None else default_rules(field):
        sql = email(sql, email_provider_rules) if rule == "email" else RULES[rule](sql)
    return sql
