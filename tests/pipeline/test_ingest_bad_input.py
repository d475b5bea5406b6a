"""Every bad-input case of the foundation issue: a clear message, and nothing lost."""

from __future__ import annotations

import random
import re

import pytest

from persona import Project
from persona.model.errors import ConfigError
from persona.project import ingest_errors
from tests.conftest import MakeProject, ingest_one, quarantined

PROFILES = """
- name: crm
  kind: profiles
  path: {path}
  columns:
    customer_key: id
    name: name
    birth_date: born
"""
HEAD = "id,name,born\n"


def errors_of(root: object) -> list[str]:
    with Project.open(root) as project:  # type: ignore[arg-type]
        return ingest_errors(project.ingest())


def test_missing_file_names_path_and_fix(make_project: MakeProject) -> None:
    root = make_project(PROFILES.format(path="data/nope.csv"))
    (error,) = errors_of(root)
    assert "data/nope.csv does not exist" in error
    assert "check `path:`" in error


def test_unknown_format_lists_the_formats(make_project: MakeProject) -> None:
    root = make_project(PROFILES.format(path="data/crm.dat"), {"data/crm.dat": HEAD})
    (error,) = errors_of(root)
    assert "cannot tell the format" in error and "set `format:`" in error


def test_wrong_configured_encoding_names_the_detected_one(make_project: MakeProject) -> None:
    root = make_project(
        PROFILES.format(path="data/crm.csv") + "  encoding: utf-8\n",
        {"data/crm.csv": (HEAD + "1,张三,1990-01-01\n" * 50).encode("gbk")},
    )
    (error,) = errors_of(root)
    assert "not valid utf-8" in error and "gb18030" in error


def test_mixed_encoding_lines_are_quarantined_with_their_line(make_project: MakeProject) -> None:
    content = (HEAD + "1,张三,1990-01-01\n").encode() + "2,李四,1990-01-02\n".encode("gbk")
    content += "3,王五,1990-01-03\n".encode()
    root = make_project(PROFILES.format(path="data/crm.csv"), {"data/crm.csv": content})
    assert ingest_one(root) == {"received": 3, "loaded": 2, "quarantined": 1, "skipped": 0}
    (bad,) = quarantined(root)
    assert bad["line"] == 3
    assert "mixes encodings" in str(bad["reason"])


def test_ragged_rows_are_quarantined_and_the_rest_loads(make_project: MakeProject) -> None:
    content = HEAD + "1,a,1990-01-01\n2,b\n3,c,1990-01-01,extra\n4,d,1990-01-01\n"
    root = make_project(PROFILES.format(path="data/crm.csv"), {"data/crm.csv": content})
    assert ingest_one(root) == {"received": 4, "loaded": 2, "quarantined": 2, "skipped": 0}
    lines = {r["line"]: r["reason"] for r in quarantined(root)}
    assert set(lines) == {3, 4}
    assert "fewer fields" in str(lines[3]) and "more fields" in str(lines[4])


def test_loaded_rows_after_rejected_ones_keep_their_true_line(make_project: MakeProject) -> None:
    content = HEAD + "1,a,1990-01-01\n2,b\n3,c,bad-date\n4,d\n5,e,oops\n"
    root = make_project(PROFILES.format(path="data/crm.csv"), {"data/crm.csv": content})
    ingest_one(root)
    assert sorted(int(str(r["line"])) for r in quarantined(root)) == [3, 4, 5, 6]


def test_unterminated_quote_is_quarantined_not_fatal(make_project: MakeProject) -> None:
    content = HEAD + '1,a,1990-01-01\n2,"b,1990-01-01\n3,c,1990-01-01\n'
    root = make_project(PROFILES.format(path="data/crm.csv"), {"data/crm.csv": content})
    counts = ingest_one(root)
    assert counts["loaded"] == 1 and counts["quarantined"] == 1
    (bad,) = quarantined(root)
    assert "never closed" in str(bad["reason"]) and bad["line"] == 3


def test_a_3mb_field_loads_whole(make_project: MakeProject) -> None:
    big = "x" * 3_000_000
    content = HEAD + f'1,"{big}",1990-01-01\n2,b,1990-01-02\n'
    root = make_project(PROFILES.format(path="data/crm.csv"), {"data/crm.csv": content})
    assert ingest_one(root)["loaded"] == 2
    with Project.open(root) as project:
        assert project.engine.fetch_all("select max(length(name)) from raw_profiles")[0][0] == 3e6


def test_mixed_types_in_a_numeric_column(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: orders
          kind: transactions
          path: data/o.csv
          columns:
            customer_key: user
            order_id: no
            timestamp: at
            amount: amount
        """,
        {"data/o.csv": 'user,no,at,amount\nC1,1,2023-01-01,"¥1,234.50"\nC1,2,2023-01-01,"12,5O"\n'},
    )
    assert ingest_one(root) == {"received": 2, "loaded": 1, "quarantined": 1, "skipped": 0}
    (bad,) = quarantined(root)
    assert bad["column"] == "amount" and bad["value"] == "12,5O"
    assert "'12,5O' is not a number" in str(bad["reason"])


def test_unparseable_date_names_line_column_value_and_formats(make_project: MakeProject) -> None:
    root = make_project(
        PROFILES.format(path="data/crm.csv"), {"data/crm.csv": HEAD + "1,a,不详\n2,b,1990-13-45\n"}
    )
    assert ingest_one(root)["quarantined"] == 2
    first, second = quarantined(root)
    assert (first["line"], first["column"], first["value"]) == (2, "born", "不详")
    assert "2023年1月5日" in str(first["reason"])
    assert second["value"] == "1990-13-45"


def test_duplicate_header_names(make_project: MakeProject) -> None:
    content = "id,name,name,born\n1,a,b,1990-01-01\n"
    root = make_project(PROFILES.format(path="data/crm.csv"), {"data/crm.csv": content})
    (error,) = errors_of(root)
    assert "'name'" in error and "appears more than once" in error and "name_2" in error
    fixed = make_project(
        PROFILES.format(path="data/crm.csv").replace("name: name", "name: name_2"),
        {"data/crm.csv": content},
    )
    assert ingest_one(fixed)["loaded"] == 1


def test_empty_file_is_an_error(make_project: MakeProject) -> None:
    root = make_project(PROFILES.format(path="data/crm.csv"), {"data/crm.csv": ""})
    (error,) = errors_of(root)
    assert "empty" in error and "re-export" in error


def test_header_only_file_loads_nothing(make_project: MakeProject) -> None:
    root = make_project(PROFILES.format(path="data/crm.csv"), {"data/crm.csv": HEAD})
    assert ingest_one(root) == {"received": 0, "loaded": 0, "quarantined": 0, "skipped": 0}


def test_mapping_to_a_missing_column_lists_columns_and_suggests(make_project: MakeProject) -> None:
    root = make_project(
        PROFILES.format(path="data/crm.csv").replace("name: name", "name: nmae"),
        {"data/crm.csv": HEAD + "1,a,1990-01-01\n"},
    )
    (error,) = errors_of(root)
    assert "'nmae'" in error and "did you mean 'name'" in error
    assert "available columns: id, name, born" in error


def test_missing_required_field(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: events
          kind: events
          path: data/e.csv
          columns:
            device_id: d
        """,
        {"data/e.csv": "d,what\nx,view\n"},
    )
    (error,) = errors_of(root)
    assert "required field 'event'" in error and "required field 'timestamp'" in error


def test_required_value_missing_in_a_row(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: events
          kind: events
          path: data/e.csv
          columns: {device_id: d, event: e, timestamp: t}
        """,
        {"data/e.csv": "d,e,t\nx,view,2023-01-01\nx,,2023-01-01\nx,view,\n,view,2023-01-01\n"},
    )
    assert ingest_one(root) == {"received": 4, "loaded": 1, "quarantined": 3, "skipped": 0}
    reasons = [str(r["reason"]) for r in quarantined(root)]
    assert "required field event" in reasons[0]
    assert "required field timestamp" in reasons[1]
    assert "no identifier" in reasons[2]


def test_malformed_json_lines_are_quarantined(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: events
          kind: events
          path: data/e.jsonl
          columns: {device_id: d, event: e, timestamp: t}
        """,
        {"data/e.jsonl": '{"d":"x","e":"v","t":"2023-01-01"}\n{"d":"x","e":\n[1,2]\n'},
    )
    assert ingest_one(root) == {"received": 3, "loaded": 1, "quarantined": 2, "skipped": 0}
    bad = quarantined(root)
    assert [b["line"] for b in bad] == [2, 3]
    assert "not valid JSON" in str(bad[0]["reason"]) and "not an object" in str(bad[1]["reason"])


def test_yaml_key_typo_reports_line_and_suggestion(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: crm
          kind: profile
          path: data/crm.csv
          colums:
            customer_key: id
        """
    )
    with pytest.raises(ConfigError) as info:
        Project.open(root)
    message = str(info.value)
    assert "2 problems" in message
    assert "line 4, sources[0].kind" in message and "did you mean 'profiles'" in message
    assert "line 6, sources[0].colums: unknown key 'colums'; did you mean 'columns'" in message


def test_refused_database_connection(make_project: MakeProject) -> None:
    root = make_project(
        """
        - name: orders
          kind: transactions
          url: postgresql://u:topsecret@127.0.0.1:9/shop
          table: orders
        """
    )
    (error,) = errors_of(root)
    assert "127.0.0.1:9" in error and "refused" in error
    assert "topsecret" not in error


@pytest.mark.parametrize("bad_rows", [1, 7, 1200], ids=["one", "a-few", "over-1000"])
def test_every_row_keeps_its_true_line_around_rejected_ones(
    make_project: MakeProject, bad_rows: int
) -> None:
    rng = random.Random(bad_rows)
    total = 3000
    bad = set(rng.sample(range(total), bad_rows))
    lines = [HEAD.rstrip("\n")]
    for i in range(total):
        line_no = i + 2
        if i in bad:
            lines.append(f"{line_no},ragged")  # too few fields: rejected by the parser
        elif i % 97 == 0:
            lines.append(f"{line_no},n,not-a-date")  # parsed, then quarantined by validation
        else:
            lines.append(f"{line_no},n,1990-01-01")
    root = make_project(PROFILES.format(path="data/crm.csv"), {"data/crm.csv": "\n".join(lines)})
    counts = ingest_one(root)
    assert counts["received"] == total
    with Project.open(root) as project:
        loaded = project.engine.fetch_all("select customer_key, _line from raw_profiles")
        quarantine = project.engine.fetch_all("select line, record from quarantine")
    assert loaded and all(int(key) == line for key, line in loaded)
    assert len(quarantine) == counts["quarantined"]
    for line, record in quarantine:  # each record starts with its own line number
        first_number = re.search(r"\d+", str(record))
        assert first_number is not None and int(first_number.group()) == line, (line, record)


@pytest.mark.parametrize("bad_lines", [3, 1100], ids=["few", "over-1000"])
def test_json_lines_keep_their_true_line_around_rejected_ones(
    make_project: MakeProject, bad_lines: int
) -> None:
    rng = random.Random(bad_lines)
    total = 2500
    bad = set(rng.sample(range(total), bad_lines))
    rows = []
    for i in range(total):
        line = i + 1
        # a unit separator splits the line for the reader: rejected before JSON parsing
        key = f"{line}\x1f" if i in bad else str(line)
        rows.append(f'{{"d": "{key}", "e": "v", "t": "2023-01-01"}}')
    root = make_project(
        """
        - name: events
          kind: events
          path: data/e.jsonl
          columns: {device_id: d, event: e, timestamp: t}
        """,
        {"data/e.jsonl": "\n".join(rows) + "\n"},
    )
    counts = ingest_one(root)
    assert counts["received"] == total and counts["quarantined"] == bad_lines
    with Project.open(root) as project:
        loaded = project.engine.fetch_all("select device_id, _line from raw_events")
        lines = sorted(int(r[0]) for r in project.engine.fetch_all("select line from quarantine"))
    assert all(int(key) == line for key, line in loaded)
    assert lines == sorted(i + 1 for i in bad)
