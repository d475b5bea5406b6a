"""The app member system's export (data/members.csv, UTF-8): a second view of the same people.

About 40% of CRM customers are members too, recorded differently (typos, pinyin names, other
phone formats, full-width digits, a second e-mail, missing fields); some people are only here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from persona.demo import textops as tx
from persona.demo.crm import choose_style, city_text
from persona.demo.ledger import QuarantineLedger
from persona.demo.people import IdentityRows, Population, misspelt_names, spaced_names
from persona.demo.timeline import DAY, REFERENCE_DATE, UTC_OFFSET
from persona.demo.vocab import NICKNAMES

MEMBER_COLUMNS = (
    "member_no",
    "nickname",
    "real_name",
    "gender",
    "mobile",
    "email",
    "birthday",
    "city",
    "unionid",
    "join_time",
    "push_opt_in",
    "level",
    "points",
)
MEMBER_MAPPING: dict[str, str] = {
    "member_no": "member_no",
    "name": "real_name",
    "gender": "gender",
    "phone": "mobile",
    "email": "email",
    "birth_date": "birthday",
    "city": "city",
    "unionid": "unionid",
    "registered_at": "join_time",
    "consent_marketing": "push_opt_in",
}


def write_members(
    out: Path, population: Population, rng: np.random.Generator, lang: str, ledger: QuarantineLedger
) -> IdentityRows:
    """Write data/members.csv (UTF-8), the app member system's view of its members.

    Returns:
        The (source, key, person) table of its records.
    """
    person = np.flatnonzero(population.in_members)
    size = len(person)
    both = population.in_crm[person]
    joined = population.registered[person] + np.where(both, rng.integers(0, 300 * DAY, size), 0)
    end = (int(REFERENCE_DATE.astype(np.int64)) + 1) * DAY - 60
    joined = np.minimum(joined, end - rng.integers(0, 3600, size))
    order = np.argsort(joined, kind="stable")
    person, both, joined = person[order], both[order], joined[order]

    names = population.name_zh if lang == "zh" else population.name_pinyin
    name = names.take(pa.array(person))
    variant = np.where(
        both,
        choose_style(rng, size, (0.70, 0.08, 0.10, 0.04, 0.08)),
        np.where(rng.random(size) < 0.08, 4, 0),
    )
    if lang == "zh":
        other = population.name_pinyin.take(pa.array(person))
    else:
        py = population.name_pinyin.take(pa.array(person))
        parts = pc.split_pattern(py, " ", max_splits=1)
        other = tx.join(pc.list_element(parts, 1), " ", pc.list_element(parts, 0))
    name = pc.choose(
        pa.array(variant.astype(np.int8)),
        name,
        misspelt_names(population, person, lang),
        other,
        spaced_names(population, person, lang),
        pa.scalar("", pa.string()),
    )
    gender = tx.pick(("female", "male", "unknown"), np.where(population.female[person], 0, 1))
    gender = tx.where(
        rng.random(size) < 0.05, tx.pick(("unknown", ""), rng.integers(0, 2, size)), gender
    )
    digits = np.where(
        population.phone_alt[person] > 0, population.phone_alt[person], population.phone[person]
    )
    mobile = tx.phone_text(digits, choose_style(rng, size, (0.4, 0.05, 0.3, 0.0, 0.1, 0.05, 0.1)))
    email = pc.coalesce(
        population.email_alt.take(pa.array(person)), population.email.take(pa.array(person))
    )
    email = tx.where(rng.random(size) < np.where(both, 0.35, 0.2), "", email)
    birthday = tx.date_text(population.birth[person])
    birthday = tx.where(rng.random(size) < 0.25, "", birthday)
    city = tx.where(rng.random(size) < 0.1, "", city_text(rng, population.city[person], lang))
    unionid = pc.fill_null(population.unionid.take(pa.array(person)), "")
    epoch_ms = (joined - UTC_OFFSET) * 1000 + rng.integers(0, 1000, size)
    opt_in = tx.pick(("false", "true"), population.consent[person, 2].astype(np.int64))
    nick = NICKNAMES[lang]
    nickname = tx.join(
        tx.pick(nick, rng.integers(0, len(nick), size)), tx.num(rng.integers(1, 999, size))
    )
    level = tx.join(
        "V", tx.num(np.clip(1 + population.tier[person] * 2 + rng.integers(0, 2, size), 1, 6))
    )
    points = tx.num(rng.integers(0, 20000, size))
    member_no = population.member_no.take(pa.array(person))
    columns = [
        member_no,
        nickname,
        name,
        gender,
        mobile,
        email,
        birthday,
        city,
        unionid,
        tx.num(epoch_ms),
        opt_in,
        level,
        points,
    ]
    path = out / "data" / "members.csv"
    with path.open("wb") as handle:
        handle.write((",".join(MEMBER_COLUMNS) + "\n").encode())
        tx.write_lines(handle, tx.csv_lines(columns))
    ledger.receive("members", size)
    return ("members", member_no, person)
