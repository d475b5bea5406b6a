"""Incremental refresh: a build after new events or orders recomputes only the customers they
touch, and ends with exactly the features and tags a full recompute gives."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from persona import Project
from persona.demo import generate_demo
from persona.pipeline.clean.outliers import flag_outliers
from persona.pipeline.features import run_features
from tests.conftest import MakeProject, accept_more_files
from tests.pipeline.test_tags import AS_OF, ORDERS, _project


def _tables(project: Project) -> dict[str, pd.DataFrame]:
    tables = {
        table: project.engine.fetch_df(f"select * from {table} order by customer_id")
        for table in ("features", "tags", "customers")
    }
    # An identifier's `source` is any one of the sources naming it, in a full rebuild too.
    tables["identity_links"] = project.engine.fetch_df(
        "select node, node_type, customer_id, reason, score from identity_links order by node"
    )
    tables["identity_excluded"] = project.engine.fetch_df(
        "select * from identity_excluded order by all"
    )
    return tables


def _assert_same_as_full(project: Project, as_of: datetime) -> None:
    """The current customers, links, features and tags equal those of a full rebuild."""
    refreshed = _tables(project)
    project.build(as_of=as_of, full=True)
    full = _tables(project)
    for table, frame in refreshed.items():
        pd.testing.assert_frame_equal(frame, full[table], check_exact=False, rtol=1e-9)


def test_new_orders_and_events_recompute_only_their_customers(make_project: MakeProject) -> None:
    root = _project(make_project)
    accept_more_files(root, "orders", "events")
    with Project.open(root) as project:
        first = project.build(as_of=AS_OF)
    assert not first.features.incremental and first.features.full_reason == "no earlier features"
    assert not first.resolve.reused
    header = ORDERS.splitlines()[0]
    (root / "data/orders2.csv").write_text(
        f"{header}\nO20,C3,2024-06-29 10:00,900,0,home,app,paid\n"
    )
    (root / "data/events2.csv").write_text("id,event,ts\nC6,view,2024-06-29 23:30\n")
    with Project.open(root) as project:
        second = project.build(as_of=AS_OF)
        assert second.features.incremental and second.features.recomputed == 2
        # Known customers only: the identity graph is not rebuilt; C6 now has events.
        assert second.resolve.reused and second.resolve.customers == 6
        has_events = project.engine.fetch_all(
            "select has_events from customers where list_contains(customer_keys, 'C6')"
        )
        assert has_events == [(True,)]
        tags = project.engine.fetch_df(
            "select c.customer_keys[1] as key, t.lifecycle, t.big_spender from tags t "
            "join customers c using (customer_id)"
        ).set_index("key")
        assert tags.loc["C3", "lifecycle"] == "active" and tags.loc["C3", "big_spender"]
        assert project.tags.snapshots()[0]["incremental"]
        _assert_same_as_full(project, AS_OF)


def test_a_moved_as_of_time_or_new_relations_recompute_everybody(
    make_project: MakeProject,
) -> None:
    root = _project(make_project)
    with Project.open(root) as project:
        project.build(as_of=AS_OF)
        unchanged = project.build(as_of=AS_OF)
        moved = project.build(as_of=datetime(2024, 7, 31, tzinfo=AS_OF.tzinfo))
    assert unchanged.features.incremental and unchanged.features.recomputed == 0
    assert moved.features.full_reason == "the as-of time moved"
    assert moved.features.recomputed == 6
    config = root / "persona.yaml"
    config.write_text(
        config.read_text().replace(
            "sources:\n",
            "sources:\n  - name: friends\n    kind: relations\n    path: data/friends.csv\n"
            "    columns: {src_customer_key: a, dst_customer_key: b, relation: r}\n",
        )
    )
    (root / "data/friends.csv").write_text("a,b,r\nC1,C2,friend\n")
    with Project.open(root) as project:
        related = project.build(as_of=datetime(2024, 7, 31, tzinfo=AS_OF.tzinfo))
    assert related.features.full_reason == "new relations arrived"


@pytest.mark.slow
def test_demo_refresh_after_a_new_day_of_events_equals_a_full_build(
    tmp_path: Path,
) -> None:
    root = tmp_path / "shop"
    generate_demo(root, customers=1000, seed=11, lang="en")
    days = sorted((root / "data/events").iterdir())
    held = tmp_path / days[-1].name
    shutil.move(days[-1], held)
    with Project.open(root) as project:
        as_of = datetime.fromisoformat("2100-01-01T00:00:00+08:00")
        project.build(as_of=as_of)
        shutil.move(held, days[-1])
        refreshed = project.build(as_of=as_of)
        assert refreshed.features.incremental
        assert 0 < refreshed.features.recomputed < refreshed.features.customers / 2
        _assert_same_as_full(project, as_of)


def test_new_people_or_profiles_rebuild_the_identity_graph(make_project: MakeProject) -> None:
    root = _project(make_project)
    accept_more_files(root, "events", "crm")
    with Project.open(root) as project:
        project.build(as_of=AS_OF)
        (root / "data/events2.csv").write_text("id,event,ts\nC9,view,2024-06-29 23:30\n")
        stranger = project.build(as_of=AS_OF)
        assert not stranger.resolve.reused and stranger.resolve.customers == 7
        _assert_same_as_full(project, AS_OF)
        again = project.build(as_of=AS_OF)
        assert again.resolve.reused and again.resolve.customers == 7
        (root / "data/crm2.csv").write_text("id,phone,birth\nC10,13912345678,1990-01-01\n")
        profiled = project.build(as_of=AS_OF)
        assert not profiled.resolve.reused and profiled.resolve.customers == 8


def test_clean_reads_new_records_and_keeps_the_flags_of_unchanged_kinds(
    make_project: MakeProject,
) -> None:
    root = _project(make_project)
    accept_more_files(root, "orders", "events")
    flags = "select * from outliers order by all"
    with Project.open(root) as project:
        project.ingest()
        project.clean()
        before = project.engine.fetch_all(flags)
        # A stored event again, written differently (the same once clean), and a new one.
        (root / "data/events2.csv").write_text(
            "id,event,ts\n C1 ,VIEW,2024-06-10 23:10\nC6,view,2024-06-29 23:30\n"
        )
        project.ingest()
        counts = project.clean().set_index("source")
        assert (counts.loc["events", "cleaned"], counts.loc["events", "duplicates"]) == (1, 1)
        assert project.engine.fetch_all(flags) == before
        header = ORDERS.splitlines()[0]
        (root / "data/orders2.csv").write_text(f"{header}\nO30,C4,2024-06-29 10:00,99999,0,,,\n")
        project.ingest()
        project.clean()
        kept = project.engine.fetch_all(flags)
        assert ("transactions", "orders", 99999.0) in [(r[0], r[1], r[5]) for r in kept]
        with project.engine.transaction():
            flag_outliers(project.engine, project.config.cleaning)  # every kind again
        assert project.engine.fetch_all(flags) == kept


def test_a_refresh_finds_moved_identity_links_and_keeps_unchanged_ones(
    make_project: MakeProject,
) -> None:
    root = _project(make_project)
    with Project.open(root) as project:
        project.build(as_of=AS_OF)
        engine = project.engine
        unchanged = run_features(engine, project.config, AS_OF, incremental=True)
        assert unchanged.incremental and unchanged.recomputed == 0
        # An identifier of C4 now belongs to C5 (as after a split): both are recomputed.
        c4, c5 = (
            engine.fetch_all(
                f"select customer_id from customers where list_contains(customer_keys, '{key}')"
            )[0][0]
            for key in ("C4", "C5")
        )
        engine.execute(
            "update identity_links set customer_id = ? where node = 'customer_key:C4'", [c5]
        )
        moved = run_features(engine, project.config, AS_OF, incremental=True)
        assert moved.incremental and moved.recomputed == 2
        kept = engine.fetch_all(
            "select customer_id from features_links where node = ?", ["customer_key:C4"]
        )
        assert kept == [(c5,)] and c4 != c5
