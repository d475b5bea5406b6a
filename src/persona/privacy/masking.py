"""Masking of direct identifiers for display: 张*, 欧阳**, J*** S***, 138****1234, a***@x.com.

Each kind of identifier keeps what a person needs to recognise a record without identifying
anyone: a Chinese name its surname (compound ones too), a Western name its initials, a mobile
its operator prefix and last four digits, an e-mail its first letter and domain, an ID-card
number at most its first and last four characters, an address its province, city and district.

`customer_id` and `customer_key` are internal ids and stay visible (DESIGN.md section 9).

Example:
    >>> mask_value("name", "欧阳娜娜"), mask_value("phone", "+8613812341234")
    ('欧阳**', '138****1234')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import pandas as pd

from persona.model.kinds import FieldClass
from persona.privacy.fields import direct_identifiers

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "轩辕", "万俟", "澹台", "公冶",
    "申屠", "太史", "闻人", "钟离", "赫连", "宗政", "濮阳", "公羊", "拓跋", "司空", "东郭", "左丘",
    "淳于", "单于", "仲孙", "乐正", "谷梁", "羊舌", "第五", "梁丘", "鲜于",
))  # fmt: skip
"""Two-character Chinese surnames: 欧阳娜娜 keeps 欧阳."""

COUNTRY_CODES = frozenset((
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
    "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62",
    "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    "351", "352", "353", "354", "358", "852", "853", "855", "856", "880", "886", "960", "961",
    "962", "965", "966", "971", "972", "974", "977",
))  # fmt: skip
"""Calling codes recognised in ``+<code><number>`` (longest match first): kept when masking."""

_ADDRESS_HEAD = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,7}?(?:省|自治区|特别行政区))?"
    r"(?:[\u4e00-\u9fff]{1,7}?(?:市|自治州|州|盟|地区))?"
    r"(?:[\u4e00-\u9fff]{1,7}?(?:新区|区|县|旗|市))?"
)


def mask_name(name: str) -> str:
    """张伟 -> 张*, 欧阳娜娜 -> 欧阳**, 阿依·买买提 -> 阿*·***, John Smith -> J*** S***."""
    name = name.strip()
    if not name:
        return name
    if _CJK.search(name):
        keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
        if len(name) == 1:
            return "*"
        return name[:keep] + "".join(c if c in "·・• " else "*" for c in name[keep:])
    return " ".join(part[0] + "***" for part in name.split())


def mask_phone(phone: str) -> str:
    """Mask a phone number, keeping what tells numbers apart but not who has them.

    +8613812341234 and 13812341234 -> 138****1234 (a Chinese mobile in its national form, as
    people write it; no leading + for a spreadsheet to read as a formula); +14155550100 ->
    +1 ******0100; other numbers keep their separators and last 4 digits.
    """
    compact = re.sub(r"[\s\-().]", "", phone.strip())
    if re.fullmatch(r"(\+?86)?1\d{10}", compact):
        national = compact[-11:]
        return f"{national[:3]}****{national[-4:]}"
    if re.fullmatch(r"\+\d{7,15}", compact):
        digits = compact[1:]
        code = next(
            (digits[:n] for n in (3, 2, 1) if digits[:n] in COUNTRY_CODES and len(digits) > n),
            "",
        )
        rest = digits[len(code) :]
        return f"+{code} " * bool(code) + "*" * max(0, len(rest) - 4) + rest[-4:]
    digits_seen = sum(c.isdigit() for c in phone)
    if digits_seen <= 4:
        return "*" * len(phone)
    kept, masked = 0, []
    for char in reversed(phone):
        if char.isdigit():
            kept += 1
            masked.append(char if kept <= 4 else "*")
        else:
            masked.append(char)
    return "".join(reversed(masked))


def mask_email(email: str) -> str:
    """zhang.wei@example.com -> z***@example.com; text that is not an e-mail -> ***."""
    local, _, domain = email.strip().partition("@")
    return f"{local[:1]}***@{domain}" if local and domain else "***"


def mask_id_number(value: str) -> str:
    """110101199001011234 -> 1101**********1234: at most the first and last 4 characters.

    Shorter numbers (passports, old 15-digit cards) keep less: a quarter at each end.
    """
    value = value.strip()
    keep = min(4, len(value) // 4)
    if keep == 0:
        return "*" * max(4, len(value))
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def mask_address(address: str) -> str:
    """上海市浦东新区世纪大道100号 -> 上海市浦东新区***: province, city and district kept.

    An address in another script keeps its last comma-separated part (city or country):
    ``10 Downing St, London`` -> ``***, London``.
    """
    address = address.strip()
    head = _ADDRESS_HEAD.match(address)
    kept = head.group(0) if head else ""
    if kept:
        return kept + "***" if len(kept) < len(address) else kept
    if "," in address:
        return "***, " + address.rsplit(",", 1)[1].strip()
    return "***"


def mask_other(value: str) -> str:
    """Any other direct identifier (device, WeChat id, a column classed direct): abcd***."""
    value = value.strip()
    return value[: min(4, len(value) // 3)] + "***"


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
    "unionid": mask_other,
    "unionids": mask_other,
    "device_id": mask_other,
    "device_ids": mask_other,
    "member_no": mask_other,
    "member_nos": mask_other,
}
"""Field (or list field) -> its mask; fields not listed are shown as they are."""


def mask_value(
    field: str, value: object, classes: Mapping[str, FieldClass] | None = None
) -> object:
    """Mask one field's value (or each value of a list); other fields pass through.

    Args:
        field: The column, e.g. ``phones``.
        value: Its value (a list is masked value by value; None stays None).
        classes: Extra field classes (persona.yaml ``privacy.fields``): a column classed
            ``direct`` there is masked too.
    """
    mask = MASKS.get(field)
    if mask is None and classes is not None and classes.get(field) is FieldClass.DIRECT:
        mask = mask_other
    if mask is None or value is None:
        return value
    if isinstance(value, list | tuple):
        return [None if v is None else mask(str(v)) for v in value]
    return mask(str(value))


def mask_frame(
    frame: pd.DataFrame, classes: Mapping[str, FieldClass] | None = None
) -> pd.DataFrame:
    """A copy of `frame` with every direct-identifier column masked (see `mask_value`)."""
    masked = frame.copy()
    for column in direct_identifiers([str(c) for c in frame.columns], classes):
        masked[column] = masked[column].map(lambda v, c=column: mask_value(c, v, classes))
    return masked
