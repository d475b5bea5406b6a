"""Retention rules: old events (and orders, per kind) are deleted at build time, counted and
audited; features no longer see them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from persona import Project
from persona.cli import app
from persona.model.errors import ConfigError
from tests.conftest import MakeProject
from tests.privacy.shop import AS_OF, CRM, EVENTS, ORDERS, REFERRALS, SOURCES

runner = CliRunner()
FILES = {
    "data/crm.csv": CRM,
    "data/orders.csv": ORDERS,
    "data/events.csv": EVENTS,
    "data/referrals.csv": REFERRALS,
}


def _project(make_project: MakeProject, privacy: str) -> Path:
    root = make_project(SOURCES, FILES)
    with (root / "persona.yaml").open("a", encoding="utf-8") as config:
        config.write(f"privacy:\n  k: 1\n{privacy}")
    return root


def test_build_deletes_what_is_older_than_the_rules(make_project: MakeProject) -> None:
    # as of 2024-06-30 23:59:59: events before 06-26 23:59:59, orders before 05-31 23:59:59 go
    root = _project(make_project, "  retention_days: 4\n  retention: {transactions: 30}\n")
    with Project.open(root) as project:
        result = project.build(as_of=AS_OF)
        assert result.retention is not None and "retention" in result.stages
        assert result.retention.removed == {"raw_events": 3, "raw_transactions": 1}
        assert result.retention.total == 4
        counts = project.engine.fetch_all(
            "select (select count(*) from clean_events), (select count(*) from raw_transactions)"
        )[0]
        assert counts == (1, 4)  # 06-27 event; O1, O2, O3, O6 (O5 is quarantined)
        events = project.profile("K0001")["features"]["event_count"]
        assert events in (0, None)
        entry = project.audit("retention").iloc[0]
        assert entry["detail"]["removed"] == {"raw_events": 3, "raw_transactions": 1}
        assert entry["detail"]["days"] == {"events": 4, "transactions": 30}

    as_of = ["--as-of", AS_OF.isoformat()]
    again = runner.invoke(app, ["build", "-p", str(root), "--json", *as_of])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["retention"]["removed"] == {}  # nothing older is left
    with (root / "data/events.csv").open("a", encoding="utf-8") as events:
        events.write('13700002222,,view,2024-01-01 08:00,"{}"\n')
    en = runner.invoke(app, ["build", "-p", str(root), "--lang", "en", *as_of])
    assert en.exit_code == 0, en.output
    # the changed file brings back its 3 old events with the new one: all 4 go again
    assert "Retention: removed 4 records older than events 2024-06-26" in en.output
    now = runner.invoke(app, ["build", "-p", str(root), "--lang", "zh"])  # as of now: all old
    assert now.exit_code == 0 and "保留期限：删除了 5 条" in now.output


def test_no_rules_keep_everything(make_project: MakeProject) -> None:
    root = _project(make_project, "")
    with Project.open(root) as project:
        result = project.build(as_of=AS_OF)
        assert result.retention is None and "retention" not in result.stages
        assert project.engine.fetch_all("select count(*) from raw_events")[0][0] == 4


@pytest.mark.parametrize(
    ("privacy", "message"),
    [
        ("  retention_days: 0\n", "retention_days"),
        ("  retention: {profiles: 30}\n", "retention"),
        ("  fields: {wechat: secret}\n", "fields"),
        ("  fields: {'we chat': direct}\n", "not a column name"),
    ],
)
def test_privacy_settings_are_validated(
    make_project: MakeProject, privacy: str, message: str
) -> None:
    root = _project(make_project, privacy)
    with pytest.raises(ConfigError, match=message):
        Project.open(root)
