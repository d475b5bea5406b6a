"""Profile-derived features: age, gender, place, city tier, tenure and data-kind coverage.

Read from the unified `customers` table (survivorship already chose each attribute) and, for
tenure, the first paid order of the transactions family.
"""

from __future__ import annotations

from persona.model.geo_cn import CITY_TIERS
from persona.model.kinds import Kind
from persona.pipeline.features.records import CUSTOMERS, ONLY, FeatureContext

TABLE = "_ff_family_profile"
TIERS = "_ff_city_tiers"


def build_profile(ctx: FeatureContext, transactions: str) -> str:
    """Create the family's temp table (one row per customer, in `ONLY` if a refresh); return it.

    Args:
        ctx: The feature context.
        transactions: The transactions family's table (for the first paid order).
    """
    engine = ctx.engine
    engine.drop(TIERS)
    engine.execute(f"create temp table {TIERS} (city varchar, tier integer)")
    engine.insert_rows(TIERS, sorted(CITY_TIERS.items()))
    as_of_date = ctx.as_of_date_sql
    # Completed years: one less when the birthday has not come yet in the as-of year.
    age = (
        f"case when c.birth_date is not null and c.birth_date <= {as_of_date} then "
        f"year({as_of_date}) - year(c.birth_date) - case when strftime({as_of_date}, '%m%d') "
        "< strftime(c.birth_date, '%m%d') then 1 else 0 end else c.age end"
    )
    registered = f"case when c.registered_at <= {ctx.as_of_sql} then c.registered_at end"
    start = ctx.local(f"least({registered}, t.first_order_at)")
    coverage = ", ".join(f"c.has_{kind.value}" for kind in Kind)
    engine.drop(TABLE)
    engine.execute(
        f"create temp table {TABLE} as select k.cid, cast({age} as integer) as age, "
        "c.gender, c.city, c.province, g.tier as city_tier, "
        f"{ctx.days_before(start)} as tenure_days, {coverage} "
        f"from customers c join {CUSTOMERS} k on k.customer_id = c.customer_id "
        f"left join {TIERS} g on g.city = c.city left join {transactions} t on t.cid = k.cid"
        + (f" where k.cid in (select cid from {ONLY})" if ctx.only else "")
    )
    engine.drop(TIERS)
    return TABLE
