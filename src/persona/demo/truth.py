"""The ground truth of the demo: true people and archetypes, identities, expected bad rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from persona.demo import textops as tx
from persona.demo.activity import ActivityTotals
from persona.demo.archetypes import ARCHETYPES
from persona.demo.crm import CrmKeys
from persona.demo.people import IdentityRows, Population
from persona.demo.relations import RELATIONS, Graph
from persona.demo.vocab import EDUCATIONS, OCCUPATIONS, city_names, province_names


def write_csv(path: Path, columns: dict[str, Any]) -> None:
    """Write a UTF-8 CSV with a header, quoting only values that need it."""
    texts = [
        column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
        for column in columns.values()
    ]
    with path.open("wb") as handle:
        handle.write((",".join(columns) + "\n").encode())
        tx.write_lines(handle, tx.csv_lines(texts))


def _timestamp(seconds: np.ndarray) -> Any:
    """ISO text with +08:00, empty where `seconds` is negative (never)."""
    text = tx.join(tx.datetime_text(np.maximum(seconds, 0), "T"), "+08:00")
    return tx.where(seconds < 0, "", text)


def write_customers(
    path: Path,
    population: Population,
    keys: CrmKeys,
    activity: ActivityTotals,
    respondent: np.ndarray,
    graph: Graph,
    lang: str,
) -> None:
    """Write truth/customers.csv: one row per true person with archetype and attributes."""
    size = population.size
    kind = population.archetype
    person = np.arange(size)
    e164 = tx.join("+86", tx.num(population.phone))
    alt = tx.where(population.phone_alt > 0, tx.join("+86", tx.num(population.phone_alt)), "")
    devices = tx.where(
        population.devices == 2,
        tx.join(
            population.device_id(person, np.zeros(size, np.int64)),
            ";",
            population.device_id(person, np.ones(size, np.int64)),
        ),
        population.device_id(person, np.zeros(size, np.int64)),
    )
    relation = {name: graph.relation == i for i, name in enumerate(RELATIONS)}
    referrals = np.bincount(graph.source[relation["referral"]], minlength=size)
    friends = np.bincount(graph.source[relation["friend"]], minlength=size) + np.bincount(
        graph.target[relation["friend"]], minlength=size
    )
    household = np.zeros(size, dtype=bool)
    household[graph.source[relation["household"]]] = True
    household[graph.target[relation["household"]]] = True
    flag = ("false", "true")
    write_csv(
        path,
        {
            "person_id": population.person_ids(),
            "archetype": tx.pick([a.key for a in ARCHETYPES], kind),
            "archetype_zh": tx.pick([a.name_zh for a in ARCHETYPES], kind),
            "gender": tx.pick(("male", "female"), population.female.astype(np.int64)),
            "birth_date": tx.date_text(population.birth),
            "age": pa.array(population.age),
            "city": tx.pick(city_names(lang), population.city),
            "province": tx.pick(province_names(lang), population.city),
            "occupation": tx.pick([o[0] for o in OCCUPATIONS], population.occupation),
            "education": tx.pick([e[0] for e in EDUCATIONS], population.education),
            "registered_at": _timestamp(population.registered),
            "name": population.name_zh if lang == "zh" else population.name_pinyin,
            "customer_key": pc.fill_null(keys.primary, ""),
            "customer_key_duplicate": pc.fill_null(keys.duplicate, ""),
            "member_no": pc.fill_null(population.member_no, ""),
            "unionid": pc.fill_null(population.unionid, ""),
            "phone": e164,
            "phone_alt": alt,
            "email": population.email,
            "email_alt": pc.fill_null(population.email_alt, ""),
            "device_ids": devices,
            "consent_analytics": tx.pick(flag, population.consent[:, 0].astype(np.int64)),
            "consent_profiling": tx.pick(flag, population.consent[:, 1].astype(np.int64)),
            "consent_marketing": tx.pick(flag, population.consent[:, 2].astype(np.int64)),
            "events": pa.array(activity.events_per_person),
            "orders": pa.array(activity.orders_per_person),
            "revenue": tx.money(activity.revenue_cents),
            "last_event_at": _timestamp(activity.last_event),
            "last_order_at": _timestamp(activity.last_order),
            "survey_respondent": tx.pick(flag, respondent.astype(np.int64)),
            "referrals": pa.array(referrals),
            "friends": pa.array(friends),
            "household": tx.pick(flag, household.astype(np.int64)),
        },
    )


def write_identity(truth: Path, population: Population, rows: list[IdentityRows]) -> None:
    """Write truth/identity.csv (profile records) and truth/devices.csv (device ids)."""
    ids = population.person_ids()
    write_csv(
        truth / "identity.csv",
        {
            "source": pa.concat_arrays(
                [pa.repeat(pa.scalar(name), len(key)) for name, key, _ in rows]
            ),
            "customer_key": pa.concat_arrays([key for _, key, _ in rows]),
            "entity_id": pa.concat_arrays([ids.take(pa.array(person)) for _, _, person in rows]),
        },
    )
    owner = np.concatenate([np.arange(population.size), np.flatnonzero(population.devices == 2)])
    which = np.concatenate(
        [
            np.zeros(population.size, np.int64),
            np.ones(int((population.devices == 2).sum()), np.int64),
        ]
    )
    order = np.argsort(owner, kind="stable")
    owner, which = owner[order], which[order]
    write_csv(
        truth / "devices.csv",
        {"device_id": population.device_id(owner, which), "entity_id": ids.take(pa.array(owner))},
    )


README = """\
# Ground truth of the demo data

The demo data was drawn from the people in `customers.csv`; the files here say what a perfect
pipeline would find. Times are Beijing time (Asia/Shanghai, UTC+8).

## customers.csv

One row per true person (`person_id`, P0000001 ...): the planted `archetype` (English key) and
`archetype_zh`, the true attributes (gender, birth date, age on the reference date 2026-10-31,
city, occupation, education, registration time), the person's identifiers in every system
(`customer_key` and `customer_key_duplicate` in the CRM, `member_no` and `unionid` in the member
system, `phone` in E.164, `phone_alt` when the member system has a newer number, `email`,
`email_alt` when the member system has a second address, `device_ids` separated by `;`), the
consent flags, and what the person did: `events` and `orders` (rows in the sources, including
refunded and cancelled orders), `revenue` (paid orders, yuan), `last_event_at`, `last_order_at`,
`survey_respondent`, `referrals` made, `friends` and `household` links.

Archetypes: high_value_active 高价值活跃, price_sensitive 价格敏感, churn_risk 潜在流失 (nothing in
the last 70-130 days), night_owl_high_wtp 夜间活跃高支付意愿 (22:00-02:00, high order values),
newcomer 新客 (registered in the last 30 days), young_parent 年轻父母 (baby categories, 25-35).

## identity.csv

`source, customer_key, entity_id`: one row per profile record that loads (crm and members), where
`customer_key` is the record's key in its source (客户编号/customer_no for crm, member_no for
members) and `entity_id` the true person. Records that share an `entity_id` are the same person
and should resolve to one customer; about 2% of CRM customers have two CRM records. Quarantined
records (see below) are not listed.

## devices.csv

`device_id, entity_id`: the true owner of every device id seen in the events. Device ids in the
events that are not listed here belong to anonymous visitors who never log in.

## quarantine.json

For every source, the counts an ingester must report: `received` (every data record: CSV data
rows, JSON lines including broken ones, parquet and sheet rows), `quarantined`, `skipped` and
`loaded` (= received - quarantined - skipped), the planted `defects` per class, and `rows`
listing each planted bad row (`file`, `line`, `defect`, `value`). `line` is the line in a text
file (the header is line 1), the sheet row in the workbook (header row 1), or the 1-based row
number in the parquet file.

Defect classes: `ragged_row` (a CSV row with too many or too few fields), `bad_date` (an
unreadable birth date), `no_identifier` (no identifier at all; for relations, no target
identifier), `malformed_json` (a truncated line), `missing_timestamp` (no `ts` key),
`bad_timestamp` (`ts` is a word), `bad_number` (an amount such as `12,5O`), `missing_order_id`,
`missing_answer`.

`skipped` rows are the lines at the start of the last events file that repeat the previous day's
last half hour exactly; they duplicate rows loaded from an earlier file. No other row repeats a
row of an earlier file, and no other row is bad: mixed phone, date, gender, city and yes/no
spellings, full-width digits, `¥` and thousands separators in amounts are all valid.
"""
