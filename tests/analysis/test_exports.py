"""`persona audience export|exports` to files, as an analyst activating a campaign runs them.

The six-customer audience project (C3 refused marketing), with C5 named ``=1+1`` and buying in
the category ``@SUM(A1)``, so formula neutralising shows in names and tags.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from persona import Project
from persona.cli import app
from persona.export import neutralise_formulas, write_frame
from persona.privacy import audit
from tests.analysis.test_audiences import CRM, SOURCES
from tests.pipeline.test_tags import AS_OF, EVENTS, ORDERS

FORMULA_CRM = CRM.replace("C5,13500004444,陈静", "C5,13500004444,=1+1")
FORMULA_ORDERS = ORDERS.replace(",120,20,toys,", ",120,20,@SUM(A1),").replace(
    ",130,30,toys,", ",130,30,@SUM(A1),"
)  # C5 buys in the category "@SUM(A1)"


def build_export_project(root: Path, k: int = 1, more_crm: str = "", more_config: str = "") -> Path:
    """Write and build the formula variant of the audience project in `root`."""
    (root / "data").mkdir(parents=True)
    body = textwrap.indent(textwrap.dedent(SOURCES).strip(), "  ")
    (root / "persona.yaml").write_text(
        f"project: t\nsources:\n{body}\nprivacy:\n  k: {k}\n{more_config}", encoding="utf-8"
    )
    for name, content in (
        ("crm.csv", FORMULA_CRM + more_crm),
        ("orders.csv", FORMULA_ORDERS),
        ("events.csv", EVENTS),
    ):
        (root / "data" / name).write_text(content, encoding="utf-8")
    with Project.open(root) as project:
        project.build(as_of=AS_OF)
    return root


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_export_project(tmp_path_factory.mktemp("exports") / "project")


@pytest.fixture
def root(built_once: Path, tmp_path: Path) -> Path:
    """A fresh copy of the built project (an empty export registry and audit log)."""
    return Path(shutil.copytree(built_once, tmp_path / "project"))


def persona(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def export_json(root: Path, *args: str) -> dict[str, Any]:
    result = persona("audience", "export", *args, "-p", str(root), "--json")
    assert result.exit_code == 0, result.stderr or result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def read_back(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if fmt == "parquet":
        return pd.read_parquet(path)
    if fmt == "xlsx":
        return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    return pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "json"])
def test_each_file_format_reads_back_with_the_right_rows(root: Path, fmt: str) -> None:
    path = root / "out" / f"rich.{fmt}"
    result = export_json(root, "monetary >= 100", "--out", str(path), "--format", fmt)
    assert result["count"] == 2 and result["left_out"] == {"marketing_opt_out": 1}
    assert result["format"] == fmt and result["target"] == str(path.resolve())
    assert result["fields"] == ["customer_id", "customer_key", "name", "phone", "email"]
    assert result["masked"] is True and result["pseudonymised"] is False
    frame = read_back(path, fmt)
    assert list(frame.columns) == result["fields"]
    assert list(frame["customer_key"]) == ["C1", "C5"]  # C3 (monetary 100) refused marketing
    assert frame["name"].iloc[0] == "张*"
    assert result["file_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()
    if fmt == "json":
        assert "张*" in path.read_text(encoding="utf-8")  # not ASCII-escaped


def test_csv_has_a_bom_unless_no_bom(root: Path) -> None:
    with_bom, without = root / "bom.csv", root / "plain.csv"
    export_json(root, "monetary >= 0", "--out", str(with_bom))
    export_json(root, "monetary >= 0", "--out", str(without), "--no-bom")
    assert with_bom.read_bytes().startswith(b"\xef\xbb\xbfcustomer_id,")
    assert without.read_bytes().startswith(b"customer_id,")
    assert "张*" in without.read_text(encoding="utf-8")


def test_formula_cells_are_neutralised_in_csv_and_xlsx(root: Path) -> None:
    fields = "customer_key,name,favourite_category,phone,monetary"
    csv, xlsx = root / "c.csv", root / "c.xlsx"
    for path in (csv, xlsx):
        export_json(root, "monetary >= 200", "--out", str(path), "--fields", fields, "--unmask")
    rows = read_back(csv, "csv").set_index("customer_key")
    assert rows.loc["C5", "name"] == "'=1+1"
    assert rows.loc["C5", "favourite_category"] == "'@SUM(A1)"
    assert rows.loc["C1", "favourite_category"] == "books"
    assert rows.loc["C5", "phone"] == "+8613500004444"  # a plain number is no formula
    assert float(rows.loc["C5", "monetary"]) == 250.0
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet is not None
    cells = {str(c.value): c for row in sheet.iter_rows() for c in row}
    assert "'=1+1" in cells and cells["'=1+1"].data_type == "s"  # text, not a formula
    assert "'@SUM(A1)" in cells and "=1+1" not in cells
    numbers = [c.value for row in sheet.iter_rows(min_row=2) for c in row[4:]]
    assert numbers == [700, 250]  # numbers stay numbers
    masked = read_back(
        Path(export_json(root, "monetary >= 200", "--out", str(root / "m.csv"))["target"]), "csv"
    )
    assert masked.set_index("customer_key").loc["C5", "name"] == "'=***"
    # json and parquet hold the values as they are (no spreadsheet runs them)
    exact = root / "c.json"
    export_json(root, "monetary >= 200", "--out", str(exact), "--fields", fields, "--unmask")
    assert json.loads(exact.read_text(encoding="utf-8"))[1]["name"] == "=1+1"
    with Project.open(root) as project:  # `persona customers export` shares the writer
        project.export_customers(root / "customers.csv")
    everyone = read_back(root / "customers.csv", "csv").set_index("customer_key")
    assert everyone.loc["C5", "favourite_category"] == "'@SUM(A1)"


def test_neutralise_formulas_leaves_numbers_and_plain_text() -> None:
    frame = pd.DataFrame(
        {
            "text": ["=cmd|' /C calc'!A0", "-2+3", "\tx", "\rx", "+86 138****5678", "a=b"],
            "number_text": ["-3", "+8613812345678", "12.5", "-0.5", "@x", None],
            "number": [-1.0, 2.0, 3.0, -4.0, 5.0, 6.0],
        }
    )
    safe = neutralise_formulas(frame)
    assert list(safe["text"]) == [
        "'=cmd|' /C calc'!A0",
        "'-2+3",
        "'\tx",
        "'\rx",
        "'+86 138****5678",
        "a=b",
    ]
    assert list(safe["number_text"])[:5] == ["-3", "+8613812345678", "12.5", "-0.5", "'@x"]
    assert pd.isna(safe["number_text"].iloc[5])
    assert list(safe["number"]) == [-1.0, 2.0, 3.0, -4.0, 5.0, 6.0]
    assert frame["text"].iloc[0].startswith("=")  # the caller's frame is not changed


def test_write_frame_keeps_its_old_calls(tmp_path: Path) -> None:
    frame = pd.DataFrame({"k": ["=1", "b"], "keys": [["x", "y"], ["z"]]})
    assert write_frame(frame, tmp_path / "a.csv") == 2
    assert (tmp_path / "a.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "k,keys",
        "'=1,x|y",
        "b,z",
    ]
    assert write_frame(frame, tmp_path / "a.data", "jsonl") == 2
    assert json.loads((tmp_path / "a.data").read_text().splitlines()[0])["k"] == "=1"
    with pytest.raises(Exception, match="unknown format 'txt'"):
        write_frame(frame, tmp_path / "a.txt")


def test_opted_out_customer_is_in_no_export(root: Path) -> None:
    """C3 refused marketing: selecting exactly C3 exports nobody, in every format."""
    for fmt in ("csv", "parquet", "xlsx", "json", "sqlite"):
        path = root / f"c3.{fmt}"
        for expression in ("monetary = 100", "consent_marketing = false"):
            result = export_json(
                root, expression, "--out", str(path), "--format", fmt, "--fields", "customer_key"
            )
            assert result["count"] == 0 and result["left_out"] == {"marketing_opt_out": 1}
        if fmt != "sqlite":
            assert read_back(path, fmt).empty
    everyone = root / "all.csv"
    export_json(root, "monetary >= 0", "--out", str(everyone), "--fields", "customer_key,phones")
    text = everyone.read_text(encoding="utf-8-sig")
    assert "C3" not in text and "2222" not in text
    assert sorted(read_back(everyone, "csv")["customer_key"]) == ["C1", "C2", "C4", "C5", "C6"]
    with Project.open(root) as project:
        members = project.engine.fetch_all(
            "select count(*) from export_members m join customers c using (customer_id) "
            "where list_contains(c.customer_keys, 'C3')"
        )
    assert members == [(0,)]


def test_saved_audience_registry_and_audit_log(root: Path) -> None:
    saved = persona("audience", "save", "rich", "monetary >= 100", "-p", str(root))
    assert saved.exit_code == 0, saved.output
    path = root / "out" / "rich.csv"
    first = export_json(root, "rich", "--out", str(path), "--fields", "customer_key,phones")
    second = export_json(root, "monetary >= 0", "--out", str(root / "all.json"), "--unmask")
    assert (first["export_id"], second["export_id"]) == (1, 2)
    listed = persona("audience", "exports", "-p", str(root), "--json")
    assert listed.exit_code == 0, listed.output
    rows = {r["export_id"]: r for r in json.loads(listed.stdout)}
    assert rows[1]["audience"] == "rich" and rows[1]["count"] == 2
    assert rows[1]["fields"] == "customer_key, phones" and rows[1]["format"] == "csv"
    assert rows[1]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert rows[1]["masked"] is True and rows[1]["forgotten"] == 0
    assert rows[2]["audience"] == "monetary >= 0" and rows[2]["count"] == 5
    assert rows[2]["masked"] is False and rows[2]["sha256"] is not None
    table = persona("audience", "exports", "-p", str(root), "--lang", "en")
    assert "Export registry" in table.stdout and "rich" in table.stdout
    with Project.open(root) as project:
        keys = project.engine.fetch_all(
            "select c.customer_keys[1] from export_members m join customers c "
            "using (customer_id) where m.export_id = 1 order by 1"
        )
        assert keys == [("C1",), ("C5",)]
        stored = project.engine.fetch_all("select file_hash from exports where export_id = 1")
        assert stored == [(hashlib.sha256(path.read_bytes()).hexdigest(),)]
        log = audit.entries(project.engine)
    exported = log[log["action"] == "export"].set_index("subject")
    detail = json.loads(exported.loc["rich", "detail"])
    assert detail["count"] == 2 and detail["format"] == "csv" and detail["masked"] is True
    assert detail["fields"] == ["customer_key", "phones"] and detail["pseudonymised"] is False
    assert detail["target"] == str(path.resolve())
    unmasked = log[log["action"] == "unmask"]
    assert list(unmasked["subject"]) == ["monetary >= 0"]
    assert json.loads(unmasked["detail"].iloc[0])["fields"] == ["name", "phone", "email"]
    everything = " ".join([*log["subject"].astype(str), *log["detail"]])
    assert "13812345678" not in everything and "cust_0" not in everything


def test_masked_by_default_and_unmask_shows_real_phones(root: Path) -> None:
    masked, plain = root / "masked.json", root / "plain.json"
    export_json(root, "monetary >= 100", "--out", str(masked), "--fields", "customer_key,phones")
    result = export_json(root, "monetary >= 100", "--out", str(plain), "--unmask")
    first = json.loads(masked.read_text(encoding="utf-8"))[0]
    assert first == {"customer_key": "C1", "phones": "138****5678"}
    row = json.loads(plain.read_text(encoding="utf-8"))[0]
    assert row["phone"] == "+8613812345678" and row["name"] == "张伟"
    assert result["masked"] is False


def test_pseudonymised_export_has_no_identifiers(root: Path) -> None:
    path = root / "shared.csv"
    fields = "customer_id,customer_key,customer_keys,name,phone,monetary"
    result = export_json(
        root, "monetary >= 100", "--out", str(path), "--fields", fields, "--pseudonymise"
    )
    assert result["pseudonymised"] is True
    assert result["fields"] == ["customer_id", "customer_key", "customer_keys", "monetary"]
    frame = read_back(path, "csv")
    assert all(v.startswith("p_") and len(v) == 22 for v in frame["customer_id"])
    assert list(frame["customer_key"]) == list(frame["customer_keys"])
    text = path.read_text(encoding="utf-8-sig")
    assert "C1" not in text and "cust_" not in text and "138" not in text
    again = root / "again.csv"
    export_json(root, "monetary >= 100", "--out", str(again), "--fields", fields, "--pseudonymise")
    assert list(read_back(again, "csv")["customer_id"]) == list(frame["customer_id"])
    both = persona(
        "audience",
        "export",
        "monetary >= 0",
        "--out",
        str(again),
        "--unmask",
        "--pseudonymise",
        "-p",
        str(root),
    )
    assert both.exit_code == 1 and "choose one" in both.stderr
    nothing_left = persona(
        "audience",
        "export",
        "monetary >= 0",
        "--out",
        str(root / "empty.csv"),
        "--fields",
        "name,phone",
        "--pseudonymise",
        "-p",
        str(root),
        "--lang",
        "en",
    )
    assert nothing_left.exit_code == 1 and "direct identifiers" in nothing_left.stderr
    assert not (root / "empty.csv").exists()


def test_user_errors_name_the_fix(root: Path) -> None:
    typo = persona(
        "audience",
        "export",
        "monetary >= 0",
        "--out",
        str(root / "x.csv"),
        "--fields",
        "customer_id,phon",
        "-p",
        str(root),
    )
    assert typo.exit_code == 1 and "did you mean 'phone'" in typo.stderr
    assert "fields: customer_id, customer_key" in typo.stderr and "Traceback" not in typo.stderr
    fmt = persona(
        "audience", "export", "monetary >= 0", "--out", str(root / "x.cvs"), "-p", str(root)
    )
    assert fmt.exit_code == 1 and "did you mean 'csv'" in fmt.stderr
    bare = persona("audience", "export", "monetary >= 0", "--out", str(root / "x"), "-p", str(root))
    assert bare.exit_code == 1 and "no suffix to tell the format by" in bare.stderr
    table = persona(
        "audience", "export", "monetary >= 0", "--out", "x.csv", "--table", "t", "-p", str(root)
    )
    assert table.exit_code == 1 and "--table is for sqlite and postgresql" in table.stderr
    url = persona(
        "audience", "export", "monetary >= 0", "--out", "ftp://u:pw@h/x", "-f", "webhook",
        "-p", str(root),
    )  # fmt: skip
    assert url.exit_code == 1 and "is not an http(s) URL" in url.stderr and "pw" not in url.stderr
    bad = persona(
        "audience", "export", "monetry > 1", "--out", str(root / "x.csv"), "-p", str(root)
    )
    assert bad.exit_code == 1 and "did you mean 'monetary'" in bad.stderr
    assert not (root / "x.csv").exists()
    with Project.open(root) as project:
        assert project.engine.fetch_all("select count(*) from exports") == [(0,)]


def test_human_output_in_both_languages_keeps_left_out_k_protected(root: Path) -> None:
    config = root / "persona.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("k: 1", "k: 2"), "utf-8")
    args = ("audience", "export", "monetary >= 100", "--out", str(root / "x.csv"), "-p", str(root))
    en = persona(*args, "--lang", "en")
    assert en.exit_code == 0, en.output
    assert "Exported 2 customers (csv)" in en.stdout and "export #1" in en.stdout
    assert "Not exported (refused marketing): <2" in en.stdout and "masked" in en.stdout
    zh = persona(*args, "--lang", "zh")
    assert "已导出 2 位客户" in zh.stdout and "未导出拒绝营销的客户：<2" in zh.stdout
    data = json.loads(persona(*args, "--json").stdout)
    assert data["left_out"] == {"marketing_opt_out": None} and data["count"] == 2


def test_segment_fields_in_the_project_language(tmp_path: Path) -> None:
    """Ten customers at least can be segmented: rule segments, then export by segment."""
    more = "".join(f"C{i},1390000{i:04d},客户{i},广州,male,yes\n" for i in range(7, 13))
    rules = (
        "segmentation:\n  method: rules\n  rules:\n"
        "    - {name_zh: 大客户, name_en: Big spenders, when: 'monetary >= 200'}\n"
    )
    root = build_export_project(tmp_path / "project", more_crm=more, more_config=rules)
    path = root / "big.json"
    result = export_json(root, "segment = 'Big spenders'", "--out", str(path))
    assert result["fields"] == ["customer_id", "customer_key", "name", "phone", "email", "segment"]
    rows = json.loads(path.read_text(encoding="utf-8"))
    assert [(r["customer_key"], r["segment"]) for r in rows] == [("C1", "大客户"), ("C5", "大客户")]
    others = root / "others.csv"
    export_json(root, "segment_id = 2", "--out", str(others), "--fields", "customer_key,segment_id")
    assert sorted(read_back(others, "csv")["customer_key"]) == [
        "C10", "C11", "C12", "C2", "C4", "C6", "C7", "C8", "C9"
    ]  # fmt: skip
