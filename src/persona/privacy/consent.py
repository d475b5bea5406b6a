"""Consent per purpose, read from the data (``customers.consent_<purpose>``).

A consent flag is true (agreed), false (refused) or null (unknown), and unknown counts as
allowed: only an explicit refusal leaves a customer out. What each purpose gates:

- ``profiling``: refusers are left out of segments and models and keep only their basic
  (demographics) tags; the others are null for them (the tags stage).
- ``marketing``: refusers are left out of audiences and their exports (unless asked).
- ``analytics``: refusers are left out of row-level data handed out for analysis
  (`persona customers export`); aggregates that are shown only from k customers up are
  anonymous statistics and still count everyone (docs/decisions.md).

Every result that leaves people out says how many.
"""

from __future__ import annotations

from persona.engine.base import Engine

PURPOSES = ("analytics", "profiling", "marketing")
BASIC_CATEGORY = "demographics"
"""The tag category (基础属性) profiling refusers keep."""


def consent_column(purpose: str) -> str:
    """The customers column of a purpose, e.g. ``consent_profiling``.

    Raises:
        ValueError: for a purpose not in `PURPOSES` (a programming error).
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}; use one of {PURPOSES}")
    return f"consent_{purpose}"


def refused_sql(purpose: str, alias: str | None = None) -> str:
    """SQL: the customer refused the purpose (an explicit false; null is allowed)."""
    column = consent_column(purpose)
    return f"{alias + '.' if alias else ''}{column} is false"


def refused(engine: Engine, purpose: str) -> int:
    """How many customers refused a purpose (0 before a build)."""
    if not engine.table_exists("customers"):
        return 0
    return int(
        engine.fetch_all(f"select count(*) from customers where {refused_sql(purpose)}")[0][0]
    )


def exported_sql(include_opted_out: bool, alias: str | None = None) -> str:
    """SQL: the customer may be in a customer export.

    That is: they allow analytics, and marketing too unless `include_opted_out`.
    """
    allowed = f"not ({refused_sql('analytics', alias)})"
    if include_opted_out:
        return allowed
    return f"{allowed} and not ({refused_sql('marketing', alias)})"


def left_out(engine: Engine, include_opted_out: bool) -> dict[str, int]:
    """Customers a customer export leaves out, by reason.

    ``analytics_refused``, and ``marketing_opt_out``: those who refused marketing but not
    analytics (0 when `include_opted_out`).
    """
    analytics = refused(engine, "analytics")
    marketing = 0
    if not include_opted_out and engine.table_exists("customers"):
        marketing = int(
            engine.fetch_all(
                f"select count(*) from customers where {refused_sql('marketing')} "
                f"and not ({refused_sql('analytics')})"
            )[0][0]
        )
    return {"analytics_refused": analytics, "marketing_opt_out": marketing}
