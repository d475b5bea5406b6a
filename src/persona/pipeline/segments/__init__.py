"""The segments stage: group the customers, name each group, explain it (docs/segments.md).

1. `inputs`: one row per customer who may be profiled, with every feature, attribute, tag and
   extra profile attribute; the features to segment on (configured, or a general default set);
2. `transforms` and `methods`: on a sample, missing values become medians, skewed money and
   counts their log, numbers are scaled and categories one-hot encoded; k-means (k chosen by
   the silhouette, or given), mini-batch k-means, Ward or k-prototypes finds the centres, and a
   bootstrap gives the stability score. Rule segments are expressions instead;
3. every customer is assigned inside the engine: the transforms and the nearest centre are one
   SQL expression (`persona.engine.compile.nearest_centre_sql`);
4. `profiles`, `persona.model.segments` and `evidence`: each segment is compared with the
   population, named from what distinguishes it and given its evidence;
5. ids are matched to the previous fit's segments (`ids`), and `segments`, `segment_members`
   and a row of `segment_runs` are written in one transaction.

A build that refreshed only the customers new data touched (`refit=False`) keeps the last
fit's transforms and centres when the segmentation settings are unchanged, and assigns,
names and describes every customer with them: the costly part, choosing k and the bootstrap,
waits for the next full build (or `persona segments fit`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from persona.config import ProjectConfig, SegmentationConfig
from persona.engine.base import Engine
from persona.engine.compile import nearest_centre_sql, to_sql
from persona.model.errors import ConfigError, ProjectError
from persona.model.expression import ExpressionError, parse
from persona.model.segments import Naming, choose_names
from persona.pipeline.segments.evidence import evidence, word_labels
from persona.pipeline.segments.ids import stable_ids
from persona.pipeline.segments.inputs import (
    Source,
    build_profile_extras,
    build_source,
    chosen_features,
    counts,
    sample_frame,
)
from persona.pipeline.segments.methods import Centres, Data, Fitted, fit_segments
from persona.pipeline.segments.profiles import Description, describe
from persona.pipeline.segments.transforms import Transform, fit_transform
from persona.privacy.suppression import forgotten_count

__all__ = ["MEMBERS", "RUNS", "SEGMENTS", "SegmentReport", "run_segments"]

SEGMENTS, MEMBERS, RUNS = "segments", "segment_members", "segment_runs"
STAGING = "_seg_assigned"
MIN_CUSTOMERS = 10
"""Fewer customers who may be profiled than this: no segments (nor any group to show)."""
OTHERS = ("其他客户", "Everyone else")
"""The names of the rule segment of customers no rule takes."""

RUNS_DDL = f"""create table if not exists {RUNS} (
  run_id BIGINT, fitted_at TIMESTAMPTZ, method VARCHAR, k INTEGER, features VARCHAR,
  scale VARCHAR, curve VARCHAR, stability DOUBLE, sample BIGINT, segmented BIGINT,
  excluded BIGINT, transforms VARCHAR, model VARCHAR, dendrogram VARCHAR)"""
SEGMENTS_DDL = f"""create table {SEGMENTS} (
  segment_id INTEGER, name_zh VARCHAR, name_en VARCHAR, size BIGINT, share DOUBLE,
  centre VARCHAR, evidence VARCHAR, method VARCHAR, name_key VARCHAR)"""


@dataclass(frozen=True)
class SegmentReport:
    """What one segments run made.

    Attributes:
        run_id: The row of `segment_runs` (None when skipped).
        method: The method used.
        k: The number of segments.
        segments: Per segment: ``{"id", "name_zh", "name_en", "size", "share"}``.
        segmented: Customers segmented.
        excluded: Customers left out for lack of profiling consent.
        stability: Mean bootstrap adjusted Rand index (None for rules or without resamples).
        seconds: Wall-clock time of the run.
        skipped: Why no segments were made (None when they were).
        timings: Seconds per step: ``fit`` (sample, transforms, k, stability), ``assign``
            (every customer, in the engine), ``name`` (profiles, ids, names, evidence) and
            ``write``.
        kept_from: The run whose fitted model assigned the customers, when it was kept
            rather than refit (None after a fit).
    """

    run_id: int | None
    method: str
    k: int
    segments: list[dict[str, Any]] = field(default_factory=list)
    segmented: int = 0
    excluded: int = 0
    stability: float | None = None
    seconds: float = 0.0
    skipped: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    kept_from: int | None = None


@dataclass(frozen=True)
class _Plan:
    """How customers are assigned, before ids and names."""

    assignment: str
    features: list[str]
    model: dict[str, Any]
    fitted: Fitted | None = None
    transform: Transform | None = None
    sample: int = 0
    kept_from: int | None = None


def run_segments(engine: Engine, config: ProjectConfig, *, refit: bool = True) -> SegmentReport:
    """Fit (or evaluate the rules), assign every customer, name and describe the segments.

    Args:
        engine: The engine on the project's store (after the features and tags stages).
        config: The project configuration.
        refit: Fit anew. When False, the last fit's model is kept if the segmentation
            settings and its features are unchanged (see the module docstring).

    Returns:
        The run's report; `skipped` says why when segments were not made (the stage is off,
        or fewer than `MIN_CUSTOMERS` customers may be profiled).

    Raises:
        ProjectError: before the features stage has run, or when k cannot be met.
        ConfigError: a configured feature or rule is invalid.

    Example:
        >>> report = run_segments(project.engine, project.config)  # doctest: +SKIP
        >>> [s["name_en"] for s in report.segments]                  # doctest: +SKIP
        ['Price-sensitive', 'Young parents', 'At risk', 'Newcomers', ...]
    """
    started = time.perf_counter()
    settings = config.segmentation
    if not settings.enabled:
        _clear(engine)
        return SegmentReport(None, settings.method, 0, skipped="segmentation.enabled is false")
    build_profile_extras(engine, config)
    source = build_source(engine)
    segmented, excluded = counts(engine, source)
    if segmented < MIN_CUSTOMERS:
        _clear(engine)
        reason = (
            f"only {segmented} customers may be profiled; segments need at least {MIN_CUSTOMERS}"
        )
        return SegmentReport(None, settings.method, 0, [], segmented, excluded, skipped=reason)
    features = chosen_features(settings.features, source)
    clock = _Clock()
    if settings.method == "rules":
        plan = _rules_plan(source, settings, features)
    else:
        kept = None if refit else _kept_plan(engine, source, settings)
        plan = kept or _fit_plan(engine, source, settings, features)
    clock.lap("fit")
    engine.drop(STAGING)
    try:
        engine.execute(f"create temp table {STAGING} as {plan.assignment}")
        clock.lap("assign")
        description = describe(engine, source, STAGING, plan.features)
        keys = sorted(description.profiles)
        if plan.transform is not None:
            same = _kept_ids(plan.model, keys) if plan.kept_from is not None else None
            ids = same or stable_ids(engine, plan.transform, description, SEGMENTS)
            names = choose_names(
                [description.profiles[k] for k in keys], labels=word_labels(plan.features)
            )
        else:
            ids = {key: key for key in keys}
            names = [_rule_name(settings, key) for key in keys]
        rows = _segment_rows(description, keys, ids, names, settings.method)
        clock.lap("name")
        run_id = _write(engine, plan, settings, ids, rows, segmented, excluded)
        clock.lap("write")
    finally:
        engine.drop(STAGING)
    listed = [
        {"id": r[0], "name_zh": r[1], "name_en": r[2], "size": r[3], "share": r[4]}
        for r in sorted(rows)
    ]
    fitted = plan.fitted
    return SegmentReport(
        run_id,
        settings.method,
        len(rows),
        listed,
        segmented,
        excluded,
        fitted.stability if fitted else None,
        round(time.perf_counter() - started, 3),
        timings=clock.laps,
        kept_from=plan.kept_from,
    )


class _Clock:
    """Seconds between laps."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 3)
        self.last = now


def _fit_plan(
    engine: Engine, source: Source, settings: SegmentationConfig, features: list[str]
) -> _Plan:
    frame = sample_frame(engine, source, features, settings.sample, settings.seed)
    usable = []
    for feature in features:
        values = frame[feature].dropna()
        if settings.features is not None and values.empty:
            raise ConfigError(
                f"segmentation.features: {feature!r} has no value for any customer of the "
                "sample; fill it or leave it out"
            )
        if settings.features is not None or values.astype(str).nunique() > 1:
            usable.append(feature)
    if not usable:
        raise ProjectError(
            "no feature to segment on has more than one value; list some under "
            "`segmentation.features` (see docs/segments.md)"
        )
    numeric = [f for f in usable if source.types[f] in ("number", "boolean")]
    categorical = [f for f in usable if source.types[f] == "text"]
    if settings.method == "kprototypes" and not categorical:
        raise ConfigError(
            "segmentation.method kprototypes needs at least one categorical feature "
            "(e.g. top_category); with numbers only use kmeans"
        )
    transform = fit_transform(frame, numeric, categorical, settings.scale, settings.log)
    data = Data(transform.matrix(frame), transform.numeric_matrix(frame), transform.codes(frame))
    k = None if settings.k == "auto" else int(settings.k)
    fitted = fit_segments(
        data, settings.method, k, (settings.k_min, settings.k_max), settings.seed,
        settings.resamples,
    )  # fmt: skip
    return _centre_plan(source, settings, transform, fitted, len(frame), _fit_basis(engine))


def _centre_plan(
    source: Source,
    settings: SegmentationConfig,
    transform: Transform,
    fitted: Fitted,
    sample: int,
    basis: str,
    kept_from: int | None = None,
) -> _Plan:
    """Assign every customer to the nearest of the fitted centres, in the engine."""
    centres = fitted.centres
    keys = list(range(1, len(centres.points) + 1))
    prototypes = settings.method == "kprototypes"
    relation = f"{source.sql} s"
    if prototypes:
        dims = [n.sql(source.column(n.feature)) for n in transform.numeric]
        assignment = nearest_centre_sql(
            relation,
            dims,
            centres.points.tolist(),
            keys,
            codes=transform.code_sql(source.column),
            modes=centres.modes,
            gamma=centres.gamma,
        )
    else:
        assignment = nearest_centre_sql(
            relation, transform.sql(source.column), centres.points.tolist(), keys
        )
    model = {
        "centres": centres.points.tolist(),
        "modes": [list(m) for m in centres.modes],
        "gamma": centres.gamma,
        "transform": transform.to_json(),
        "settings": _settings_key(settings),
        "basis": basis,
    }
    return _Plan(
        f"select customer_id, segment_id as segment, distance from ({assignment})",
        transform.features,
        model,
        fitted,
        transform,
        sample,
        kept_from,
    )


def _kept_plan(engine: Engine, source: Source, settings: SegmentationConfig) -> _Plan | None:
    """The last fit's model, if it was fitted with these settings on features that still exist.

    Its curve, stability and sample size are carried over with it.
    """
    if not engine.table_exists(RUNS):
        return None
    rows = engine.fetch_all(
        f"select run_id, method, curve, stability, sample, model, dendrogram from {RUNS} "
        "order by run_id desc limit 1"
    )
    if not rows:
        return None
    run_id, method, curve, stability, sample, model_json, dendrogram = rows[0]
    model = json.loads(model_json or "{}")
    basis = _fit_basis(engine)
    if (
        method != settings.method
        or model.get("settings") != _settings_key(settings)
        or model.get("basis") != basis
    ):
        return None
    transform = Transform.from_json(model["transform"])
    kinds: list[tuple[str, tuple[str, ...]]] = [
        (n.feature, ("number", "boolean")) for n in transform.numeric
    ]
    kinds += [(c.feature, ("text",)) for c in transform.categorical]
    if any(source.types.get(feature) not in allowed for feature, allowed in kinds):
        return None  # a feature is gone or changed type
    centres = Centres(
        np.array(model["centres"], dtype=float),
        tuple(tuple(m) for m in model["modes"]),
        float(model["gamma"]),
    )
    fitted = Fitted(
        method,
        len(centres.points),
        centres,
        np.empty(0, dtype=int),
        json.loads(curve or "[]"),
        stability,
        json.loads(dendrogram) if dendrogram else None,
    )
    kept = model.get("kept_from", run_id)
    plan = _centre_plan(source, settings, transform, fitted, int(sample or 0), basis, kept)
    return replace(plan, model={**plan.model, "ids": model.get("ids", [])})


def _kept_ids(model: dict[str, Any], keys: list[int]) -> dict[int, int] | None:
    """The ids the kept run gave its centres (keys 1..k), so a kept model moves no id.

    None when a centre had no id (it was empty then): the ids are matched as after a fit.
    """
    ids = model.get("ids", [])
    if any(key > len(ids) or ids[key - 1] is None for key in keys):
        return None
    return {key: int(ids[key - 1]) for key in keys}


def _fit_basis(engine: Engine) -> str:
    """What the features a model was fitted on depend on besides the records.

    The features' as-of time and columns (`persona features --as-of` moves every customer's
    time-relative features) and the number of people forgotten (a fit is made again without
    them).
    """
    meta = dict(
        engine.fetch_all(
            "select key, value from _persona_meta "
            "where key in ('features_as_of', 'features_fingerprint')"
        )
    )
    return json.dumps(
        [meta.get("features_as_of"), meta.get("features_fingerprint"), forgotten_count(engine)]
    )


def _settings_key(settings: SegmentationConfig) -> str:
    """The segmentation settings a fitted model depends on, as one comparable string."""
    return json.dumps(settings.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def _rules_plan(source: Source, settings: SegmentationConfig, features: list[str]) -> _Plan:
    columns = {name: name for name, kind in source.types.items()}
    whens = []
    problems = []
    for index, rule in enumerate(settings.rules, start=1):
        try:
            tree = parse(rule.when, list(columns), tags=source.tags)
            condition = to_sql(tree, columns, tag_sql=source.column)
        except ExpressionError as exc:
            problems.append(f"segmentation.rules[{index - 1}] ({rule.name_en}): {exc}")
            continue
        whens.append(f"when coalesce({condition}, false) then {index}")
    if problems:
        raise ConfigError("\n".join(problems))
    other = len(settings.rules) + 1
    assignment = (
        f"select customer_id, case {' '.join(whens)} else {other} end as segment, "
        f"cast(null as double) as distance from {source.sql} s"
    )
    model = {
        "rules": [
            {"id": i, "when": r.when, "name_zh": r.name_zh, "name_en": r.name_en}
            for i, r in enumerate(settings.rules, start=1)
        ],
        "other": other,
    }
    return _Plan(assignment, features, model)


def _rule_name(settings: SegmentationConfig, key: int) -> Naming:
    if key <= len(settings.rules):
        rule = settings.rules[key - 1]
        return Naming("rule", rule.name_zh, rule.name_en, ())
    return Naming("others", *OTHERS, ())


def _segment_rows(
    description: Description,
    keys: list[int],
    ids: dict[int, int],
    names: list[Naming],
    method: str,
) -> list[tuple[Any, ...]]:
    rows = []
    for key, naming in zip(keys, names, strict=True):
        profile = description.profiles[key]
        rows.append(
            (
                ids[key],
                naming.zh,
                naming.en,
                profile.size,
                round(profile.size / description.population, 6),
                json.dumps(description.centres[key], ensure_ascii=False),
                json.dumps(evidence(profile, naming), ensure_ascii=False),
                method,
                naming.key,
            )
        )
    return rows


def _write(
    engine: Engine,
    plan: _Plan,
    settings: SegmentationConfig,
    ids: dict[int, int],
    rows: list[tuple[Any, ...]],
    segmented: int,
    excluded: int,
) -> int:
    """Replace `segments` and `segment_members`, append to `segment_runs`; return the run."""
    relabel = " ".join(f"when {key} then {value}" for key, value in ids.items())
    fitted = plan.fitted
    centres = len(plan.model.get("centres", [])) or len(ids)
    model = {**plan.model, "ids": [ids.get(key) for key in range(1, centres + 1)]}
    if plan.kept_from is not None:
        model["kept_from"] = plan.kept_from
    with engine.transaction():
        engine.execute(RUNS_DDL)
        run_id = int(engine.fetch_all(f"select coalesce(max(run_id), 0) + 1 from {RUNS}")[0][0])
        engine.drop(MEMBERS)
        engine.execute(
            f"create table {MEMBERS} as select customer_id, cast(case segment {relabel} end "
            f"as integer) as segment_id, distance from {STAGING} order by customer_id"
        )
        engine.drop(SEGMENTS)
        engine.execute(SEGMENTS_DDL)
        engine.insert_rows(SEGMENTS, sorted(rows))
        engine.insert_rows(
            RUNS,
            [
                (
                    run_id,
                    datetime.now(UTC),
                    settings.method,
                    len(rows),
                    json.dumps(plan.features, ensure_ascii=False),
                    settings.scale if plan.transform else None,
                    json.dumps(fitted.curve if fitted else []),
                    fitted.stability if fitted else None,
                    plan.sample,
                    segmented,
                    excluded,
                    json.dumps(
                        plan.transform.to_json() if plan.transform else {}, ensure_ascii=False
                    ),
                    json.dumps(model, ensure_ascii=False),
                    json.dumps(fitted.dendrogram) if fitted and fitted.dendrogram else None,
                )
            ],
        )
    return run_id


def _clear(engine: Engine) -> None:
    """No segments: drop the tables of an earlier run (its runs stay in `segment_runs`)."""
    with engine.transaction():
        engine.drop(MEMBERS)
        engine.drop(SEGMENTS)


def latest_run(engine: Engine) -> dict[str, Any]:
    """The last row of `segment_runs`, JSON columns parsed.

    Raises:
        ProjectError: before any segments were made.
    """
    if not engine.table_exists(SEGMENTS) or not engine.table_exists(RUNS):
        raise ProjectError("no segments yet: run `persona build` (or `persona segments fit`)")
    values = engine.fetch_all(f"select * from {RUNS} order by run_id desc limit 1")[0]
    row = dict(zip(engine.table_columns(RUNS), values, strict=True))
    for key in ("features", "curve", "transforms", "model", "dendrogram"):
        row[key] = json.loads(row[key]) if isinstance(row[key], str) else None
    row["fitted_at"] = row["fitted_at"].isoformat() if row["fitted_at"] else None
    return row
