"""Names folded for comparison: characters (张伟, "obrien john") and an order-free romanised key.

`normalise_name` folds width, case, accents and punctuation; `name_key` turns a normalised name
into sorted pinyin or latin words, so 张晓明, 張曉明 (the same pinyin), "Zhang Xiaoming" and
"XIAOMING zhang" all become ``"xiaoming zhang"``.

Example:
    >>> name_key(normalise_name("WEI,  Zhang") or "")
    'wei zhang'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import lazy_pinyin

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_JOINERS = re.compile(r"['’‘`\-‐]")
_NON_NAME = re.compile(r"[^\w]+|_")
_COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "轩辕", "万俟", "澹台", "公冶",
    "申屠", "太史", "闻人", "钟离", "赫连", "宗政", "濮阳", "公羊", "拓跋",
))  # fmt: skip
# Surname readings that differ from the character's everyday reading (曾 is zeng, not ceng).
_SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "查": "zha",
    "乐": "yue", "缪": "miao", "覃": "qin", "盖": "ge", "召": "shao", "翟": "zhai", "秘": "bi",
    "种": "chong", "繁": "po", "员": "yun", "黑": "he", "折": "she", "祭": "zhai", "藏": "zang",
}  # fmt: skip


def normalise_name(text: str) -> str | None:
    """Return a name folded for comparison: NFKC, case-folded, accents and punctuation removed.

    Chinese names lose all spaces (张　伟 -> 张伟); other names keep one space between words
    (``"O'Brien,  JOHN"`` -> ``"obrien john"``).
    """
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    words = _NON_NAME.sub(" ", _JOINERS.sub("", folded)).split()
    if not words:
        return None
    return "".join(words) if _CJK.search(folded) else " ".join(words)


def name_key(name: str) -> str:
    """Return an order-free romanised key of a normalised name.

    A Chinese name becomes its pinyin family name and given name (tones dropped, ü as u),
    other names their words; the parts are sorted, so 张晓明, "zhang xiaoming" and
    "xiaoming zhang" share the key ``"xiaoming zhang"``.
    """
    if not _CJK.search(name):
        return " ".join(sorted(name.split()))
    family_length = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
    family = _SURNAME_READINGS.get(name[0]) if family_length == 1 else None
    family = family or _pinyin(name[:family_length])
    given = _pinyin(name[family_length:])
    return " ".join(sorted(part for part in (family, given) if part))


def _pinyin(text: str) -> str:
    if len(text) > 1 and text in _COMPOUND_SURNAMES:
        return "".join(lazy_pinyin(text)).replace("v", "u")
    return "".join(_char_pinyin(char) for char in text)


@lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str:
    # One character at a time: given names are not words, and the cache makes 1M names fast.
    return "".join(lazy_pinyin(char)).replace("v", "u")
