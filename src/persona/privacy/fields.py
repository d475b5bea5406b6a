"""Field classes (DESIGN.md section 9): how identifying each customer field is.

- ``direct``: points to a person by itself (name, phone, e-mail, ID number, address, device and
  WeChat ids); masked in every preview, report, page and export unless unmasked by an admin.
- ``quasi``: identifies in combination (birth date, age, gender, postcode, city ...); shown,
  but generalised in pseudonymised data and protected by k in aggregates.
- ``sensitive``: sensitive personal information (PIPL art. 28), e.g. ID numbers.
- ``ordinary``: everything else (features, tags, segments, consents).

``customer_id`` and ``customer_key`` are internal ids and stay visible.
"""

from __future__ import annotations

from enum import StrEnum


class FieldClass(StrEnum):
    """How identifying a field is."""

    DIRECT = "direct"
    QUASI = "quasi"
    SENSITIVE = "sensitive"
    ORDINARY = "ordinary"


_DIRECT = (
    "name",
    "given_name",
    "family_name",
    "phone",
    "email",
    "id_number",
    "address",
    "unionid",
    "device_id",
    "member_no",
)
_QUASI = (
    "birth_date",
    "age",
    "gender",
    "postcode",
    "city",
    "province",
    "country",
    "occupation",
    "education",
)
_SENSITIVE = ("id_number",)

CLASSES: dict[str, FieldClass] = {
    **dict.fromkeys(_QUASI, FieldClass.QUASI),
    **dict.fromkeys(_DIRECT, FieldClass.DIRECT),
    **{f + "s": FieldClass.DIRECT for f in _DIRECT},  # the identifier lists of `customers`
}


def field_class(name: str) -> FieldClass:
    """The class of a customer field (a list field like ``phones`` is classed as ``phone``)."""
    return CLASSES.get(name, FieldClass.ORDINARY)


def is_sensitive(name: str) -> bool:
    """Whether a field holds sensitive personal information (shown only to admins)."""
    return name.removesuffix("s") in _SENSITIVE


def direct_identifiers(names: list[str]) -> list[str]:
    """The fields among `names` that are direct identifiers (masked unless unmasked)."""
    return [n for n in names if field_class(n) is FieldClass.DIRECT]
