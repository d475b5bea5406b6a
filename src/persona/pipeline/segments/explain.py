"""Why one customer is in their segment.

For a fitted method: the customer's features go through the fit's transforms, and the
distances to every centre say which is nearest (their segment) and which comes next. Each
feature's pull is how much closer it puts the customer to their own centre than to the next
one (the difference of the squared distances on its dimensions); the features with the
largest pull are what put them there. For rule segments: which rule held first.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from persona.engine.base import Engine, quote_identifier
from persona.engine.compile import to_sql
from persona.model.expression import parse
from persona.pipeline.segments import MEMBERS, SEGMENTS, latest_run
from persona.pipeline.segments.evidence import FEATURE_TEXT, label, number_text
from persona.pipeline.segments.inputs import Source
from persona.pipeline.segments.methods import Centres, Data
from persona.pipeline.segments.transforms import Transform

SHOWN = 5
"""Features listed in an explanation (the largest pulls)."""


def explain_customer(engine: Engine, source: Source, customer_id: str) -> dict[str, Any]:
    """Why `customer_id` is in their segment (see the module docstring).

    Returns:
        ``{"customer_id", "segment_id", "name_zh", "name_en", "method", "distance", "next",
        "features": [{"feature", "value", "segment", "population", "pull", "text_zh",
        "text_en"}], "rules", "text_zh", "text_en"}``; a customer left out (no profiling
        consent, or new since the fit) has ``segment_id`` None and the reason in the texts.
    """
    run = latest_run(engine)
    names = {
        int(r[0]): (str(r[1]), str(r[2]), json.loads(r[3]) if r[3] else {})
        for r in engine.fetch_all(f"select segment_id, name_zh, name_en, centre from {SEGMENTS}")
    }
    member = engine.fetch_all(
        f"select segment_id, distance from {MEMBERS} where customer_id = ?", [customer_id]
    )
    base: dict[str, Any] = {"customer_id": customer_id, "method": run["method"]}
    if not member:
        consenting = engine.fetch_all(
            f"select 1 from {source.sql} s where customer_id = ?", [customer_id]
        )
        if consenting:
            zh, en = (
                "该客户在本次分群之后才出现;请重新构建",
                "the customer is newer than the fit; build again",
            )
        else:
            zh, en = "该客户不同意画像分析,不参与分群", "the customer did not consent to profiling"
        return {**base, "segment_id": None, "features": [], "text_zh": zh, "text_en": en}
    segment_id = int(member[0][0])
    zh_name, en_name, centre = names[segment_id]
    result = {**base, "segment_id": segment_id, "name_zh": zh_name, "name_en": en_name}
    model = run["model"] or {}
    if "rules" in model:
        return {**result, **_rules(engine, source, model, customer_id, segment_id)}
    transform = Transform.from_json(model["transform"])
    features = transform.features
    row = engine.fetch_df(
        f"select {', '.join(source.column(f) for f in features)} from {source.sql} s "
        "where customer_id = ?",
        [customer_id],
    )
    means = _population(engine, source, [n.feature for n in transform.numeric])
    centres = Centres(
        np.array(model["centres"], dtype=np.float64),
        tuple(tuple(m) for m in model.get("modes") or []),
        float(model.get("gamma") or 0.0),
    )
    data = Data(transform.matrix(row), transform.numeric_matrix(row), transform.codes(row))
    distances = centres.distances(data)[0]
    ids = model["ids"]
    order = [i for i in np.argsort(distances, kind="stable") if ids[i] is not None]
    own = next((i for i in order if ids[i] == segment_id), order[0])
    runner = next((i for i in order if i != own), None)
    pulls = _pulls(transform, data, centres, own, runner)
    items = []
    for feature, pull in sorted(pulls.items(), key=lambda p: -p[1])[:SHOWN]:
        value = row[feature].iloc[0]
        items.append(_feature_item(feature, value, centre.get(feature), means.get(feature), pull))
    nearest = None
    if runner is not None:
        zh_next, en_next, _ = names[ids[runner]]
        nearest = {
            "segment_id": ids[runner],
            "name_zh": zh_next,
            "name_en": en_next,
            "distance": round(float(np.sqrt(max(distances[runner], 0.0))), 4),
        }
    distance = round(float(np.sqrt(max(distances[own], 0.0))), 4)
    top_zh = ";".join(i["text_zh"] for i in items[:3])
    top_en = "; ".join(i["text_en"] for i in items[:3])
    next_zh = f",其次是「{nearest['name_zh']}」({nearest['distance']:.2f})" if nearest else ""
    next_en = f"; next: {nearest['name_en']} ({nearest['distance']:.2f})" if nearest else ""
    return {
        **result,
        "distance": distance,
        "next": nearest,
        "features": items,
        "text_zh": f"属于「{zh_name}」:离该客群中心最近({distance:.2f}){next_zh}。"
        f"主要因为:{top_zh}",
        "text_en": f"In {en_name}: its centre is the nearest ({distance:.2f}){next_en}. "
        f"Mostly because of: {top_en}",
    }


def _pulls(
    transform: Transform, data: Data, centres: Centres, own: int, runner: int | None
) -> dict[str, float]:
    """Feature -> (squared distance to the runner-up) - (squared distance to the own centre)."""
    pulls: dict[str, float] = {}
    if runner is None:
        return dict.fromkeys(transform.features, 0.0)
    prototypes = bool(centres.modes)
    x = data.numeric[0] if prototypes else data.matrix[0]
    own_point, next_point = centres.points[own], centres.points[runner]
    per_dimension = (x - next_point) ** 2 - (x - own_point) ** 2
    owners = [n.feature for n in transform.numeric]
    if not prototypes:
        owners += [c.feature for c in transform.categorical for _ in c.dimensions]
    for feature, value in zip(owners, per_dimension, strict=True):
        pulls[feature] = pulls.get(feature, 0.0) + float(value)
    if prototypes:
        for i, c in enumerate(transform.categorical):
            code = data.codes[0][i]
            mismatch = int(code != centres.modes[runner][i]) - int(code != centres.modes[own][i])
            pulls[c.feature] = centres.gamma * mismatch
    return {f: round(v, 4) for f, v in pulls.items()}


def _population(engine: Engine, source: Source, features: list[str]) -> dict[str, float]:
    if not features:
        return {}
    values = ", ".join(f"avg(cast(s.{quote_identifier(f)} as double))" for f in features)
    row = engine.fetch_all(f"select {values} from {source.sql} s")[0]
    return {f: float(v) for f, v in zip(features, row, strict=True) if v is not None}


def _feature_item(
    feature: str, value: Any, centre: Any, population: float | None, pull: float
) -> dict[str, Any]:
    zh_label, en_label = label(feature)
    shown = _plain(value)
    if isinstance(shown, float):
        share = FEATURE_TEXT.get(feature, ("", "", "number"))[2] in ("share", "rate")

        def fmt(number: float | None) -> str:
            if number is None:
                return "-"
            return f"{float(number):.0%}" if share else number_text(float(number))

        text_value, text_centre, text_all = fmt(shown), fmt(centre), fmt(population)
        zh = f"{zh_label} {text_value}(本客群 {text_centre},整体 {text_all})"
        en = f"{en_label} {text_value} (segment {text_centre}, everyone {text_all})"
    else:
        zh = f"{zh_label} {shown}(本客群最常见 {centre})"
        en = f"{en_label} {shown} (most common in the segment: {centre})"
    return {
        "feature": feature,
        "value": shown,
        "segment": centre,
        "population": None if population is None else round(population, 4),
        "pull": pull,
        "text_zh": zh,
        "text_en": en,
    }


def _plain(value: Any) -> Any:
    """A value of the customer's row as None, a float or text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        number = float(value)
        return None if math.isnan(number) else number
    return str(value)


def _rules(
    engine: Engine, source: Source, model: dict[str, Any], customer_id: str, segment_id: int
) -> dict[str, Any]:
    columns = {name: name for name in source.types}
    rules = model["rules"]
    trees = [parse(r["when"], list(columns), tags=source.tags) for r in rules]
    conditions = [
        f"coalesce({to_sql(tree, columns, tag_sql=source.column)}, false)" for tree in trees
    ]
    held = engine.fetch_all(
        f"select {', '.join(conditions) or 'true'} from {source.sql} s where customer_id = ?",
        [customer_id],
    )
    flags = [bool(v) for v in held[0]] if held and rules else []
    listed = [
        {"id": r["id"], "when": r["when"], "holds": flag}
        for r, flag in zip(rules, flags, strict=True)
    ]
    first = next((r for r in listed if r["holds"]), None)
    if first is None:
        zh, en = (
            "不满足任何规则,归入「其他客户」",
            "no rule holds, so the customer is in Everyone else",
        )
    else:
        zh = f"第{first['id']}条规则 {first['when']} 成立(之前的规则不成立)"
        en = f"rule {first['id']} `{first['when']}` holds (no earlier rule does)"
    return {
        "distance": None,
        "next": None,
        "features": [],
        "rules": listed,
        "text_zh": zh,
        "text_en": en,
    }
