"""`persona forget` and `persona audit` run as a user runs them: confirmation, zh/en output,
JSON shapes, errors and exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from persona import Project
from persona.cli import app
from tests.conftest import MakeProject
from tests.privacy.shop import shop_project

runner = CliRunner()


def test_forget_asks_first_and_audit_lists_it(make_project: MakeProject) -> None:
    root = str(shop_project(make_project))
    empty = runner.invoke(app, ["audit", "-p", root, "--lang", "en"])
    assert empty.exit_code == 0 and "No audit log entries" in empty.output

    declined = runner.invoke(app, ["forget", "K0003", "-p", root, "--lang", "en"], input="n\n")
    assert declined.exit_code == 1 and "cannot be undone" in declined.output
    assert "Cancelled; nothing was removed" in declined.output
    with Project.open(root) as project:
        project.identity.find("K0003")  # still there

    done = runner.invoke(
        app, ["forget", "k0003@example.com", "-p", root, "--lang", "zh"], input="y\n"
    )
    assert done.exit_code == 0, done.output
    assert "已删除客户" in done.output and "raw_profiles" in done.output
    assert "已加入抑制名单的标识" in done.output

    again = runner.invoke(app, ["forget", "K0003", "-p", root, "--yes", "--lang", "en"])
    assert again.exit_code == 1 and "no customer has 'K0003'" in again.output

    listed = json.loads(runner.invoke(app, ["audit", "-p", root, "--json"]).stdout)
    assert [e["action"] for e in listed] == ["forget"]
    assert listed[0]["detail"]["removed"]["customers"] == 1
    assert "K0003" not in json.dumps(listed) and "13700002222" not in json.dumps(listed)
    table = runner.invoke(app, ["audit", "-p", root, "--lang", "zh", "--limit", "5"])
    assert "审计日志" in table.output and "forget" in table.output

    only = json.loads(
        runner.invoke(app, ["audit", "-p", root, "--json", "--action", "export"]).stdout
    )
    assert only == []
    unknown = runner.invoke(app, ["audit", "-p", root, "--action", "peek", "--lang", "en"])
    assert unknown.exit_code == 1 and "unknown audit action 'peek'" in unknown.output
