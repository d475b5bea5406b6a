"""The CRM export (data/crm.csv): the sales system's customer master, with its quirks.

A Windows export: GBK with Chinese headers (zh) and CRLF line ends; phone, date, gender, city
and yes/no values spelt several ways; about 2% of customers registered twice; and a few rows
broken on purpose (too many or too few fields, an unreadable birth date, no identifier).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from persona.demo import textops as tx
from persona.demo.ledger import QuarantineLedger, planted
from persona.demo.people import IdentityRows, Population, draw, misspelt_names
from persona.demo.timeline import DAY, REFERENCE_DATE
from persona.demo.vocab import (
    CITIES,
    CRM_NOTES,
    EDUCATIONS,
    OCCUPATIONS,
    ROADS,
    TIERS,
    UNKNOWN_DATE,
)

# fmt: off
CRM_COLUMNS: dict[str, tuple[str, ...]] = {
    "zh": ("客户编号", "姓名", "性别", "手机", "邮箱", "出生日期", "城市", "地址", "职业", "学历",
           "注册时间", "同意数据分析", "同意用户画像", "同意营销推送", "会员等级", "备注"),
    "en": ("customer_no", "name", "gender", "mobile", "email", "date_of_birth", "city",
           "address", "occupation", "education", "registered_at", "consent_analytics",
           "consent_profiling", "consent_marketing", "tier", "notes"),
}
CRM_CANONICAL = (
    "customer_key", "name", "gender", "phone", "email", "birth_date", "city", "address",
    "occupation", "education", "registered_at", "consent_analytics", "consent_profiling",
    "consent_marketing",
)
# fmt: on
"""Canonical fields of the first CRM columns; the last two columns stay unmapped extras."""

_GENDER = {
    "zh": (("女", "男"), ("F", "M"), ("0", "1"), ("", "")),
    "en": (("female", "male"), ("F", "M"), ("0", "1"), ("", "")),
}
_YES_NO = {
    "zh": (("否", "是"), ("0", "1"), ("N", "Y")),
    "en": (("no", "yes"), ("0", "1"), ("N", "Y")),
}
_RAGGED_FEW_FIELDS = 6


@dataclass(frozen=True)
class CrmKeys:
    """The CRM customer keys of each person (null when the person is not in the CRM)."""

    primary: Any
    duplicate: Any


def _crm_key(number: np.ndarray) -> Any:
    return tx.join("C", tx.num(number, 7))


def choose_style(rng: np.random.Generator, size: int, weights: tuple[float, ...]) -> np.ndarray:
    """Draw a spelling style per row from `weights`."""
    return draw(rng, np.array(weights), size)


def city_text(rng: np.random.Generator, city: np.ndarray, lang: str) -> Any:
    """Spell each city one of four ways (北京, 北京市, Beijing, beijing / Beijing City ...)."""
    zh = tx.pick([c[0] for c in CITIES], city)
    en = tx.pick([c[1] for c in CITIES], city)
    if lang == "zh":
        options = [zh, tx.join(zh, "市"), en, pc.utf8_lower(en)]
    else:
        options = [en, tx.join(en, " City"), pc.utf8_upper(en), zh]
    style = choose_style(rng, len(city), (0.55, 0.25, 0.12, 0.08)).astype(np.int8)
    return pc.choose(pa.array(style), *options)


def _two_way(flag: np.ndarray, vocab: tuple[tuple[str, str], ...], style: np.ndarray) -> Any:
    """Spell a yes/no (or female/male) flag in the vocabulary pair each row's style picks."""
    options = [tx.pick(pair, flag.astype(np.int64)) for pair in vocab]
    return pc.choose(pa.array(style.astype(np.int8)), *options)


def write_crm(
    out: Path, population: Population, rng: np.random.Generator, lang: str, ledger: QuarantineLedger
) -> tuple[CrmKeys, IdentityRows]:
    """Write data/crm.csv and plant its defects.

    Args:
        out: The project folder.
        population: The true people.
        rng: Random generator.
        lang: ``zh`` (GBK, Chinese headers) or ``en`` (UTF-8, English headers).
        ledger: Receives the expected quarantine counts.

    Returns:
        The keys of each person, and the (source, key, person) table of loaded records.
    """
    primary = np.flatnonzero(population.in_crm)
    duplicate = np.flatnonzero(population.crm_duplicate)
    rows = len(primary) + len(duplicate)
    if len(primary) == 0:
        defects = {"ragged_row": 0, "bad_date": 0, "no_identifier": 0}
    else:
        defects = {
            "ragged_row": planted(rows, 1) * 2,
            "bad_date": planted(rows),
            "no_identifier": planted(rows),
        }
    counts = [
        defects["ragged_row"] // 2,
        defects["ragged_row"] // 2,
        defects["bad_date"],
        defects["no_identifier"],
    ]
    spoiled = rng.choice(primary, size=sum(counts)) if sum(counts) else primary[:0]
    person = np.concatenate([primary, duplicate, spoiled])
    kind = np.concatenate(
        [
            np.zeros(len(primary), np.int64),
            np.ones(len(duplicate), np.int64),
            np.repeat(np.array([2, 3, 4, 5]), counts),
        ]
    )
    end = (int(REFERENCE_DATE.astype(np.int64)) + 1) * DAY - 60
    registered = population.registered[person] + np.where(
        kind == 0, 0, rng.integers(DAY, 400 * DAY, len(person))
    )
    registered = np.minimum(registered, end - rng.integers(0, 3600, len(person)))
    order = np.argsort(registered, kind="stable")
    person, kind, registered = person[order], kind[order], registered[order]
    number = 1 + np.arange(len(person)) + np.cumsum(rng.random(len(person)) < 0.05)
    key = _crm_key(number)
    size = len(person)
    crm = _crm_columns(population, person, kind, registered, key, rng, lang)
    crm[0] = tx.where(kind == 5, "", crm[0])
    crm[3] = tx.where(kind == 5, "", crm[3])
    crm[4] = tx.where(kind == 5, "", crm[4])
    bad_dates = tx.pick(UNKNOWN_DATE[lang], rng.integers(0, 2, size))
    crm[5] = tx.where(kind == 4, bad_dates, crm[5])
    lines = tx.csv_lines(crm)
    few = pc.binary_join_element_wise(*[tx.csv_field(c) for c in crm[:_RAGGED_FEW_FIELDS]], ",")
    many_note = CRM_NOTES[lang][-1]
    many = tx.join(tx.csv_lines(crm[:-1]), ",", many_note)
    lines = tx.where(kind == 2, many, tx.where(kind == 3, few, lines))

    header = ",".join(CRM_COLUMNS[lang])
    path = out / "data" / "crm.csv"
    encoding = "gbk" if lang == "zh" else ""
    with path.open("wb") as handle:
        handle.write((header + "\r\n").encode(encoding or "utf-8"))
        tx.write_lines(handle, lines, "\r\n", encoding)
    ledger.receive("crm", size)
    line_no = np.arange(size) + 2
    for code, defect, values in (
        (2, "ragged_row", many),
        (3, "ragged_row", few),
        (4, "bad_date", bad_dates),
        (5, "no_identifier", key),
    ):
        where = np.flatnonzero(kind == code)
        ledger.plant("crm", defect, "data/crm.csv", line_no[where], values.take(where).to_pylist())

    loaded = kind <= 1
    first = np.full(population.size, -1)
    first[person[kind == 0]] = np.flatnonzero(kind == 0)
    second = np.full(population.size, -1)
    second[person[kind == 1]] = np.flatnonzero(kind == 1)
    keys = CrmKeys(_take_or_null(key, first), _take_or_null(key, second))
    identity = ("crm", key.filter(pa.array(loaded)), person[loaded])
    return keys, identity


def _take_or_null(values: Any, index: np.ndarray) -> Any:
    """Return `values[index]`, null where `index` is -1."""
    if len(values) == 0:
        return pa.nulls(len(index), pa.string())
    return tx.nulls_where(index < 0, values.take(pa.array(np.maximum(index, 0))))


def _crm_columns(
    population: Population,
    person: np.ndarray,
    kind: np.ndarray,
    registered: np.ndarray,
    key: Any,
    rng: np.random.Generator,
    lang: str,
) -> list[Any]:
    """Render the 16 CRM columns of every record."""
    size = len(person)
    names = population.name_zh if lang == "zh" else population.name_pinyin
    name = names.take(pa.array(person))
    typo = (kind == 1) & (rng.random(size) < 0.3)
    name = tx.where(typo, misspelt_names(population, person, lang), name)
    name = tx.where(rng.random(size) < 0.01, tx.join(name, "  "), name)

    gender_style = choose_style(rng, size, (0.6, 0.2, 0.15, 0.05))
    gender = _two_way(~population.female[person], _GENDER[lang], gender_style)
    phone_style = choose_style(rng, size, (0.45, 0.15, 0.1, 0.05, 0.05, 0.16, 0.04))
    phone = tx.phone_text(population.phone[person], phone_style)
    email = population.email.take(pa.array(person))
    email = tx.where(rng.random(size) < 0.03, pc.utf8_upper(email), email)
    email = tx.where(rng.random(size) < np.where(kind == 1, 0.4, 0.12), "", email)
    date_weights = (0.5, 0.2, 0.2, 0.1) if lang == "zh" else (0.6, 0.3, 0.0, 0.1)
    birth = tx.date_text(population.birth[person], choose_style(rng, size, date_weights))
    birth = tx.where(rng.random(size) < 0.05, "", birth)
    city = tx.where(rng.random(size) < 0.03, "", city_text(rng, population.city[person], lang))
    address = _address(person, lang)
    label = 1 if lang == "zh" else 2
    occupation = tx.pick([o[label] for o in OCCUPATIONS], population.occupation[person])
    occupation = tx.where(rng.random(size) < 0.1, "", occupation)
    education = tx.pick([e[label] for e in EDUCATIONS], population.education[person])
    education = tx.where(rng.random(size) < 0.15, "", education)
    slash = rng.random(size) < 0.3
    registered_text = tx.where(
        slash, tx.slash_datetime_text(registered), tx.datetime_text(registered)
    )
    consent_style = choose_style(rng, size, (0.6, 0.25, 0.15))
    consents = [
        tx.where(
            rng.random(size) < 0.03,
            "",
            _two_way(population.consent[person, i], _YES_NO[lang], consent_style),
        )
        for i in range(3)
    ]
    tier = tx.pick(TIERS[lang], population.tier[person])
    notes = CRM_NOTES[lang]
    note = tx.where(rng.random(size) < 0.02, tx.pick(notes, rng.integers(0, len(notes), size)), "")
    return [
        key,
        name,
        gender,
        phone,
        email,
        birth,
        city,
        address,
        occupation,
        education,
        registered_text,
        *consents,
        tier,
        note,
    ]


def _address(person: np.ndarray, lang: str) -> Any:
    """Return each person's home address (the same on every record of the person)."""
    parts = [tx.mix64(person, salt) for salt in (401, 402, 403, 404, 405)]
    road = (parts[0] % np.uint64(len(ROADS))).astype(np.int64)
    number = tx.num(1 + parts[1] % np.uint64(998))
    building = tx.num(1 + parts[2] % np.uint64(29))
    room = tx.num((1 + parts[3] % np.uint64(29)) * np.uint64(100) + 1 + parts[4] % np.uint64(5))
    if lang == "zh":
        return tx.join(tx.pick([r[0] for r in ROADS], road), number, "号", building, "栋", room)
    return tx.join(
        number, " ", tx.pick([r[1] for r in ROADS], road), ", Bldg ", building, "-", room
    )


def crm_mapping(lang: str) -> dict[str, str]:
    """Return the persona.yaml `columns:` of the CRM source (canonical field: header)."""
    return dict(zip(CRM_CANONICAL, CRM_COLUMNS[lang], strict=False))
