"""`persona forget`: nothing of the person is left in any table or snapshot, nothing comes back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from persona import Project
from persona.cli import app
from persona.engine.duckdb import DuckDBEngine
from persona.model.errors import UnknownReferenceError
from persona.model.kinds import Kind
from persona.privacy.forget import _pattern, _redact
from persona.privacy.registry import register_export
from tests.conftest import MakeProject
from tests.privacy.shop import AS_OF, PERSON, holding, shop_project

runner = CliRunner()


def _prepare(root: Path) -> str:
    """Add an identity decision, an export holding K0001 and a second snapshot; return the id."""
    with Project.open(root) as project:
        customer_id = project.identity.find("K0001")
        project.identity.link("K0001", "dev-aaa1")
        project.identity.split("13700002222")  # about K0003: kept
        project.engine.execute(
            "create temp table _sent as select customer_id from customers "
            "where customer_id <> (select customer_id from customers order by 1 desc limit 1)"
        )
        register_export(
            project.engine,
            members="_sent",
            audience=None,
            expression="true",
            fmt="csv",
            target="out/campaign.csv",
            fields=["customer_id"],
            masked=True,
            pseudonymised=False,
        )
        project.build(as_of=AS_OF)
        assert project.audiences.count("monetary >= 0")["count"] == 3  # makes the audience file
    return customer_id


def test_forget_leaves_nothing_and_nothing_comes_back(make_project: MakeProject) -> None:
    root = shop_project(make_project)
    customer_id = _prepare(root)
    with Project.open(root) as project:
        before = holding(project, [customer_id, *PERSON])
        assert {"raw_profiles", "clean_events", "snapshot_2", "quarantine"} <= set(before)
        others = project.engine.fetch_all("select count(*) from customers")[0][0]

    result = runner.invoke(app, ["forget", "13812345678", "-p", str(root), "--json"])
    assert result.exit_code == 0, result.output
    forgotten = json.loads(result.stdout)
    assert forgotten["customer_id"] == customer_id
    removed = forgotten["removed"]
    assert removed["raw_transactions"] == 2  # O1, O2 (O5 is in quarantine)
    assert removed["raw_events"] == 2 and removed["raw_relations"] == 1
    assert removed["customers"] == 1 and removed["snapshot_1"] == 1 and removed["snapshot_2"] == 1
    assert removed["quarantine"] == 1  # O5 with K0001
    assert removed["export_members"] == 1
    assert forgotten["redacted"] == {"raw_events": 1, "clean_events": 1}  # K0002's referrer note
    assert forgotten["suppressed_identifiers"] >= 4  # key, phone, e-mail, device
    assert forgotten["decisions_removed"] == 1
    assert [e["target"] for e in forgotten["exports_holding"]] == ["out/campaign.csv"]

    store = (root / ".persona" / "store.duckdb").read_bytes()  # no deleted bytes either
    for value in ("13812345678", "k0001@example.com", "张伟", customer_id):
        assert value.encode("utf-8") not in store, value
    assert not list((root / ".persona").glob("*.wal"))
    with Project.open(root) as project:
        assert holding(project, [customer_id, *PERSON]) == {}
        assert not project.audiences.path.exists()  # the derived audience copy is gone
        assert project.engine.fetch_all("select count(*) from customers")[0][0] == others - 1
        assert project.engine.fetch_all("select forgotten from exports")[0][0] == 1
        entry = project.audit("forget").iloc[0]
        assert entry["subject"] is None and customer_id not in json.dumps(entry["detail"])
        with pytest.raises(UnknownReferenceError):
            project.identity.find("K0001")
    decisions = (root / "identity-decisions.jsonl").read_text(encoding="utf-8")
    assert "13700002222" in decisions and "dev-aaa1" not in decisions

    with Project.open(root) as project:  # a build on unchanged sources brings nothing back
        project.build(as_of=AS_OF)
        assert holding(project, [customer_id, *PERSON]) == {}

    # Changed sources hold the person again: their rows are skipped and counted, not loaded.
    with (root / "data/orders.csv").open("a", encoding="utf-8") as orders:
        orders.write("O7,K0001,2024-06-29 10:00,50,beauty,app\n")
        orders.write("O8,K0005,2024-06-29 11:00,70,food,web\n")
    with (root / "data/events.csv").open("a", encoding="utf-8") as events:
        events.write('+86 138-1234-5678,,view,2024-06-29 09:00,"{}"\n')
    with Project.open(root) as project:
        built = project.build(as_of=AS_OF)
        counts = built.ingest.set_index("name")
        warnings = {name: " ".join(w) for name, w in counts["warnings"].items()}
        assert "4 record(s) skipped: forgotten" in warnings["orders"]  # O1, O2, O5, O7
        assert "3 record(s) skipped: forgotten" in warnings["events"]
        assert counts.loc["orders", "quarantined"] == 0  # O5 is skipped, not quarantined again
        for _, row in counts.iterrows():
            assert row["received"] == row["loaded"] + row["quarantined"] + row["skipped"]
        project.identity.find("K0005")  # the new customer is there
        # K0002's event mentioning the phone in free text came back with the changed file
        # (the suppression list holds hashes of identifiers, not text): docs/privacy.md.
        assert set(holding(project, [customer_id, *PERSON])) <= {"raw_events", "clean_events"}


def test_redaction_replaces_every_occurrence_even_side_by_side() -> None:
    engine = DuckDBEngine(None)
    engine.execute("create table notes (properties VARCHAR)")
    engine.insert_rows(
        "notes",
        [
            ("13812345678,13812345678",),
            ("refs: c1x9 c1x9 c1x9 and c1x9",),
            ("13812345678;+8613812345678",),
            ("c1x9z is another value",),
        ],
    )
    pattern = _pattern(["13812345678", "+8613812345678", "c1x9"])
    assert pattern is not None
    assert _redact(engine, "notes", Kind.EVENTS, pattern) == 3
    rows = [r[0] for r in engine.fetch_all("select properties from notes order by rowid")]
    assert rows == [
        "[forgotten],[forgotten]",
        "refs: [forgotten] [forgotten] [forgotten] and [forgotten]",
        "[forgotten];[forgotten]",
        "c1x9z is another value",
    ]
