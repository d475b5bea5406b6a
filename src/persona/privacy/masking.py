"""Masking of direct identifiers for display: 张*, 138****1234, a***@x.com.

`customer_id` and `customer_key` are internal ids and stay visible (DESIGN.md section 9).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CJK = re.compile(r"[\u3400-\u9fff]")


def mask_name(name: str) -> str:
    """张伟 -> 张*, 欧阳娜娜 -> 欧***, Zhang Wei -> Z*** W***."""
    name = name.strip()
    if not name:
        return name
    if _CJK.search(name):
        return name[0] + "*" * max(1, len(name) - 1)
    return " ".join(part[0] + "***" for part in name.split())


def mask_phone(phone: str) -> str:
    """+8613812341234 -> +86 138****1234; other numbers keep their last 4 digits."""
    digits = phone.removeprefix("+86") if phone.startswith("+86") else phone
    if phone.startswith("+86") and len(digits) == 11:
        return f"+86 {digits[:3]}****{digits[-4:]}"
    return "*" * max(0, len(phone) - 4) + phone[-4:]


def mask_email(email: str) -> str:
    """zhang.wei@example.com -> z***@example.com."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_id_number(value: str) -> str:
    """110101199001011234 -> 1101**********1234."""
    return value[:4] + "*" * max(0, len(value) - 8) + value[-4:] if len(value) > 8 else "****"


def mask_address(address: str) -> str:
    """Keep the first 6 characters (province, city, district), mask the rest."""
    return address[:6] + "***" if len(address) > 6 else "***"


def _prefix(value: str) -> str:
    return value[:4] + "***"


MASKS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "given_name": mask_name,
    "family_name": mask_name,
    "phone": mask_phone,
    "phones": mask_phone,
    "email": mask_email,
    "emails": mask_email,
    "id_number": mask_id_number,
    "id_numbers": mask_id_number,
    "address": mask_address,
    "unionid": _prefix,
    "unionids": _prefix,
    "device_id": _prefix,
    "device_ids": _prefix,
}
"""Field (or list field) -> its mask; fields not listed are shown as they are."""


def mask_value(field: str, value: object) -> object:
    """Mask one field's value (or each value of a list); other fields pass through."""
    mask = MASKS.get(field)
    if mask is None or value is None:
        return value
    if isinstance(value, list):
        return [mask(str(v)) for v in value]
    return mask(str(value))
