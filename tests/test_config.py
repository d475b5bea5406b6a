from __future__ import annotations

import json

import pytest

from persona.config import json_schema, parse_config
from persona.model.errors import ConfigError


def test_defaults_and_a_minimal_project() -> None:
    config = parse_config("project: shop\n")
    assert config.timezone == "Asia/Shanghai" and config.language == "zh" and config.sources == []


def test_every_problem_is_reported_at_once_with_lines() -> None:
    text = """project: shop
timezone: Mars/Olympus
sources:
  - name: crm
    kind: profils
    path: data/crm.csv
    pth: x
  - name: crm
    kind: events
    url: sqlite:///x.db
"""
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    message = str(info.value)
    assert "line 2, timezone: unknown time zone 'Mars/Olympus'" in message
    assert "line 5, sources[0].kind" in message and "did you mean 'profiles'" in message
    assert "line 7, sources[0].pth: unknown key 'pth'; did you mean 'path'" in message
    assert "sources[1]" in message and "`table` or `query`" in message


def test_column_mapping_to_an_unknown_canonical_field_suggests_one() -> None:
    text = (
        "project: p\nsources:\n  - name: o\n    kind: transactions\n    path: o.csv\n"
        "    columns:\n      ammount: pay\n"
    )
    with pytest.raises(
        ConfigError,
        match="'ammount' is not a canonical field of transactions; did you mean 'amount'",
    ):
        parse_config(text)


def test_yes_no_on_off_stay_column_names() -> None:
    text = (
        "project: p\nsources:\n  - name: o\n    kind: transactions\n    path: o.csv\n"
        "    columns:\n      order_id: no\n      channel: on\n"
    )
    assert parse_config(text).sources[0].columns == {"order_id": "no", "channel": "on"}


def test_duplicate_source_names_are_refused() -> None:
    text = (
        "project: p\nsources:\n  - {name: a, kind: events, path: x}\n"
        "  - {name: a, kind: events, path: y}\n"
    )
    with pytest.raises(ConfigError, match="two sources are named 'a'"):
        parse_config(text)


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError, match="line 3"):
        parse_config("project: p\nsources:\n  - name: [unclosed\n")


def test_json_schema_describes_sources() -> None:
    schema = json_schema()
    assert schema["title"] == "persona.yaml"
    source = schema["$defs"]["Source"]
    assert source["additionalProperties"] is False
    assert "columns" in source["properties"] and "description" in source["properties"]["path"]
    json.dumps(schema)
