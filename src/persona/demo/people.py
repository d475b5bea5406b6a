"""The true population: who every demo person is, before any system records them.

A `Population` is a set of column arrays, one entry per person; the renderers in the other
modules turn it into messy source files and the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from persona.demo import textops as tx
from persona.demo.archetypes import ARCHETYPES, archetype_table, weight_table
from persona.demo.timeline import DAY, REFERENCE_DATE, WINDOW_DAYS, WINDOW_START
from persona.demo.vocab import (
    CITIES,
    EMAIL_DOMAINS,
    GIVEN_FEMALE,
    GIVEN_MALE,
    OCCUPATIONS,
    PHONE_PREFIXES,
    SURNAMES,
)

IdentityRows = tuple[str, Any, np.ndarray]
"""(source name, key values of its records, true person index of each record)."""
GIVEN = GIVEN_FEMALE + GIVEN_MALE
"""Given-name characters: women draw from the first half, men from the second."""
_OCC = {key: i for i, (key, _, _) in enumerate(OCCUPATIONS)}


@dataclass(frozen=True)
class Population:
    """Every true person as column arrays (index = person number, 0-based).

    Integer-coded columns index the tables of `vocab` and `archetypes`; times are local seconds
    (see `timeline`); string columns are Arrow arrays.
    """

    size: int
    archetype: np.ndarray
    female: np.ndarray
    birth: np.ndarray
    age: np.ndarray
    city: np.ndarray
    occupation: np.ndarray
    education: np.ndarray
    registered: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    activity: np.ndarray
    surname: np.ndarray
    given: np.ndarray
    name_zh: Any
    name_pinyin: Any
    phone: np.ndarray
    phone_alt: np.ndarray
    email: Any
    email_alt: Any
    in_crm: np.ndarray
    crm_duplicate: np.ndarray
    in_members: np.ndarray
    member_no: Any
    unionid: Any
    devices: np.ndarray
    consent: np.ndarray
    tier: np.ndarray

    def person_ids(self) -> Any:
        """Return the truth ids ``P0000001`` ... as an Arrow array."""
        return tx.join("P", tx.num(np.arange(1, self.size + 1), 7))

    def device_id(self, person: np.ndarray, which: np.ndarray) -> Any:
        """Return the device id of device `which` (0 or 1) of each `person`."""
        return tx.join("d", tx.base32(tx.mix64(person * 4 + which, 101), 13))


def sample_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one column index per row from row-specific weights (`weights[rows]`)."""
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(rows))
    return np.asarray((u[:, None] > cumulative[rows]).sum(axis=1), dtype=np.int64)


def draw(rng: np.random.Generator, probabilities: np.ndarray, size: int) -> np.ndarray:
    """Draw `size` indices from one weight vector."""
    p = np.asarray(probabilities, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum())


def make_population(size: int, rng: np.random.Generator) -> Population:
    """Draw `size` people with archetypes, attributes, identifiers and system memberships.

    Args:
        size: Number of true people (the demo's "customers").
        rng: The random generator; the same state gives the same people.

    Returns:
        The population.
    """
    kind = draw(rng, np.array([a.share for a in ARCHETYPES]), size).astype(np.int8)
    pick = np.array([a.ages for a in ARCHETYPES])
    age = rng.integers(pick[kind, 0], pick[kind, 1] + 1)
    female = rng.random(size) < np.array([a.female_share for a in ARCHETYPES])[kind]
    birth = REFERENCE_DATE - (age * 365.25 + rng.integers(1, 365, size)).astype("timedelta64[D]")
    age = _age_on(birth, REFERENCE_DATE)
    city = draw(rng, np.array([c[4] for c in CITIES]), size)
    occupation = sample_rows(rng, weight_table("occupations"), kind)
    occupation = np.where(
        (occupation == _OCC["student"]) & (age > 26), _OCC["office_worker"], occupation
    )
    occupation = np.where((occupation == _OCC["retired"]) & (age < 55), _OCC["worker"], occupation)
    occupation = np.where((age >= 58) & (rng.random(size) < 0.6), _OCC["retired"], occupation)
    education = sample_rows(rng, archetype_table("educations"), kind)

    end = int(REFERENCE_DATE.astype(np.int64)) * DAY + DAY
    start = int(WINDOW_START.astype(np.int64)) * DAY
    newcomer = kind == archetype_index("newcomer")
    churn = kind == archetype_index("churn_risk")
    years = np.where(churn, rng.uniform(1.0, 6.0, size), rng.uniform(0.4, 5.0, size))
    registered = end - (years * 365.25 * DAY).astype(np.int64)
    registered = np.where(newcomer, end - rng.integers(3600, 30 * DAY, size), registered)
    first_day = np.clip((registered - start) // DAY + 1, 0, WINDOW_DAYS - 1)
    quiet = rng.integers(70, 131, size)
    last_day = np.where(churn, WINDOW_DAYS - 1 - quiet, WINDOW_DAYS - 1)
    last_day = np.maximum(last_day, first_day)
    activity = rng.gamma(3.0, 1 / 3.0, size)

    surname = draw(rng, np.array([s[2] for s in SURNAMES]), size)
    half = len(GIVEN_FEMALE)
    given = rng.integers(0, half, (size, 2)) + np.where(female, 0, half)[:, None]
    given[rng.random(size) < 0.3, 1] = -1
    name_zh, name_pinyin = _names(surname, given)

    in_crm = rng.random(size) < np.array([a.in_crm for a in ARCHETYPES])[kind]
    in_members = ~in_crm | (rng.random(size) < np.array([a.in_members for a in ARCHETYPES])[kind])
    crm_duplicate = in_crm & (rng.random(size) < 0.02)
    phones = _unique(rng, 2 * size, 10**8 * len(PHONE_PREFIXES))
    phone = np.array(PHONE_PREFIXES)[phones[:size] // 10**8] * 10**8 + phones[:size] % 10**8
    alt = np.array(PHONE_PREFIXES)[phones[size:] // 10**8] * 10**8 + phones[size:] % 10**8
    phone_alt = np.where(in_crm & in_members & (rng.random(size) < 0.04), alt, -1)
    numbers = _unique(rng, 2 * size, 10**9 - 10**5) + 10**5
    emails = _emails(rng, pa.concat_arrays([name_pinyin, name_pinyin]), numbers)
    email = emails.slice(0, size)
    has_alt = in_crm & in_members & (rng.random(size) < 0.15)
    email_alt = tx.nulls_where(~has_alt, emails.slice(size, size))
    member_numbers = _unique(rng, size, 9 * 10**7) + 10**7
    member_no = tx.nulls_where(~in_members, tx.join("M", tx.num(member_numbers)))
    has_union = in_members & (rng.random(size) < 0.6)
    person = np.arange(size)
    pieces = [tx.base32(tx.mix64(person, salt), 9) for salt in (202, 203, 204)]
    union = tx.join("o", *pieces)  # 28 characters, like a WeChat unionid
    consent_rates = np.array([[0.97, 0.93, 0.8]] * len(ARCHETYPES))
    consent_rates[archetype_index("churn_risk"), 2] = 0.65
    consent_rates[archetype_index("price_sensitive"), 2] = 0.92
    consent = rng.random((size, 3)) < consent_rates[kind]
    return Population(
        size=size,
        archetype=kind,
        female=female,
        birth=birth,
        age=age,
        city=city,
        occupation=occupation,
        education=education,
        registered=registered,
        first_day=first_day,
        last_day=last_day,
        activity=activity,
        surname=surname,
        given=given,
        name_zh=name_zh,
        name_pinyin=name_pinyin,
        phone=phone,
        phone_alt=phone_alt,
        email=email,
        email_alt=email_alt,
        in_crm=in_crm,
        crm_duplicate=crm_duplicate,
        in_members=in_members,
        member_no=member_no,
        unionid=tx.nulls_where(~has_union, union),
        devices=1 + (rng.random(size) < 0.3),
        consent=consent,
        tier=sample_rows(rng, archetype_table("tiers"), kind),
    )


def _age_on(birth: np.ndarray, day: np.datetime64) -> np.ndarray:
    """Return completed years of life on `day`."""
    year, month, dom = tx.date_parts(birth)
    ref_year, ref_month, ref_dom = (int(x[0]) for x in tx.date_parts(np.array([day])))
    before = (month > ref_month) | ((month == ref_month) & (dom > ref_dom))
    return np.asarray(ref_year - year - before, dtype=np.int64)


def archetype_index(key: str) -> int:
    """Return the position of an archetype key in `ARCHETYPES`."""
    return next(i for i, a in enumerate(ARCHETYPES) if a.key == key)


def _unique(rng: np.random.Generator, count: int, population: int) -> np.ndarray:
    """Draw `count` distinct integers from ``0..population-1``."""
    return rng.choice(population, size=count, replace=False).astype(np.int64)


def _names(surname: np.ndarray, given: np.ndarray) -> tuple[Any, Any]:
    """Build Chinese names (张伟) and their pinyin (Zhang Wei)."""
    zh, py = _name_parts(surname, given)
    return tx.join(zh[0], zh[1], zh[2]), tx.join(py[0], " ", py[1], py[2])


def _name_parts(surname: np.ndarray, given: np.ndarray) -> tuple[list[Any], list[Any]]:
    """Return ([family, first, second], same in pinyin); `second` is empty for one-char names."""
    two = given[:, 1] >= 0
    second = np.where(two, given[:, 1], 0)
    zh = [
        tx.pick([s[0] for s in SURNAMES], surname),
        tx.pick([g[0] for g in GIVEN], given[:, 0]),
        tx.where(two, tx.pick([g[0] for g in GIVEN], second), ""),
    ]
    py = [
        tx.pick([s[1].capitalize() for s in SURNAMES], surname),
        tx.pick([g[1].capitalize() for g in GIVEN], given[:, 0]),
        tx.where(two, tx.pick([g[1] for g in GIVEN], second), ""),
    ]
    return zh, py


def misspelt_names(population: Population, persons: np.ndarray, lang: str) -> Any:
    """Return a typo of each person's name: a homophone character (zh) or a doubled letter (en)."""
    surname, given = population.surname[persons], population.given[persons]
    zh, py = _name_parts(surname, given)
    if lang == "en":
        full = tx.join(py[0], " ", py[1], py[2])
        return tx.join(full, pc.utf8_slice_codeunits(full, -1))
    two = given[:, 1] >= 0
    last = np.where(two, given[:, 1], given[:, 0])
    typo = tx.pick([g[2] for g in GIVEN], last)
    return tx.where(two, tx.join(zh[0], zh[1], typo), tx.join(zh[0], typo))


def spaced_names(population: Population, persons: np.ndarray, lang: str) -> Any:
    """Return names with stray spaces: 张　伟 (ideographic space) or ``ZHANG wei ``."""
    zh, py = _name_parts(population.surname[persons], population.given[persons])
    if lang == "en":
        return tx.join(pc.utf8_upper(py[0]), " ", pc.utf8_lower(py[1]), py[2], " ")
    return tx.join(zh[0], "\u3000", zh[1], zh[2])


def _emails(rng: np.random.Generator, pinyin: Any, numbers: np.ndarray) -> Any:
    """Build unique e-mail addresses: pinyin plus a short number, or a QQ number at qq.com."""
    size = len(numbers)
    local = pc.utf8_lower(pc.replace_substring(pinyin, " ", ""))
    domain = tx.pick(EMAIL_DOMAINS, rng.integers(0, len(EMAIL_DOMAINS), size))
    short = tx.join(local, tx.num(numbers % 1000), "@", domain)
    clash = pd.Series(short.to_numpy(zero_copy_only=False)).duplicated().to_numpy()
    named = tx.where(clash, tx.join(local, "_", tx.num(numbers), "@", domain), short)
    qq = tx.join(tx.num(numbers), "@qq.com")
    return tx.where(rng.random(size) < 0.3, qq, named)
