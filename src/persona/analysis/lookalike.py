"""Lookalike audiences: the N customers most like a seed audience, with an honest precision.

A logistic regression tells seed members from the other customers. It is fitted in Python
on a sample (every feature standardised after clipping to its 1st-99th percentiles, plus
one-hot columns of a few categorical features), then turned into one SQL expression over the
`features` table, built from quoted column names and literal numbers only, so every customer
is scored inside the engine (DESIGN.md section 6). The N best-scoring customers outside the
seed are the lookalike.

A random 20% of the seed is held out of training. From it come:

- ``expected_precision``: the share of the N chosen customers expected to really be like the
  seed. The other customers are unlabelled (some are seed-like, we do not know which), so the
  model learns P(in seed | features); scaled by the average of that over the held-out members
  (Elkan and Noto, 2008: the share of seed-like customers that are in the seed), it becomes
  P(seed-like | features), each chosen customer's ``score``. Their average is the expected
  precision. It assumes the seed is a fair sample of the kind of customer wanted.
- ``holdout_recall``: the share of the held-out members that score at least as well as the
  N-th chosen customer: "of seed members the model never saw, this share would have made
  the list".
- ``auc``: how often a held-out member outranks a candidate (0.5 chance, 1 perfect); the
  candidates include undiscovered lookalikes, so the true AUC is at least this.

Customers who refused profiling (``consent_profiling`` false) are neither trained on nor
chosen; customers who refused marketing are not chosen. The counts left out are reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from persona.analysis import saved
from persona.engine.base import quote_identifier, quote_literal
from persona.export import write_frame
from persona.model.errors import ProjectError
from persona.pipeline.features import feature_catalog
from persona.pipeline.segments.evidence import CATEGORY_LABELS, FEATURE_TEXT
from persona.privacy import audit
from persona.privacy.kanon import shown_count
from persona.privacy.registry import register_export

if TYPE_CHECKING:
    from persona.project import Project

SEED, POOL, CHOSEN = "_lookalike_seed", "_lookalike_pool", "_lookalike"
MIN_SEED = 20
"""Seed members who allow profiling needed: 16 to learn from and 4 to hold out."""
HOLDOUT = 0.2
TRAIN_POSITIVES, TRAIN_NEGATIVES = 20_000, 50_000
"""At most this many seed members and other customers are fitted on (a seeded sample)."""
CATEGORICAL = (
    "gender",
    "top_category",
    "top_channel",
    "top_event_channel",
    "top_payment_method",
    "first_order_channel",
)
"""Text features used as one-hot columns (their most common values)."""
LEVELS, MIN_LEVEL_SHARE = 8, 0.01
CODES = ("top_hour", "top_weekday")
"""Numeric features that are codes, not amounts: not used."""
TOP_FEATURES = 5
FOLDS = (0, 1)
"""Cross-fitting folds of the customers outside the seed (by their seeded draw)."""
REGULARISATION = 0.1
"""Inverse strength of the L2 penalty: strong, as seeds are often small and features many."""
FIELDS = ["customer_id", "customer_key", "score", "rank"]


@dataclass(frozen=True)
class Term:
    """One standardised model input: a numeric feature, or one value of a text feature.

    Attributes:
        feature: The `features` column.
        level: The value of a text feature this term flags, None for a numeric feature.
        low: The 1st percentile a numeric value is clipped to (0 for a flag).
        high: The 99th percentile (1 for a flag).
        mean: The training mean after clipping.
        scale: The training standard deviation after clipping (> 0).
    """

    feature: str
    level: str | None
    low: float
    high: float
    mean: float
    scale: float

    def values(self, frame: pd.DataFrame) -> np.ndarray:
        """The standardised term of every row of a sample (missing values at the mean)."""
        column = frame[self.feature]
        if self.level is not None:
            raw = (column.astype("string") == self.level).fillna(False).astype(float)
        else:
            raw = pd.to_numeric(column.astype("Float64"), errors="coerce")
        clipped = raw.astype(float).clip(self.low, self.high)
        return ((clipped - self.mean) / self.scale).fillna(0.0).to_numpy(dtype=float)

    def sql(self, alias: str) -> str:
        """The same term as SQL over a features row (names quoted, numbers literal)."""
        column = f"{alias}.{quote_identifier(self.feature)}"
        if self.level is not None:
            raw = f"(case when {column} = {quote_literal(self.level)} then 1.0 else 0.0 end)"
        else:
            raw = f"cast({column} as double)"
        clipped = f"least(greatest({raw}, {_number(self.low)}), {_number(self.high)})"
        return f"coalesce(({clipped} - {_number(self.mean)}) / {_number(self.scale)}, 0.0)"


@dataclass(frozen=True)
class LookalikeResult:
    """A lookalike audience.

    Attributes:
        summary: The JSON-ready facts (see `lookalike`).
        members: The chosen customers: customer_id, customer_key, score, rank (1 = best).
    """

    summary: dict[str, Any]
    members: pd.DataFrame = field(repr=False)


def lookalike(project: Project, seed: str, size: int, *, random_state: int = 0) -> LookalikeResult:
    """The `size` customers outside a seed audience who are most like its members.

    Args:
        project: An open, built project.
        seed: An expression, or the name of a saved audience.
        size: How many customers to choose (at least 1).
        random_state: Seed of the hold-out split and the training sample; the same value
            gives the same result.

    Returns:
        The chosen customers and a summary: ``{"audience", "expression", "size",
        "requested", "random_state", "seed": {"members", "training", "held_out"},
        "candidates", "expected_precision", "holdout_recall", "auc", "features": [{"feature",
        "value", "label_zh", "label_en", "weight", "seed_mean", "others_mean"}], "k",
        "left_out": {"profiling_refused", "marketing_opt_out"}}``; counts below k are None.

    Raises:
        ProjectError: `size` is not positive; the seed has fewer than `MIN_SEED` members who
            allow profiling, or no customer is left to choose from; before a build.
        ExpressionError: the expression is invalid.

    Example:
        >>> # lookalike(project, "segment = '高价值活跃'", 500).summary["expected_precision"]
    """
    if size < 1:
        raise ProjectError(f"--size {size}: ask for at least 1 customer")
    name, expression = saved.resolve(project.engine, seed)
    engine, k = project.engine, project.config.privacy.k
    project.audiences.select_into(expression, SEED, include_opted_out=True)
    counts = _make_pool(project, random_state)
    usable = counts["seed"] - counts["seed_refused"]
    if usable < MIN_SEED:
        seen = shown_count(usable, k)
        raise ProjectError(
            f"seed {seed!r} has {seen if seen is not None else f'fewer than {k}'} customers who "
            f"allow profiling; a lookalike needs at least {MIN_SEED}: widen the expression"
        )
    if counts["candidates"] == 0:
        raise ProjectError(f"seed {seed!r}: every customer who may be chosen is in the seed")
    sample, rates = _training_sample(project)
    terms = _terms(sample)
    models = [_fit(sample, terms, fold, rates) for fold in FOLDS]
    # Cross-fitting: a customer is scored by the model fitted without their fold, so no one
    # is scored by a model that learned them as "not in the seed".
    linear = (
        f"case when p.draw % {len(FOLDS)} = 0 then {_linear(terms, *models[0])} "
        f"else {_linear(terms, *models[1])} end"
    )
    weights = [(a + b) / 2 for a, b in zip(models[0][0], models[1][0], strict=True)]
    facts = _score(project, linear, size)
    members = engine.fetch_df(
        f"select l.customer_id, c.customer_keys[1] as customer_key, l.score, l.rank "
        f"from {CHOSEN} l join customers c on c.customer_id = l.customer_id order by l.rank"
    )
    summary = {
        "audience": name,
        "expression": expression,
        "size": len(members),
        "requested": size,
        "random_state": random_state,
        "seed": {
            "members": shown_count(usable, k),
            "training": shown_count(counts["seed_training"], k),
            "held_out": shown_count(usable - counts["seed_training"], k),
        },
        "candidates": shown_count(counts["candidates"], k),
        **facts,
        "features": _top_features(terms, weights, sample, k),
        "k": k,
        "left_out": {
            "profiling_refused": shown_count(counts["refused"], k),
            "marketing_opt_out": shown_count(counts["opted_out"], k),
        },
    }
    return LookalikeResult(summary, members)


def _make_pool(project: Project, random_state: int) -> dict[str, int]:
    """Make temp `POOL`: every customer with a role (train, holdout, other, refused).

    ``other`` customers (not in the seed, allowing profiling) are the negatives of training;
    those who did not refuse marketing are the candidates.
    """
    engine = project.engine
    engine.execute(
        f"create or replace temp table {POOL} as with base as (select f.customer_id, "
        "s.customer_id is not null as in_seed, coalesce(c.consent_profiling, true) as allowed, "
        "coalesce(c.consent_marketing = false, false) as opted_out, "
        "hash(f.customer_id || ?) as draw from features f "
        "join customers c on c.customer_id = f.customer_id "
        f"left join {SEED} s on s.customer_id = f.customer_id) "
        "select customer_id, opted_out, draw, case when not allowed then 'refused' "
        "when not in_seed then 'other' when row_number() over (partition by in_seed, allowed "
        "order by draw, customer_id) <= ceil(count(*) over (partition by in_seed, allowed) * ?) "
        "then 'holdout' else 'train' end as role, in_seed from base",
        [str(random_state), HOLDOUT],
    )
    row = engine.fetch_all(
        "select count(*) filter (where in_seed), count(*) filter (where in_seed and role = "
        "'refused'), count(*) filter (where role = 'train'), count(*) filter (where role = "
        "'refused'), count(*) filter (where role = 'other' and opted_out), count(*) filter "
        f"(where role = 'other' and not opted_out) from {POOL}"
    )[0]
    keys = ("seed", "seed_refused", "seed_training", "refused", "opted_out", "candidates")
    return dict(zip(keys, (int(v) for v in row), strict=True))


def _training_sample(project: Project) -> tuple[pd.DataFrame, dict[str, float]]:
    """A seeded sample of training members (``_y`` 1) and other customers (``_y`` 0).

    Returns:
        The sample with every feature and its ``_fold``, and the share of the population each
        part of it holds: ``"train"`` for the training members, the fold number for others.
    """
    engine = project.engine
    folds = len(FOLDS)
    totals = {
        str(part): int(n)
        for part, n in engine.fetch_all(
            f"select case when role = 'train' then 'train' else (draw % {folds})::VARCHAR end, "
            f"count(*) from {POOL} where role in ('train', 'other') group by 1"
        )
    }
    sample = engine.fetch_df(
        f"select f.*, (p.role = 'train')::INTEGER as _y, p.draw % {folds} as _fold from "
        f"(select * from {POOL} where role in ('train', 'other') qualify row_number() over "
        "(partition by role order by draw, customer_id) <= case when role = 'train' then ? "
        "else ? end) p join features f on f.customer_id = p.customer_id "
        "order by p.role, p.draw, p.customer_id",
        [TRAIN_POSITIVES, TRAIN_NEGATIVES],
    )
    rates = {"train": int(sample["_y"].sum()) / totals["train"]}
    for fold in FOLDS:
        taken = int(((sample["_y"] == 0) & (sample["_fold"] == fold)).sum())
        rates[str(fold)] = taken / totals[str(fold)] if totals.get(str(fold)) else 0.0
    return sample, rates


def _terms(sample: pd.DataFrame) -> list[Term]:
    """The model's inputs: usable numeric features and the common values of a few text ones."""
    terms: list[Term] = []
    for column in sample.columns:
        if column in ("customer_id", "_y", "_fold", *CODES):
            continue
        values = sample[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            numbers = pd.to_numeric(values.astype("Float64"), errors="coerce").astype(float)
            known = numbers.dropna()
            if known.empty:
                continue
            low, high = float(known.quantile(0.01)), float(known.quantile(0.99))
            terms += _standardised(column, None, numbers.clip(low, high), low, high)
        elif column in CATEGORICAL:
            text = values.astype("string")
            common = text.value_counts().head(LEVELS)
            for level, count in common.items():
                if count >= max(5, MIN_LEVEL_SHARE * len(sample)):
                    flags = (text == level).fillna(False).astype(float)
                    terms += _standardised(column, str(level), flags, 0.0, 1.0)
    if not terms:
        raise ProjectError("no numeric features to learn from: run `persona build` first")
    return terms


def _standardised(
    column: str, level: str | None, values: pd.Series, low: float, high: float
) -> list[Term]:
    """The term of a clipped column, or none when it does not vary."""
    mean, scale = float(values.mean()), float(values.std(ddof=0))
    if not math.isfinite(scale) or scale < 1e-9:
        return []
    return [Term(column, level, low, high, mean, scale)]


def _fit(
    sample: pd.DataFrame, terms: list[Term], fold: int, rates: dict[str, float]
) -> tuple[list[float], float]:
    """Fit the model that scores `fold`: on the training members and the other folds' others.

    Returns:
        A weight per term and the intercept at the population's odds: the sample holds
        training members and others at different rates, so the intercept is moved back by
        the log of their ratio and the model gives P(in seed | features).
    """
    from sklearn.linear_model import LogisticRegression  # a 1 s import: only when fitting

    rows = (sample["_y"] == 1) | (sample["_fold"] != fold)
    fitted = sample[rows]
    if int((fitted["_y"] == 0).sum()) == 0:
        raise ProjectError("too few customers outside the seed to learn from")
    matrix = np.column_stack([t.values(fitted) for t in terms])
    model = LogisticRegression(C=REGULARISATION, max_iter=2000)
    model.fit(matrix, fitted["_y"].to_numpy())
    others = [rates[str(f)] for f in FOLDS if f != fold]
    correction = math.log(rates["train"] / (sum(others) / len(others)))
    return [float(w) for w in model.coef_[0]], float(model.intercept_[0]) - correction


def _linear(terms: list[Term], weights: list[float], intercept: float) -> str:
    """SQL of a model's log-odds over a features row ``f``."""
    parts = [f"{_number(w)} * {t.sql('f')}" for t, w in zip(terms, weights, strict=True)]
    return "(" + " + ".join([_number(intercept), *parts]) + ")"


def _score(project: Project, linear: str, size: int) -> dict[str, Any]:
    """Score every customer in the engine; temp `CHOSEN` gets the `size` best candidates.

    Returns:
        ``expected_precision``, ``holdout_recall`` and ``auc`` (see the module docstring).
    """
    engine = project.engine
    scores = "_lookalike_scores"
    engine.execute(
        f"create or replace temp table {scores} as select p.customer_id, p.role, p.opted_out, "
        f"{linear} as linear from {POOL} p join features f on f.customer_id = p.customer_id "
        "where p.role <> 'refused'"
    )
    found = float(
        engine.fetch_all(
            f"select avg(1 / (1 + exp(-linear))) from {scores} where role = 'holdout'"
        )[0][0]
    )
    engine.execute(
        f"create or replace temp table {CHOSEN} as select customer_id, "
        f"round(least(1.0, 1 / (1 + exp(-linear)) / ?), 6) as score, "
        "row_number() over (order by linear desc, customer_id) as rank, linear "
        f"from {scores} where role = 'other' and not opted_out "
        "order by linear desc, customer_id limit ?",
        [max(found, 1e-12), size],
    )
    # AUC = P(a held-out member outscores a candidate), ties counting half: per distinct
    # score, the candidates below it come from a running sum.
    precision, recall, auc = engine.fetch_all(
        f"select (select avg(score) from {CHOSEN}), (select avg((linear >= (select min(linear) "
        f"from {CHOSEN}))::INTEGER) from {scores} where role = 'holdout'), "
        "(select sum(held * (coalesce(below, 0) + tied / 2.0)) / (sum(held) * sum(tied)) "
        "from (select held, tied, sum(tied) over (order by linear rows between unbounded "
        "preceding and 1 preceding) as below from (select linear, count(*) filter (where "
        "role = 'holdout') as held, count(*) filter (where role = 'other') as tied from "
        f"{scores} where role = 'holdout' or (role = 'other' and not opted_out) "
        "group by linear)))"
    )[0]
    engine.drop(scores)
    return {
        "expected_precision": round(float(precision), 4),
        "holdout_recall": round(float(recall), 4),
        "auc": round(float(auc), 4),
    }


def _top_features(
    terms: list[Term], weights: list[float], sample: pd.DataFrame, k: int
) -> list[dict[str, Any]]:
    """The terms pushing customers most towards the seed, labelled, with seed and other means."""
    labels = {spec.name: (spec.description_zh, spec.description_en) for spec in feature_catalog()}
    labels |= {name: (zh, en) for name, (zh, en, _) in FEATURE_TEXT.items()}
    labels |= CATEGORY_LABELS
    seed, others = sample["_y"] == 1, sample["_y"] == 0
    ranked = sorted(zip(terms, weights, strict=True), key=lambda p: (-p[1], p[0].feature))
    top = []
    for term, weight in ranked[:TOP_FEATURES]:
        if weight <= 0:
            break
        zh, en = labels.get(term.feature, (term.feature, term.feature.replace("_", " ")))
        values = sample[term.feature]
        if term.level is not None:
            flags = (values.astype("string") == term.level).fillna(False)
            seed_value, other_value = flags[seed].mean(), flags[others].mean()
            zh, en = f"{zh} = {term.level}", f"{en} = {term.level}"
        else:
            numbers = pd.to_numeric(values.astype("Float64"), errors="coerce").astype(float)
            seed_value, other_value = numbers[seed].mean(), numbers[others].mean()
        enough = int(seed.sum()) >= k
        top.append(
            {
                "feature": term.feature,
                "value": term.level,
                "label_zh": zh,
                "label_en": en,
                "weight": round(weight, 4),
                "seed_mean": _mean(seed_value) if enough else None,
                "others_mean": _mean(other_value),
            }
        )
    return top


def _mean(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value), 4)


def _number(value: float) -> str:
    """A finite float as an SQL literal."""
    if not math.isfinite(value):
        raise ProjectError(f"the lookalike model produced a non-finite number ({value})")
    return f"CAST({value!r} AS DOUBLE)"


def export_lookalike(project: Project, result: LookalikeResult, path: Path) -> int:
    """Write the chosen customers to a file and record it in the export registry and audit log.

    The file holds customer_id, customer_key, score and rank (no direct identifiers); its
    format follows the suffix (csv, xlsx, jsonl, parquet).

    Returns:
        The export's id in the registry.

    Raises:
        ProjectError: the path cannot be written or has an unknown suffix.
    """
    rows = write_frame(result.members[FIELDS], path)
    engine, summary = project.engine, result.summary
    fmt = path.suffix.lower().lstrip(".")
    export_id = register_export(
        engine,
        members=CHOSEN,
        audience=summary["audience"],
        expression=f"lookalike({summary['expression']})",
        fmt=fmt,
        target=str(path),
        fields=FIELDS,
        masked=False,
        pseudonymised=False,
        file=path,
    )
    audit.record(
        engine,
        "export",
        subject=str(path),
        detail={
            "export_id": export_id,
            "kind": "lookalike",
            "seed": summary["expression"],
            "count": rows,
            "fields": FIELDS,
            "format": fmt,
        },
    )
    return export_id
