"""Outlier flags for numeric fields, per source and field: robust z-score or IQR fences.

Flags never change a value; they are rows of the `outliers` table (kind, source, batch, line,
field, value, score) that reports and features can consult. A kind's flags are recomputed over
all its clean records whenever they change, since one new batch moves the median and the
quartiles of everything.
"""

from __future__ import annotations

from collections.abc import Collection

from persona.config import CleaningConfig
from persona.engine.base import Engine, quote_literal
from persona.model.kinds import FieldType, Kind, canonical_fields

OUTLIERS = "outliers"


def flag_outliers(
    engine: Engine, config: CleaningConfig, kinds: Collection[Kind] | None = None
) -> int:
    """Rebuild the `outliers` table (the rows of `kinds`, default all); return the flags.

    robust_z: |0.6745 (x - median) / MAD| > threshold (Iglewicz and Hoaglin; 3.5 by default).
    iqr: x below Q1 - t * IQR or above Q3 + t * IQR, with t the threshold.
    A field whose MAD (or IQR) is 0 flags nothing: most values are equal, so none stands out.

    Args:
        engine: The engine.
        config: The cleaning settings.
        kinds: The kinds whose clean records changed (the others' flags stay as they are).

    Returns:
        How many values of every kind are flagged.
    """
    chosen = list(Kind) if kinds is None else [k for k in Kind if k in kinds]
    if chosen:
        names = ", ".join(quote_literal(k.value) for k in chosen)
        engine.execute(f"delete from {OUTLIERS} where kind in ({names})")
    if config.outliers == "none":
        return int(engine.fetch_all(f"select count(*) from {OUTLIERS}")[0][0])
    t = float(config.outlier_threshold)
    for kind in chosen:
        table = f"clean_{kind.value}"
        for field in (
            f.name
            for f in canonical_fields(kind)
            if f.type in (FieldType.NUMBER, FieldType.INTEGER)
        ):
            if config.outliers == "robust_z":
                stats = (
                    f"select _source, median({field}) as centre, "
                    f"median(abs({field} - m)) as spread from {table} "
                    f"join (select _source as s, median({field}) as m from {table} group by 1) "
                    f"on s = _source group by _source"
                )
                score = "0.6745 * (x.v - st.centre) / st.spread"
                flagged = f"abs({score}) > {t}"
            else:
                stats = (
                    f"select _source, quantile_cont({field}, 0.25) as q1, "
                    f"quantile_cont({field}, 0.75) as q3, "
                    f"quantile_cont({field}, 0.75) - quantile_cont({field}, 0.25) as spread "
                    f"from {table} group by _source"
                )
                score = (
                    "case when x.v > st.q3 then (x.v - st.q3) / st.spread "
                    "else (x.v - st.q1) / st.spread end"
                )
                flagged = f"(x.v < st.q1 - {t} * st.spread or x.v > st.q3 + {t} * st.spread)"
            engine.execute(
                f"insert into {OUTLIERS} select {quote_literal(kind.value)}, x._source, "
                f"x._batch_id, x._line, {quote_literal(field)}, x.v, {score}, "
                f"{quote_literal(config.outliers)} "
                f"from (select _source, _batch_id, _line, {field} as v from {table} "
                f"where {field} is not null) x join ({stats}) st on st._source = x._source "
                f"where st.spread > 0 and {flagged}"
            )
    return int(engine.fetch_all(f"select count(*) from {OUTLIERS}")[0][0])
