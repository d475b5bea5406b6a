"""The segments stage on a small project with three planted groups: fitting, assignment in the
engine, names and evidence, consent, rules, stable ids, explanations and migration."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from persona import Project
from persona.engine.compile import nearest_centre_sql
from persona.engine.duckdb import DuckDBEngine
from persona.model.errors import ConfigError, ProjectError
from persona.pipeline.segments import latest_run
from persona.pipeline.segments.inputs import build_source
from persona.pipeline.segments.methods import Centres, Data
from persona.pipeline.segments.migration import migration
from persona.pipeline.segments.transforms import Transform
from tests.conftest import MakeProject, accept_more_files
from tests.pipeline.segment_data import AS_OF, OBJECTING, SOURCES, files, group_of

BUILT_AT = datetime.fromisoformat(AS_OF)


def make_segments_project(
    make_project: MakeProject, segmentation: str = "", **changes: Any
) -> Path:
    root = make_project(SOURCES, files(**changes))
    if segmentation:
        with (root / "persona.yaml").open("a", encoding="utf-8") as config:
            config.write(textwrap.dedent(segmentation))
    return root


def members(project: Project) -> pd.DataFrame:
    """customer key, planted group, segment id and distance of every segmented customer."""
    frame = project.engine.fetch_df(
        "select c.customer_keys[1] as key, m.segment_id, m.distance from segment_members m "
        "join customers c using (customer_id) order by key"
    )
    frame["group"] = frame["key"].map(group_of)
    return frame


@pytest.fixture
def built(make_project: MakeProject) -> Path:
    root = make_segments_project(make_project)
    with Project.open(root) as project:
        project.build(as_of=BUILT_AT)
    return root


def test_auto_k_finds_the_planted_groups_and_names_them(built: Path) -> None:
    with Project.open(built) as project:
        frame = members(project)
        segments = project.segments.list()
        run = latest_run(project.engine)
    assert len(frame) == 87 and not set(frame["key"]) & OBJECTING  # consent is respected
    assert run["segmented"] == 87 and run["excluded"] == 3 and run["k"] == 3
    assert [c["k"] for c in run["curve"]] == list(range(2, 11))
    assert 0.8 <= run["stability"] <= 1.0
    by_group = frame.groupby("group")["segment_id"].agg(lambda s: s.mode()[0])
    assert frame.groupby("group")["segment_id"].nunique().eq(1).all()  # each group, one segment
    names = dict(zip(segments["id"], segments["name_en"], strict=True))
    assert names[by_group["night"]] == "Night owls"
    assert names[by_group["deal"]] == "Price-sensitive"
    assert names[by_group["big"]] == "High-value active"
    assert segments["name_zh"].is_unique and segments["name_en"].is_unique
    assert segments["size"].tolist() == [29, 29, 29] and segments["share"].sum() == pytest.approx(
        1, abs=1e-5
    )


def test_evidence_says_why_in_both_languages(built: Path) -> None:
    with Project.open(built) as project:
        night = project.segments.show("Night owls")
        deal = project.segments.show("价格敏感")
    first = night["evidence"][0]
    assert first["feature"] == "night_share" and first["direction"] == "high"
    assert first["value"] > 0.9 and first["population"] < 0.4 and first["z"] > 1
    assert first["text_en"].startswith("night-time activity (22:00-02:00) 100%")
    assert first["text_zh"].startswith("夜间(22点-2点)行为占比100%")
    assert {e["feature"] for e in deal["evidence"][:2]} == {"avg_discount", "discount_share"}
    assert night["run"]["features"][:2] == ["frequency", "avg_order_value"]
    assert night["centre"]["night_share"] == pytest.approx(first["value"], abs=1e-4)


def test_engine_assignment_equals_the_fit(built: Path) -> None:
    """Every customer's segment and distance from SQL agree with the fit's own arithmetic."""
    with Project.open(built) as project:
        run = latest_run(project.engine)
        source = build_source(project.engine)
        transform = Transform.from_json(run["model"]["transform"])
        frame = project.engine.fetch_df(
            f"select s.customer_id, {', '.join(transform.features)}, m.segment_id, m.distance "
            f"from {source.sql} s join segment_members m using (customer_id)"
        )
    data = Data(transform.matrix(frame), transform.numeric_matrix(frame), transform.codes(frame))
    centres = Centres(np.array(run["model"]["centres"]))
    ids = np.array(run["model"]["ids"])
    assert (ids[centres.predict(data)] == frame["segment_id"].to_numpy()).all()
    nearest = np.sqrt(centres.distances(data).min(axis=1))
    assert np.allclose(nearest, frame["distance"].to_numpy())


def test_nearest_centre_sql_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    points, centres = rng.normal(size=(500, 4)), rng.normal(size=(6, 4))
    engine = DuckDBEngine(None)
    try:
        engine.execute(
            "create table p (customer_id varchar, a double, b double, c double, d double)"
        )
        engine.insert_rows("p", [(f"c{i}", *map(float, row)) for i, row in enumerate(points)])
        sql = nearest_centre_sql(
            "p", ["a", "b", "c", "d"], centres.tolist(), [10, 11, 12, 13, 14, 15]
        )
        got = engine.fetch_df(f"{sql} order by cast(substr(customer_id, 2) as int)")
    finally:
        engine.close()
    squared = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    assert (got["segment_id"].to_numpy() == squared.argmin(axis=1) + 10).all()
    assert np.allclose(got["distance"].to_numpy(), np.sqrt(squared.min(axis=1)))


@pytest.mark.parametrize("method", ["minibatch", "hierarchical", "kprototypes"])
def test_other_methods_find_the_groups(make_project: MakeProject, method: str) -> None:
    root = make_segments_project(
        make_project, f"segmentation: {{method: {method}, k: 3, resamples: 3}}\n"
    )
    with Project.open(root) as project:
        report = project.build(as_of=BUILT_AT).segments
        frame = members(project)
        run = latest_run(project.engine)
    assert report is not None and report.method == method and report.k == 3
    assert frame.groupby("group")["segment_id"].nunique().eq(1).all()
    assert frame.groupby("segment_id")["group"].nunique().eq(1).all()
    assert run["curve"] == [] and run["stability"] > 0.5
    assert (run["dendrogram"] is not None) == (method == "hierarchical")
    if method == "kprototypes":
        assert run["model"]["gamma"] > 0 and len(run["model"]["modes"]) == 3


def test_rules_first_match_wins_and_others(make_project: MakeProject) -> None:
    segmentation = """
    segmentation:
      method: rules
      rules:
        - {name_zh: 夜猫子, name_en: Night people, when: "night_share >= 0.5"}
        - name_zh: 金卡省钱
          name_en: Gold deal hunters
          when: "tag('price_sensitive') and tier = 'gold'"
    """
    root = make_segments_project(make_project, segmentation)
    with Project.open(root) as project:
        project.build(as_of=BUILT_AT)
        frame = members(project)
        tiers = project.engine.fetch_df(
            "select c.customer_keys[1] as key, e.tier from profile_extras e "
            "join customers c using (customer_id)"
        )
        listed = project.segments.list()
        other = project.engine.fetch_all(
            "select customer_id from segment_members where segment_id = 3"
        )
        explained = project.segments.explain(other[0][0])
    frame = frame.merge(tiers, on="key")
    assert frame["distance"].isna().all()
    assert (frame.loc[frame["group"] == "night", "segment_id"] == 1).all()  # first rule wins
    rest = frame[frame["group"] != "night"]
    expected = np.where((rest["group"] == "deal") & (rest["tier"] == "gold"), 2, 3)
    assert (rest["segment_id"].to_numpy() == expected).all() and 2 in expected
    assert listed["name_en"].tolist() == ["Night people", "Gold deal hunters", "Everyone else"]
    assert explained["segment_id"] == 3 and explained["name_zh"] == "其他客户"
    assert [r["holds"] for r in explained["rules"]] == [False, False]


def test_rule_and_feature_mistakes_are_reported(make_project: MakeProject) -> None:
    root = make_segments_project(
        make_project,
        """
        segmentation:
          method: rules
          rules: [{name_zh: 甲, name_en: A, when: "monetery > 3"}]
        """,
    )
    with Project.open(root) as project, pytest.raises(ConfigError) as error:
        project.build(as_of=BUILT_AT)
    assert "segmentation.rules[0] (A)" in str(error.value)
    assert "did you mean 'monetary'?" in str(error.value)
    (root / "persona.yaml").write_text(
        (root / "persona.yaml").read_text().split("segmentation:")[0]
        + "segmentation: {features: [frequncy, last_order_at, night_share]}\n"
    )
    with Project.open(root) as project, pytest.raises(ConfigError) as error:
        project.segments.fit()
    message = str(error.value)
    assert "'frequncy' is not a feature, tag or extra profile attribute" in message
    assert "did you mean 'frequency'?" in message
    assert "'last_order_at' is a time or a list" in message


def test_a_tiny_project_gets_no_segments(make_project: MakeProject) -> None:
    root = make_project(
        SOURCES, {k: "\n".join(v.splitlines()[:6]) + "\n" for k, v in files().items()}
    )
    with Project.open(root) as project:
        report = project.build(as_of=BUILT_AT).segments
        assert report is not None and report.skipped is not None
        assert "segments need at least 10" in report.skipped
        with pytest.raises(ProjectError, match="no segments yet"):
            project.segments.list()


def test_ids_stay_with_their_segments_across_refits(make_project: MakeProject) -> None:
    root = make_segments_project(make_project, "segmentation: {k: 3, seed: 1}\n")
    with Project.open(root) as project:
        project.build(as_of=BUILT_AT)
        first = members(project).set_index("key")["segment_id"]
        names = project.segments.list().set_index("id")["name_en"].to_dict()
    config = (root / "persona.yaml").read_text().replace("seed: 1", "seed: 99")
    (root / "persona.yaml").write_text(config)
    with Project.open(root) as project:
        order = latest_run(project.engine)["model"]["ids"]
        project.segments.fit()
        again = members(project).set_index("key")["segment_id"]
        assert latest_run(project.engine)["model"]["ids"] != order  # the fit's own order moved
        assert project.segments.list().set_index("id")["name_en"].to_dict() == names
    assert (first == again).all()


def test_explain_a_customer(built: Path) -> None:
    with Project.open(built) as project:
        night = project.segments.explain("C07")
        objecting = project.segments.explain("C05")
    assert night["name_en"] == "Night owls" and night["method"] == "kmeans"
    assert night["next"] is not None and night["distance"] < night["next"]["distance"]
    assert night["features"][0]["feature"] == "night_share"
    assert night["features"][0]["pull"] > 0 and night["features"][0]["value"] == 1.0
    assert night["text_en"].startswith("In Night owls: its centre is the nearest")
    assert "夜间(22点-2点)行为占比" in night["text_zh"]
    assert objecting["segment_id"] is None
    assert objecting["text_en"] == "the customer did not consent to profiling"


def test_export_and_profile_carry_the_segment(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "customers.csv"
    with Project.open(built) as project:
        project.export_customers(out)
        night = project.profile("C07")
        objecting = project.profile("C05")
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame.columns[-2:].tolist() == ["segment_id", "segment_name"]
    assert frame["segment_name"].value_counts().to_dict() == {
        "夜间活跃": 29,
        "价格敏感": 29,
        "高价值活跃": 29,
    }
    assert frame.loc[frame["customer_key"] == "C05", "segment_id"].isna().all()
    assert night["segment_name"] == "夜间活跃" and isinstance(night["segment_id"], int)
    assert objecting["segment_id"] is None and objecting["segment_name"] is None


def test_snapshots_keep_segments_and_migration_counts_moves(make_project: MakeProject) -> None:
    setup = "segmentation: {k: 3}\ntagging: {retention: 2}\nprivacy: {k: 2}\n"
    root = make_segments_project(make_project, setup)
    with Project.open(root) as project:
        project.build(as_of=BUILT_AT)
        ids = members(project).groupby("group")["segment_id"].first().to_dict()
    # Five deal seekers turn into big spenders; night owl C08 withdraws consent.
    movers = {f"C{n}": 12 for n in (40, 41, 42, 43, 44)}
    for name, content in files(extra_orders=movers).items():
        lines = [
            line.replace(",是,", ",否,") if line.startswith("C08,") else line
            for line in content.splitlines()
        ]
        (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Project.open(root) as project:
        project.build(as_of=BUILT_AT)
        tables = _snapshot_tables(project)
        moved = project.segments.migration()
        strict = migration(project.engine, 1, 2, 10)
        project.build(as_of=BUILT_AT)
        kept = _snapshot_tables(project)
        diff = project.tags.diff()
    assert tables == ["snapshot_1", "snapshot_1_segments", "snapshot_2", "snapshot_2_segments"]
    assert kept == ["snapshot_2", "snapshot_2_segments", "snapshot_3", "snapshot_3_segments"]
    assert "segment_id" not in [t["tag"] for t in diff["tags"]]
    cells = {(c["from"], c["to"]): c["count"] for c in moved["matrix"]}
    deal, big, night = ids["deal"], ids["big"], ids["night"]
    assert cells[(deal, deal)] == 24 and cells[(deal, big)] == 5 and cells[(big, big)] == 29
    # C08 alone left night owls: hidden (below k = 2), and so is the rest of its row.
    assert cells[(night, None)] is None and cells[(night, night)] is None
    assert (moved["stayed"], moved["moved"], moved["left"], moved["entered"]) == (81, 5, None, 0)
    drift = {d["segment_id"]: d for d in moved["drift"]}
    assert (drift[big]["size_from"], drift[big]["size_to"]) == (29, 34)
    assert drift[big]["growth"] == pytest.approx(5 / 29, abs=1e-4)
    assert drift[deal]["centre"] and all("change" in c for c in drift[deal]["centre"])
    shown = [c["count"] for c in strict["matrix"] if c["count"] is not None]
    assert all(count >= 10 for count in shown) and strict["moved"] is None
    assert {(c["from"], c["to"]) for c in strict["matrix"] if c["count"] is None} >= {
        (deal, big),
        (night, None),
    }


def _snapshot_tables(project: Project) -> list[str]:
    rows = project.engine.fetch_all(
        "select table_name from duckdb_tables() where table_name like 'snapshot\\_%' escape '\\' "
        "order by 1"
    )
    return [str(r[0]) for r in rows]


def test_old_snapshots_without_segments_are_refused(built: Path) -> None:
    with Project.open(built) as project:
        project.engine.execute("alter table snapshot_1 drop column segment_id")
        project.build(as_of=BUILT_AT)
        with pytest.raises(ProjectError, match="snapshot 1 has no segments"):
            project.segments.migration(1, 2)


def test_segmentation_can_be_switched_off(make_project: MakeProject) -> None:
    root = make_segments_project(make_project, "segmentation: {enabled: false}\n")
    with Project.open(root) as project:
        report = project.build(as_of=BUILT_AT).segments
        assert report is not None and report.skipped == "segmentation.enabled is false"
        assert not project.engine.table_exists("segments")


def test_config_is_checked() -> None:
    from persona.config import parse_config

    with pytest.raises(ConfigError, match="method: rules needs `rules:`"):
        parse_config("project: p\nsegmentation: {method: rules}\n")
    with pytest.raises(ConfigError, match=r"k_min .* must not be above k_max"):
        parse_config("project: p\nsegmentation: {k_min: 8, k_max: 4}\n")
    with pytest.raises(ConfigError, match="did you mean 'kmeans'"):
        parse_config("project: p\nsegmentation: {method: kmean}\n")
    assert parse_config("project: p\nsegmentation: {k: 4}\n").segmentation.k == 4


def test_run_json_is_recorded(built: Path) -> None:
    with Project.open(built) as project:
        row = project.engine.fetch_all(
            "select transforms, features, scale, sample from segment_runs"
        )
    transforms = json.loads(row[0][0])
    assert transforms["scale"] == "standard" and row[0][2] == "standard" and row[0][3] == 87
    assert transforms["features"]["frequency"]["type"] == "numeric"
    assert transforms["features"]["top_category"]["levels"] == ["图书", "数码", "食品"]
    assert "household_size" not in json.loads(row[0][1])  # the same for everyone: left out


def test_a_build_refreshing_some_customers_keeps_the_fitted_model(
    make_project: MakeProject,
) -> None:
    root = make_segments_project(make_project, "segmentation: {k: 3, seed: 1}\n")
    config = root / "persona.yaml"
    accept_more_files(root, "orders")
    with Project.open(root) as project:
        first = project.build(as_of=BUILT_AT).segments
        assert first is not None and first.kept_from is None
        fitted = latest_run(project.engine)
        (root / "data/orders2.csv").write_text(
            "order,id,paid_at,amount,discount,category,channel\n"
            "O900,C10,2024-06-29 15:00,1200,0,数码,app\n"
        )
        refreshed = project.build(as_of=BUILT_AT)
        assert refreshed.features.incremental
        kept = refreshed.segments
        assert kept is not None and kept.kept_from == fitted["run_id"]
        assert kept.timings["fit"] < first.timings["fit"]
        run = latest_run(project.engine)
        assert run["run_id"] > fitted["run_id"]
        assert run["model"]["centres"] == fitted["model"]["centres"]
        assert run["stability"] == fitted["stability"]
        segmented = members(project)
        assert len(segmented) == kept.segmented and segmented["segment_id"].notna().all()
        # Asked for, or with other settings, the model is fitted again.
        assert project.segments.fit().kept_from is None
        # Features recomputed at another as-of time: their model is not the fitted one.
        earlier = BUILT_AT.replace(day=20)
        project.features(as_of=earlier)
        (root / "data/orders3.csv").write_text(
            "order,id,paid_at,amount,discount,category,channel\n"
            "O901,C11,2024-06-10 15:00,50,10,食品,web\n"
        )
        moved = project.build(as_of=earlier)
        assert moved.features.incremental and moved.segments is not None
        assert moved.segments.kept_from is None
    config.write_text(config.read_text().replace("seed: 1", "seed: 2"))
    with Project.open(root) as project:
        again = project.build(as_of=earlier)
        assert again.features.incremental and again.segments is not None
        assert again.segments.kept_from is None


def test_profile_extras_are_rewritten_only_when_profiles_or_links_change(
    make_project: MakeProject,
) -> None:
    root = make_segments_project(make_project)
    accept_more_files(root, "orders", "crm")
    marker = "select count(*) from profile_extras where customer_id = 'marker'"
    with Project.open(root) as project:
        project.build(as_of=BUILT_AT)
        project.engine.execute("insert into profile_extras (customer_id) values ('marker')")
        (root / "data/orders2.csv").write_text(
            "order,id,paid_at,amount,discount,category,channel\n"
            "O900,C10,2024-06-29 15:00,1200,0,数码,app\n"
        )
        project.build(as_of=BUILT_AT)
        assert project.engine.fetch_all(marker) == [(1,)]  # kept: nothing it reads changed
        (root / "data/crm2.csv").write_text(
            "id,gender,birth,profiling,tier\nC10,男,1990-01-01,是,platinum\n"
        )
        project.build(as_of=BUILT_AT)
        assert project.engine.fetch_all(marker) == [(0,)]
        tiers = project.engine.fetch_all(
            "select e.tier from profile_extras e join customers c using (customer_id) "
            "where list_contains(c.customer_keys, 'C10')"
        )
    assert tiers == [("platinum",)]


def test_profile_extras_follow_the_order_of_the_profile_sources(make_project: MakeProject) -> None:
    vip = "- name: vip\n  kind: profiles\n  path: data/vip.csv\n  columns: {customer_key: id}\n"
    data = {**files(), "data/vip.csv": "id,tier\nC10,iron\n"}

    def tier(sources: str) -> str:
        root = make_project(sources, data)
        with Project.open(root) as project:
            project.build(as_of=BUILT_AT)
            rows = project.engine.fetch_all(
                "select e.tier from profile_extras e join customers c using (customer_id) "
                "where list_contains(c.customer_keys, 'C10')"
            )
        return str(rows[0][0])

    assert tier(SOURCES + vip) != "iron"  # the CRM comes first
    assert tier(vip + SOURCES) == "iron"  # the same store, the VIP list now first
