"""Customer exports: masked by default, unmasked or pseudonymised on request, always audited
and registered; the profile's --unmask is audited too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from persona import Project
from persona.cli import app
from persona.privacy.registry import exports

runner = CliRunner()


def _export(root: Path, out: Path, *flags: str) -> dict[str, object]:
    result = runner.invoke(
        app, ["customers", "export", "--out", str(out), "-p", str(root), "--json", *flags]
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_masked_unmasked_and_pseudonymised_exports(shop: Path, tmp_path: Path) -> None:
    masked = _export(shop, tmp_path / "masked.csv")
    # K0004 refused analytics, K0003 marketing: neither is exported by default
    assert masked["masked"]
    assert masked["left_out"] == {"analytics_refused": 1, "marketing_opt_out": 1}
    frame = pd.read_csv(tmp_path / "masked.csv", encoding="utf-8-sig").set_index("customer_key")
    assert sorted(frame.index) == ["K0001", "K0002"]
    assert frame.loc["K0001", "favourite_channel"] == "a***"  # classed direct in persona.yaml
    assert frame.loc["K0001", "top_channel"] == "app"  # not classed: shown

    plain_result = _export(shop, tmp_path / "plain.csv", "--unmask", "--include-opted-out")
    assert plain_result["left_out"] == {"analytics_refused": 1, "marketing_opt_out": 0}
    plain = pd.read_csv(tmp_path / "plain.csv", encoding="utf-8-sig").set_index("customer_key")
    assert plain.loc["K0001", "favourite_channel"] == "app"
    assert sorted(plain.index) == ["K0001", "K0002", "K0003"]  # for analysis: K0003 too

    _export(shop, tmp_path / "p1.parquet", "--pseudonymise")
    _export(shop, tmp_path / "p2.csv", "--pseudonymise")
    first = pd.read_parquet(tmp_path / "p1.parquet")
    second = pd.read_csv(tmp_path / "p2.csv", encoding="utf-8-sig")
    assert "favourite_channel" not in first.columns
    assert first["customer_id"].str.fullmatch(r"p_[0-9a-f]{20}").all()
    assert not first["customer_key"].str.contains("K000").any()
    assert list(first["customer_id"]) == list(second["customer_id"])  # same customer, same id
    with Project.open(shop) as project:
        ids = project.engine.fetch_df("select customer_id from customers")["customer_id"]
        assert not set(ids) & set(first["customer_id"])

    other = tmp_path / "other"  # another project (its own secret): other pseudonyms
    shutil.copytree(shop, other, ignore=shutil.ignore_patterns("secret"))
    _export(other, tmp_path / "p3.csv", "--pseudonymise")
    third = pd.read_csv(tmp_path / "p3.csv", encoding="utf-8-sig")
    assert not set(third["customer_id"]) & set(first["customer_id"])

    both = runner.invoke(
        app,
        [
            "customers",
            "export",
            "--out",
            str(tmp_path / "x.csv"),
            "-p",
            str(shop),
            "--unmask",
            "--pseudonymise",
            "--lang",
            "en",
        ],
    )
    assert both.exit_code == 1 and "choose one" in both.output

    with Project.open(shop) as project:
        registry = exports(project.engine)
        log = project.audit()
    assert len(registry) == 4 and registry["count"].tolist() == [2, 2, 3, 2]
    assert registry["pseudonymised"].tolist() == [True, True, False, False]
    assert registry["masked"].tolist() == [True, True, False, True]
    assert log["action"].tolist() == [
        *("pseudonymise", "export", "pseudonymise", "export"),
        *("unmask", "export", "export"),
    ]
    assert all(entry["left_out"]["analytics_refused"] == 1 for entry in log["detail"])


def test_profile_masks_and_audits_unmasking(shop: Path) -> None:
    masked = runner.invoke(app, ["profile", "K0001", "-p", str(shop), "--json"])
    data = json.loads(masked.stdout)
    assert data["attributes"]["name"] == "张*"
    assert data["attributes"]["address"] == "上海市浦东新区***"
    assert data["identifiers"]["phones"] == ["138****5678"]
    text = json.dumps(data, ensure_ascii=False)
    assert "13812345678" not in text and "k0001@example.com" not in text

    unmasked = runner.invoke(app, ["profile", "K0001", "-p", str(shop), "--json", "--unmask"])
    assert json.loads(unmasked.stdout)["attributes"]["name"] == "张伟"
    with Project.open(shop) as project:
        entry = project.audit("unmask", limit=1).iloc[0]
    assert entry["subject"] == "profile" and "K0001" not in json.dumps(entry["detail"])
