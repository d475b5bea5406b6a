"""RFM on a real invoice file (a sample of UCI Online Retail) against an independent pandas count.

The file (tests/data/README.md) has credit notes (invoices `C...` with negative quantities) and
lines without a customer (`NA`). Every customer's `recency_days`, `frequency` and `monetary` at an
as-of time inside the data must equal a computation straight from the CSV under the convention of
docs/features.md ("Transactions: returns, cancellations and refunds").
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from persona import Project
from tests.conftest import MakeProject

DATA = Path(__file__).resolve().parents[1] / "data" / "online_retail_sample.csv"
TIMEZONE = "Europe/London"
AS_OF = datetime(2011, 9, 30, 23, 59, tzinfo=ZoneInfo(TIMEZONE))
RETAIL = """
- name: retail
  kind: transactions
  path: data/online_retail_sample.csv
  day_first: false  # 10/31/2011 10:42
  columns: {order_id: InvoiceNo, customer_key: CustomerID, item: StockCode, quantity: Quantity,
            unit_price: UnitPrice, timestamp: InvoiceDate}
"""
CUSTOMER_LIST = """
- name: crm
  kind: profiles
  path: data/customers.csv
  columns: {customer_key: CustomerID}
"""


class Rfm(NamedTuple):
    recency_days: int | None
    frequency: int
    monetary: float


def independent_rfm(path: Path, as_of: datetime) -> dict[str, Rfm]:
    """Each customer's RFM at `as_of`, from the CSV with pandas (docs/features.md).

    A line's value is unit_price x quantity; a negative value is a refund line (a credit note),
    anything else a paid line (the file has no status). An order is the lines of one invoice of
    one customer; it is paid with a paid line, at its first paid line's time.
    """
    lines = pd.read_csv(path, dtype=str, keep_default_na=False)
    lines = lines[lines["CustomerID"] != "NA"]  # R writes a missing customer as NA
    keys = set(lines["CustomerID"])
    when = pd.to_datetime(lines["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.tz_localize(TIMEZONE)
    value = lines["UnitPrice"].astype(float) * lines["Quantity"].astype(float)
    lines = lines.assign(when=when, value=value)[when <= pd.Timestamp(as_of)]
    paid = lines[lines["value"] >= 0]
    refunds = lines[lines["value"] < 0]
    orders = paid.groupby(["CustomerID", "InvoiceNo"])["when"].min().groupby("CustomerID")
    frequency, last = orders.size(), orders.max()
    money = (
        paid.groupby("CustomerID")["value"]
        .sum()
        .add(refunds.groupby("CustomerID")["value"].sum(), fill_value=0)
    )
    return {
        key: Rfm(
            (as_of.date() - last[key].date()).days if key in last.index else None,
            int(frequency.get(key, 0)),
            float(money.get(key, 0.0)),
        )
        for key in keys
    }


def persona_rfm(root: Path) -> tuple[dict[str, int], dict[str, Rfm]]:
    """Build at `AS_OF`; return the retail source's ingest counts and each customer's RFM."""
    with Project.open(root) as project:
        result = project.build(as_of=AS_OF)
        assert result.features.as_of == AS_OF
        (report,) = [r for r in result.ingest.to_dict("records") if r["name"] == "retail"]
        assert not report["errors"], report["errors"]
        counts = {k: int(report[k]) for k in ("received", "loaded", "quarantined", "skipped")}
        counts["no_customer"] = project.engine.fetch_all(
            "select count(*) from raw_transactions where customer_key = 'NA'"
        )[0][0]
        rows = project.engine.fetch_all(
            "select c.customer_keys, f.recency_days, f.frequency, f.monetary "
            "from features f join customers c using (customer_id)"
        )
    assert all(len(keys) == 1 for keys, *_ in rows)
    return counts, {keys[0]: Rfm(*rfm) for keys, *rfm in rows}


def assert_same_rfm(got: dict[str, Rfm], expected: dict[str, Rfm]) -> None:
    assert set(got) == set(expected), (
        f"{len(expected)} customers expected, {len(got)} built; "
        f"missing e.g. {sorted(set(expected) - set(got))[:5]}"
    )
    wrong = [
        (key, expected[key], got[key])
        for key in sorted(expected)
        if got[key].recency_days != expected[key].recency_days
        or got[key].frequency != expected[key].frequency
        or not math.isclose(got[key].monetary, expected[key].monetary, rel_tol=1e-9, abs_tol=1e-9)
    ]
    assert not wrong, f"{len(wrong)} customers differ (key, expected, got): {wrong[:5]}"


@pytest.fixture(scope="module")
def expected() -> dict[str, Rfm]:
    rfm = independent_rfm(DATA, AS_OF)
    # The sample exercises the convention: customers with no order yet, refunds past purchases.
    assert len(rfm) == 1171
    assert sum(r.recency_days is None for r in rfm.values()) == 329
    assert sum(r.monetary < 0 for r in rfm.values()) == 19
    return rfm


def check_counts(counts: dict[str, int]) -> None:
    assert counts == {
        "received": 2709,
        "loaded": 2709,
        "quarantined": 0,
        "skipped": 0,
        "no_customer": 668,  # loaded with customer_key NA, a placeholder that ties to nobody
    }
    assert counts["received"] == counts["loaded"] + counts["quarantined"] + counts["skipped"]


def test_rfm_from_the_invoice_file_alone(
    make_project: MakeProject, expected: dict[str, Rfm]
) -> None:
    root = make_project(
        RETAIL,
        {"data/online_retail_sample.csv": DATA.read_bytes()},
        timezone=TIMEZONE,
        identity="{probabilistic: false}",
    )
    counts, got = persona_rfm(root)
    check_counts(counts)
    assert_same_rfm(got, expected)


def test_rfm_with_a_customer_list(make_project: MakeProject, expected: dict[str, Rfm]) -> None:
    """The same file with the shop's list of customer numbers as a profiles source."""
    root = make_project(
        CUSTOMER_LIST + RETAIL,
        {
            "data/online_retail_sample.csv": DATA.read_bytes(),
            "data/customers.csv": "CustomerID\n" + "\n".join(sorted(expected)) + "\n",
        },
        timezone=TIMEZONE,
        identity="{probabilistic: false}",
    )
    counts, got = persona_rfm(root)
    check_counts(counts)
    assert_same_rfm(got, expected)
