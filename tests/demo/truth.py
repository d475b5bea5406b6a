"""The demo's planted truth, joined to a built demo project's customers."""

from __future__ import annotations

import pandas as pd

from persona import Project


def customer_archetypes(project: Project) -> pd.Series:
    """customer_id -> the archetype of the true people merged into it (when they share one).

    Reads the demo's truth files (``truth/customers.csv``, ``truth/identity.csv``) next to
    the project and follows each customer's CRM keys and member numbers to the true people.
    """
    keys = project.engine.fetch_df(
        "select customer_id, 'crm' as source, unnest(customer_keys) as customer_key "
        "from customers union all "
        "select customer_id, 'members', unnest(member_nos) from customers"
    )
    truth = pd.read_csv(project.root / "truth/customers.csv", usecols=["person_id", "archetype"])
    identity = pd.read_csv(project.root / "truth/identity.csv", dtype=str)
    people = keys.merge(identity, on=["source", "customer_key"]).merge(
        truth, left_on="entity_id", right_on="person_id"
    )
    owner = people.groupby("customer_id")["archetype"].agg(["first", "nunique"])
    return owner.loc[owner["nunique"] == 1, "first"].rename("archetype")
