"""From features to the matrix a method is fitted on, and the same steps as SQL.

Per numeric feature (booleans count as 0/1): a missing value becomes the sample's median; a
skewed non-negative feature (money, counts) becomes log1p of itself; then it is centred and
scaled (standard: mean and standard deviation; robust: median and interquartile range; none).
A categorical feature becomes one indicator per frequent value (the 10 most common in the
sample, plus one for any other value; a missing value has none), each worth `ONE_HOT_WEIGHT`.

`Transform.matrix` applies the steps to a DataFrame (the fitting sample) and `Transform.sql`
writes them as SQL expressions, so that every customer is assigned inside the engine with the
exact numbers the fit saw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from persona.engine.base import quote_literal

ONE_HOT_WEIGHT = math.sqrt(2)
"""Two customers with different values of a categorical feature are as far apart as two
customers two standard deviations apart on one scaled number (2 x weight^2 = 2^2)."""
MAX_LEVELS = 10
"""Values of a categorical feature that get their own indicator; the rest share one."""
SKEW = 1.0
"""`log: auto` takes log1p of a non-negative feature above 1 somewhere whose skewness exceeds
this."""

Scale = Literal["none", "standard", "robust"]


@dataclass(frozen=True)
class Numeric:
    """The steps of one numeric feature.

    Attributes:
        feature: The column.
        fill: The value of a missing entry (the sample's median).
        log: Whether log1p is taken (of the value, floored at 0).
        centre: Subtracted after the log.
        scale: Divided by last.
    """

    feature: str
    fill: float
    log: bool
    centre: float
    scale: float

    def apply(self, values: pd.Series) -> np.ndarray:
        """The transformed values of a column."""
        x = _floats(values)
        x = np.where(np.isnan(x), self.fill, x)
        if self.log:
            x = np.log1p(np.maximum(x, 0.0))
        return np.asarray((x - self.centre) / self.scale, dtype=np.float64)

    def sql(self, column: str) -> str:
        """The transformed value as SQL, given the column's SQL."""
        x = f"coalesce(cast({column} as double), {_number(self.fill)})"
        if self.log:
            x = f"ln(1 + greatest({x}, 0))"
        return f"(({x} - {_number(self.centre)}) / {_number(self.scale)})"


@dataclass(frozen=True)
class Categorical:
    """The indicators of one categorical feature.

    Attributes:
        feature: The column.
        levels: Values with their own indicator.
        other: Whether one more indicator marks any other (non-missing) value.
        weight: The value of a set indicator.
    """

    feature: str
    levels: tuple[str, ...]
    other: bool
    weight: float

    @property
    def dimensions(self) -> list[str]:
        """Names of the indicators: ``feature=value`` and ``feature=(other)``."""
        names = [f"{self.feature}={level}" for level in self.levels]
        return [*names, f"{self.feature}=(other)"] if self.other else names

    def apply(self, values: pd.Series) -> np.ndarray:
        """The indicator columns of a column (rows x dimensions)."""
        text = _text(values)
        columns = [(text == level).to_numpy(dtype=bool) for level in self.levels]
        if self.other:
            columns.append((text.notna() & ~text.isin(self.levels)).to_numpy(dtype=bool))
        matrix = np.column_stack(columns) if columns else np.zeros((len(values), 0))
        return matrix.astype(np.float64) * self.weight

    def sql(self, column: str) -> list[str]:
        """One SQL expression per indicator, given the column's SQL."""
        text = f"cast({column} as varchar)"
        weight = _number(self.weight)
        out = [
            f"(case when {text} = {quote_literal(level)} then {weight} else 0.0 end)"
            for level in self.levels
        ]
        if self.other:
            listed = ", ".join(quote_literal(level) for level in self.levels) or "''"
            out.append(
                f"(case when {text} is not null and {text} not in ({listed}) then {weight} "
                "else 0.0 end)"
            )
        return out

    def codes(self, values: pd.Series) -> np.ndarray:
        """The values as k-prototypes sees them: frequent values, ``(other)`` or ``''``."""
        text = _text(values)
        known = text.isin(self.levels)
        coded = text.where(known, np.where(text.isna(), "", "(other)"))
        return coded.astype(str).to_numpy(dtype=object)

    def code_sql(self, column: str) -> str:
        """`codes` as SQL."""
        text = f"cast({column} as varchar)"
        listed = ", ".join(quote_literal(level) for level in self.levels) or "''"
        return (
            f"(case when {text} is null then '' when {text} in ({listed}) then {text} "
            "else '(other)' end)"
        )


@dataclass(frozen=True)
class Transform:
    """Every feature's steps, in feature order: numeric ones, then categorical ones.

    Attributes:
        numeric: The numeric features' steps.
        categorical: The categorical features' indicators.
        scale: The scaling used (none, standard, robust).
    """

    numeric: tuple[Numeric, ...]
    categorical: tuple[Categorical, ...]
    scale: Scale

    @property
    def features(self) -> list[str]:
        """The features, numeric first."""
        return [n.feature for n in self.numeric] + [c.feature for c in self.categorical]

    @property
    def dimensions(self) -> list[str]:
        """The columns of `matrix`: numeric features, then indicators."""
        return [n.feature for n in self.numeric] + [
            d for c in self.categorical for d in c.dimensions
        ]

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows x `dimensions`: what k-means, Ward and the silhouette see."""
        parts = [self.numeric_matrix(frame)]
        parts += [c.apply(frame[c.feature]) for c in self.categorical]
        return np.column_stack(parts) if parts else np.zeros((len(frame), 0))

    def numeric_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows x numeric features, transformed."""
        if not self.numeric:
            return np.zeros((len(frame), 0))
        return np.column_stack([n.apply(frame[n.feature]) for n in self.numeric])

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows x categorical features as k-prototypes codes."""
        if not self.categorical:
            return np.zeros((len(frame), 0), dtype=object)
        return np.column_stack([c.codes(frame[c.feature]) for c in self.categorical])

    def sql(self, column: Callable[[str], str]) -> list[str]:
        """One SQL expression per dimension; `column` gives a feature's SQL."""
        out = [n.sql(column(n.feature)) for n in self.numeric]
        for c in self.categorical:
            out += c.sql(column(c.feature))
        return out

    def code_sql(self, column: Callable[[str], str]) -> list[str]:
        """One SQL expression per categorical feature: its k-prototypes code."""
        return [c.code_sql(column(c.feature)) for c in self.categorical]

    def vector(self, centre: dict[str, Any]) -> np.ndarray:
        """A centre in original units (feature -> mean or most common value) transformed."""
        frame = pd.DataFrame([{f: centre.get(f) for f in self.features}])
        for n in self.numeric:
            frame[n.feature] = pd.to_numeric(frame[n.feature], errors="coerce")
        row: np.ndarray = self.matrix(frame)[0]
        return row

    def to_json(self) -> dict[str, Any]:
        """A JSON description: scale, one-hot weight and every feature's steps."""
        features: dict[str, Any] = {}
        for n in self.numeric:
            features[n.feature] = {"type": "numeric", **asdict(n)}
            del features[n.feature]["feature"]
        for c in self.categorical:
            spec = asdict(c)
            del spec["feature"]
            features[c.feature] = {"type": "categorical", **spec, "levels": list(c.levels)}
        return {"scale": self.scale, "features": features}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transform:
        """The transform of `to_json`."""
        numeric: list[Numeric] = []
        categorical: list[Categorical] = []
        for feature, spec in data["features"].items():
            if spec["type"] == "numeric":
                numeric.append(
                    Numeric(
                        feature,
                        float(spec["fill"]),
                        bool(spec["log"]),
                        float(spec["centre"]),
                        float(spec["scale"]),
                    )
                )
            else:
                levels = tuple(str(v) for v in spec["levels"])
                categorical.append(
                    Categorical(feature, levels, bool(spec["other"]), float(spec["weight"]))
                )
        return cls(tuple(numeric), tuple(categorical), data["scale"])


def fit_transform(
    frame: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    scale: Scale,
    log: Literal["auto", "none"] | Sequence[str],
) -> Transform:
    """Fit every feature's steps on the sample.

    Args:
        frame: The sample, one column per feature.
        numeric: Numeric (and boolean) features.
        categorical: Categorical features.
        scale: none, standard or robust.
        log: auto (skewed non-negative features), none, or the features to log.
    """
    steps: list[Numeric] = []
    for feature in numeric:
        x = _floats(frame[feature])
        present = x[~np.isnan(x)]
        fill = float(np.median(present)) if len(present) else 0.0
        x = np.where(np.isnan(x), fill, x)
        if isinstance(log, str):
            logged = log == "auto" and _skewed(x, frame[feature])
        else:
            logged = feature in log
        if logged:
            x = np.log1p(np.maximum(x, 0.0))
        centre, spread = _centre_scale(x, scale)
        steps.append(Numeric(feature, fill, logged, centre, spread))
    indicators = [_categorical(feature, frame[feature], ONE_HOT_WEIGHT) for feature in categorical]
    return Transform(tuple(steps), tuple(indicators), scale)


def _floats(values: pd.Series) -> np.ndarray:
    """A numeric or boolean column as floats, missing values as NaN."""
    floats: np.ndarray = values.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    return floats


def _skewed(x: np.ndarray, raw: pd.Series) -> bool:
    """Whether `log: auto` logs a feature: non-negative, above 1 somewhere, skewness > 1."""
    if pd.api.types.is_bool_dtype(raw.dtype) or len(x) < 3:
        return False
    n = len(x)
    deviations = x - x.mean()
    m2, m3 = float(np.mean(deviations**2)), float(np.mean(deviations**3))
    if m2 == 0:
        return False
    skew = m3 / m2**1.5 * math.sqrt(n * (n - 1)) / (n - 2)  # as pandas' Series.skew
    return bool(x.min() >= 0 and x.max() > 1 and skew > SKEW)


def _centre_scale(x: np.ndarray, scale: Scale) -> tuple[float, float]:
    if scale == "none" or len(x) == 0:
        return 0.0, 1.0
    if scale == "robust":
        low, centre, high = np.percentile(x, [25, 50, 75])
        spread = float(high - low) or float(np.std(x))
        return float(centre), spread or 1.0
    return float(np.mean(x)), float(np.std(x)) or 1.0


def _text(values: pd.Series) -> pd.Series:
    """Values as text (as SQL casts them), missing ones as None."""
    return values.astype("object").map(lambda v: None if pd.isna(v) else str(v))


def _categorical(feature: str, values: pd.Series, weight: float) -> Categorical:
    text = _text(values).dropna()
    counts = text.value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    levels = tuple(str(value) for value, _ in ordered[:MAX_LEVELS])
    return Categorical(feature, levels, len(ordered) > MAX_LEVELS, weight)


def _number(value: float) -> str:
    """A finite float as a SQL literal (negative numbers in parentheses)."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    text = f"{float(value):.17e}"  # exponent notation: DuckDB reads a DOUBLE, not a DECIMAL
    return f"({text})" if value < 0 else text
