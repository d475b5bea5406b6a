"""Consent per purpose: profiling refusers keep only basic tags, analytics refusers are not
exported, and every result that leaves people out says how many."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from persona import Project
from persona.cli import app

runner = CliRunner()


def test_profiling_refusers_keep_only_basic_tags(shop: Path) -> None:
    with Project.open(shop) as project:
        tags = project.engine.fetch_df(
            "select c.customer_keys[1] as key, t.* exclude (customer_id) from customers c "
            "join tags t using (customer_id) order by key"
        ).set_index("key")
        basic = set(
            project.engine.fetch_df(
                "select name from tag_catalog where json_extract_string(definition, "
                "'$.category') = 'demographics'"
            )["name"]
        )
        report = project.tags.run()
    assert "age_band" in basic
    refuser = tags.loc["K0002"]
    assert refuser["age_band"] is not None and not pd.isna(refuser["age_band"])
    others = [c for c in tags.columns if c not in basic]
    assert others and all(pd.isna(refuser[c]) for c in others)
    assert tags.loc["K0003", "rfm_class"] is not None and not pd.isna(
        tags.loc["K0003", "lifecycle"]
    )
    assert report.profiling_refused == 1


def test_build_output_counts_the_refusers(shop: Path) -> None:
    en = runner.invoke(app, ["build", "-p", str(shop), "--lang", "en"])
    assert en.exit_code == 0, en.output
    assert "1 customers who refused profiling keep only their basic" in en.output
    zh = runner.invoke(app, ["build", "-p", str(shop), "--json"])
    assert '"profiling_refused": 1' in zh.stdout


def test_refusers_are_left_out_of_customer_exports(shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "customers.csv"
    result = runner.invoke(
        app, ["customers", "export", "--out", str(out), "-p", str(shop), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "Exported 2 customers" in result.output
    assert "Left out (refused analytics): 1" in result.output
    assert "Left out (refused marketing): 1" in result.output
    frame = pd.read_csv(out, encoding="utf-8-sig")
    # K0004 refused analytics, K0003 marketing
    assert sorted(frame["customer_key"]) == ["K0001", "K0002"]
    analysis = tmp_path / "analysis.csv"
    args = ["customers", "export", "--out", str(analysis), "-p", str(shop), "--lang", "en"]
    kept = runner.invoke(app, [*args, "--include-opted-out"])
    assert kept.exit_code == 0 and "refused marketing" not in kept.output
    frame = pd.read_csv(analysis, encoding="utf-8-sig")
    assert sorted(frame["customer_key"]) == ["K0001", "K0002", "K0003"]
