"""persona.yaml of the demo project: every file mapped onto canonical fields, with comments."""

from __future__ import annotations

import re

from persona.demo.crm import crm_mapping
from persona.demo.events import EVENT_MAPPING
from persona.demo.members import MEMBER_MAPPING
from persona.demo.orders import ORDER_MAPPING
from persona.demo.relations import RELATION_MAPPING
from persona.demo.survey import SHEET, survey_mapping

_PLAIN = re.compile(r"^[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*$")


def _scalar(value: str) -> str:
    """Quote a YAML value unless it is a plain word (ASCII or Chinese)."""
    return value if _PLAIN.match(value) else '"' + value.replace('"', '\\"') + '"'


def _columns(mapping: dict[str, str]) -> str:
    return "\n".join(f"      {field}: {_scalar(column)}" for field, column in mapping.items())


def source_mappings(lang: str) -> dict[str, dict[str, str]]:
    """Return the `columns:` mapping (canonical field: source column) of every demo source."""
    return {
        "crm": crm_mapping(lang),
        "members": MEMBER_MAPPING,
        "events": EVENT_MAPPING,
        "orders": ORDER_MAPPING,
        "survey": survey_mapping(lang),
        "relations": RELATION_MAPPING,
    }


def persona_yaml(customers: int, seed: int, lang: str) -> str:
    """Return the text of the demo project's persona.yaml.

    Example:
        >>> "kind: transactions" in persona_yaml(100, 7, "zh")
        True
    """
    maps = source_mappings(lang)
    crm_encoding = "gb18030" if lang == "zh" else "utf-8"
    zh = lang == "zh"
    crm_kind = "GBK-encoded CSV with Chinese headers" if zh else "UTF-8 CSV"
    crm_extras = "会员等级 and 备注" if zh else "tier and notes"
    return f"""\
# Persona demo project, made by `persona demo-data` ({customers} customers, seed {seed}, {lang}).
# Every source maps its own column names onto Persona's canonical fields
# (`canonical field: source column`); columns left unmapped are kept as extra attributes.
# truth/ holds the answers the data was generated from: archetypes, identities, bad rows.
project: {"demo_shop_zh" if zh else "demo_shop_en"}
timezone: Asia/Shanghai   # timestamps written without a zone are Beijing time
language: {lang}

sources:
  # CRM export from the sales system: {crm_kind}, mixed phone, date,
  # gender, city and yes/no spellings, and a few broken rows. {crm_extras} stay unmapped.
  - name: crm
    kind: profiles
    path: data/crm.csv
    format: csv
    encoding: {crm_encoding}
    delimiter: ","
    header: true
    columns:
{_columns(maps["crm"])}

  # The app's member system: its own member numbers, about 40% of CRM customers again (with
  # typos, pinyin names, other phone formats, second e-mails) and some people only found here.
  # nickname, level and points stay unmapped.
  - name: members
    kind: profiles
    path: data/members.csv
    format: csv
    encoding: utf-8
    columns:
{_columns(maps["members"])}

  # App, web and mini-program tracking: one JSON-lines file per day. Logged-out events carry
  # only a device id; the last file repeats the previous day's last half hour.
  - name: events
    kind: events
    path: data/events
    format: jsonl
    columns:
{_columns(maps["events"])}

  # ERP order export. `amount` is stored as text (a few values are unreadable); guest orders
  # carry only a mobile number. coupon_used stays unmapped.
  - name: orders
    kind: transactions
    path: data/orders.parquet
    format: parquet
    columns:
{_columns(maps["orders"])}

  # Psychographic survey of a sample of CRM customers, one answer per row; the question bank
  # says what each question asks and which dimension it measures.
  - name: survey
    kind: surveys
    path: data/survey.xlsx
    format: xlsx
    sheet: {SHEET}
    question_bank: data/questions.csv
    columns:
{_columns(maps["survey"])}

  # Referrals, friends, follows, households and parents' groups between customers,
  # named by CRM customer number or mobile number. origin stays unmapped.
  - name: relations
    kind: relations
    path: data/relations.csv
    format: csv
    columns:
{_columns(maps["relations"])}
"""
