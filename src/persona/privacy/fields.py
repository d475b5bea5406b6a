"""Field classes (DESIGN.md section 9): how identifying each customer field is.

The classes are part of the canonical field schema (`persona.model.kinds.FieldClass`, each
`CanonicalField.field_class`); this module reads them for privacy code and adds the columns a
project classes itself in persona.yaml (``privacy.fields: {wechat_name: direct}``).

- ``direct``: points to a person by itself (name, phone, e-mail, ID number, address, device and
  WeChat ids); masked in every preview, report, page and export unless unmasked by an admin.
- ``quasi``: identifies in combination (birth date, age, gender, postcode, city ...); shown,
  but generalised in pseudonymised data and protected by k in aggregates.
- ``sensitive``: sensitive personal information (PIPL art. 28), e.g. ID numbers.
- ``ordinary``: everything else (features, tags, segments, consents).

``customer_id`` and ``customer_key`` are internal ids and stay visible.
"""

from __future__ import annotations

from collections.abc import Mapping

from persona.model.kinds import SENSITIVE_FIELDS, FieldClass, field_classes

__all__ = ["CLASSES", "FieldClass", "direct_identifiers", "field_class", "is_sensitive"]

CLASSES: dict[str, FieldClass] = {
    **field_classes(),
    **{  # the identifier lists of `customers` (phones, emails ...)
        name + "s": cls for name, cls in field_classes().items() if cls is FieldClass.DIRECT
    },
}
"""Every canonical (or list) field that is not ordinary -> its class."""


def field_class(name: str, extra: Mapping[str, FieldClass] | None = None) -> FieldClass:
    """The class of a customer field (a list field like ``phones`` is classed as ``phone``).

    Args:
        name: The field or column.
        extra: A project's own classes (persona.yaml ``privacy.fields``), checked first.
    """
    if extra is not None and name in extra:
        return extra[name]
    return CLASSES.get(name, FieldClass.ORDINARY)


def is_sensitive(name: str, extra: Mapping[str, FieldClass] | None = None) -> bool:
    """Whether a field holds sensitive personal information (shown only to admins)."""
    return (
        name.removesuffix("s") in SENSITIVE_FIELDS
        or field_class(name, extra) is FieldClass.SENSITIVE
    )


def direct_identifiers(
    names: list[str], extra: Mapping[str, FieldClass] | None = None
) -> list[str]:
    """The fields among `names` that are direct identifiers (masked unless unmasked)."""
    return [n for n in names if field_class(n, extra) is FieldClass.DIRECT]
