"""`generate_demo`: write a complete, realistic demo project with its ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from persona.demo.activity import simulate
from persona.demo.archetypes import ARCHETYPES
from persona.demo.crm import write_crm
from persona.demo.ledger import QuarantineLedger
from persona.demo.members import write_members
from persona.demo.people import make_population
from persona.demo.project import persona_yaml
from persona.demo.relations import build_graph, write_relations
from persona.demo.survey import write_survey
from persona.demo.truth import README, write_customers, write_identity

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo` wrote.

    Attributes:
        out_dir: The project folder.
        config_path: Its persona.yaml.
        truth_dir: The folder with the ground truth.
        customers: True people drawn.
        profile_rows: Rows per profile source (``crm``, ``members``), bad rows included.
        events: Event lines over all daily files, bad and repeated lines included.
        event_files: Daily event files.
        orders: Order rows.
        answers: Survey answer rows.
        relations: Relation rows.
        archetypes: People per archetype key.
    """

    out_dir: Path
    config_path: Path
    truth_dir: Path
    customers: int
    profile_rows: dict[str, int] = field(default_factory=dict)
    events: int = 0
    event_files: int = 0
    orders: int = 0
    answers: int = 0
    relations: int = 0
    archetypes: dict[str, int] = field(default_factory=dict)


def generate_demo(out_dir: Path, customers: int, seed: int = 7, lang: str = "zh") -> DemoSummary:
    """Write a demo project: persona.yaml, messy source files in data/, ground truth in truth/.

    The same arguments always give byte-identical files. Existing demo files in `out_dir` are
    replaced; other files are left alone.

    Args:
        out_dir: The project folder to write (created if needed).
        customers: How many true people to draw; events, orders and the rest scale with it
            (about 20 events and 5 orders per person).
        seed: The random seed.
        lang: ``zh`` (Chinese values, GBK CRM export with Chinese headers) or ``en``.

    Returns:
        The paths and row counts written.

    Raises:
        ValueError: for an unknown language or fewer than one customer.

    Example:
        >>> summary = generate_demo(Path("demo"), customers=2000)  # doctest: +SKIP
        >>> summary.profile_rows["crm"]  # doctest: +SKIP
        1844
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use zh or en")
    if customers < 1:
        raise ValueError(f"customers must be at least 1, not {customers}")
    out = Path(out_dir)
    data, truth = out / "data", out / "truth"
    for stale in (data / "events").glob("events_*.jsonl"):
        stale.unlink()  # a previous demo's days must not linger among the new ones
    data.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    ledger = QuarantineLedger()

    population = make_population(customers, np.random.default_rng([seed, 1]))
    keys, crm_identity = write_crm(out, population, np.random.default_rng([seed, 2]), lang, ledger)
    members_identity = write_members(
        out, population, np.random.default_rng([seed, 3]), lang, ledger
    )
    activity = simulate(out, population, keys, lang, seed, ledger)
    survey = write_survey(out, population, keys, np.random.default_rng([seed, 4]), lang, ledger)
    graph = build_graph(population, np.random.default_rng([seed, 6]))
    relations = write_relations(
        out, population, graph, keys, np.random.default_rng([seed, 8]), lang, ledger
    )

    config = out / "persona.yaml"
    config.write_text(persona_yaml(customers, seed, lang), encoding="utf-8")
    write_customers(
        truth / "customers.csv", population, keys, activity, survey.respondent, graph, lang
    )
    write_identity(truth, population, [crm_identity, members_identity])
    ledger.write(truth / "quarantine.json")
    (truth / "README.md").write_text(README, encoding="utf-8")
    counts = np.bincount(population.archetype, minlength=len(ARCHETYPES))
    return DemoSummary(
        out_dir=out,
        config_path=config,
        truth_dir=truth,
        customers=customers,
        profile_rows={name: ledger.source(name).received for name in ("crm", "members")},
        events=activity.events,
        event_files=activity.event_files,
        orders=activity.orders,
        answers=survey.answers,
        relations=relations,
        archetypes={a.key: int(n) for a, n in zip(ARCHETYPES, counts, strict=True)},
    )
