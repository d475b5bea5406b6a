"""Fitting segments on the sample: k-means, mini-batch k-means, Ward, k-prototypes.

Every method ends in centres, and a customer belongs to the nearest one (squared Euclidean
distance on the transformed features; k-prototypes adds `gamma` per categorical mismatch), so
the engine can assign every customer with the same rule. With ``k: auto`` each k of the range
is fitted (on at most `CURVE_SAMPLE` customers) and scored by the silhouette (on at most
`SILHOUETTE_SAMPLE`) and the Calinski-Harabasz index; the best silhouette wins, the index breaks
ties; the chosen k is then fitted on the whole sample. Stability is the
mean adjusted Rand index between the fit's labels and those of fits on bootstrap resamples.

scikit-learn, scipy's clustering and kmodes are imported inside the functions (each costs
about a second to import).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from persona.model.errors import ProjectError

SILHOUETTE_SAMPLE = 5_000
"""Customers the silhouette of each k is computed on."""
STABILITY_SAMPLE = 10_000
"""Customers each bootstrap resample of the stability score draws from."""
WARD_SAMPLE = 3_000
"""Customers Ward's method links (its memory grows with the square of the count)."""
KPROTOTYPES_SAMPLE = 5_000
"""Customers k-prototypes is fitted on (it runs in Python)."""
N_INIT = 4
"""Random starts of k-means; the best one is kept."""
CURVE_SAMPLE = 20_000
"""Customers of the sample each k of the range is fitted on when k is auto."""


@dataclass(frozen=True)
class Data:
    """The sample as the methods see it.

    Attributes:
        matrix: Rows x dimensions: scaled numbers and weighted indicators.
        numeric: Rows x numeric features (k-prototypes).
        codes: Rows x categorical features as text codes (k-prototypes).
    """

    matrix: np.ndarray
    numeric: np.ndarray
    codes: np.ndarray

    def rows(self, index: np.ndarray | slice) -> Data:
        """A subset of the rows."""
        return Data(self.matrix[index], self.numeric[index], self.codes[index])

    def __len__(self) -> int:
        return int(self.matrix.shape[0])


@dataclass(frozen=True)
class Centres:
    """What assigns a customer: centres, and for k-prototypes their categorical modes.

    Attributes:
        points: k x dimensions (`Data.matrix` space), or k x numeric features (k-prototypes).
        modes: k x categorical codes (k-prototypes only).
        gamma: Cost of one categorical mismatch (k-prototypes only, else 0).
    """

    points: np.ndarray
    modes: tuple[tuple[str, ...], ...] = ()
    gamma: float = 0.0

    def distances(self, data: Data) -> np.ndarray:
        """Rows x k squared distances (plus gamma x mismatches)."""
        source = data.numeric if self.modes else data.matrix
        out = np.empty((len(data), len(self.points)))
        for start in range(0, len(data), 8192):
            block = source[start : start + 8192]
            diff = block[:, None, :] - self.points[None, :, :]
            out[start : start + 8192] = np.einsum("ijk,ijk->ij", diff, diff)
        if self.modes:
            modes = np.array(self.modes, dtype=object)
            mismatch = (data.codes[:, None, :] != modes[None, :, :]).sum(axis=2)
            out += self.gamma * mismatch
        return out

    def predict(self, data: Data) -> np.ndarray:
        """The nearest centre of each row (the first on a tie, as the engine does)."""
        return np.asarray(np.argmin(self.distances(data), axis=1))


@dataclass(frozen=True)
class Fitted:
    """The result of fitting one method.

    Attributes:
        method: kmeans, minibatch, hierarchical or kprototypes.
        k: The number of segments.
        centres: The centres (see `Centres`).
        labels: The sample's segments (0-based, nearest centre).
        curve: With k auto: per k tried, ``{"k", "silhouette", "calinski_harabasz"}``.
        stability: Mean adjusted Rand index over the bootstrap resamples (None without).
        dendrogram: Ward only: the top merges of the tree.
    """

    method: str
    k: int
    centres: Centres
    labels: np.ndarray
    curve: list[dict[str, Any]]
    stability: float | None
    dendrogram: dict[str, Any] | None


def fit_segments(
    data: Data, method: str, k: int | None, k_range: tuple[int, int], seed: int, resamples: int
) -> Fitted:
    """Fit `method` with `k` segments, or the best k of `k_range` when `k` is None.

    Raises:
        ProjectError: when the sample has fewer distinct customers than segments.
    """
    distinct = len(np.unique(data.matrix, axis=0)) if len(data) else 0
    if k is not None and distinct < k:
        raise ProjectError(
            f"cannot make {k} segments: the sample has only {distinct} distinct customers on "
            "these features; lower `segmentation.k` or add features"
        )
    curve: list[dict[str, Any]] = []
    if k is None:
        low, high = k_range[0], min(k_range[1], distinct - 1)
        if high < low:
            raise ProjectError(
                f"cannot choose k between {k_range[0]} and {k_range[1]}: the sample has only "
                f"{distinct} distinct customers on these features; add features or customers"
            )
        curve = [_score(data, method, candidate, seed) for candidate in range(low, high + 1)]
        scored = [c for c in curve if c["silhouette"] is not None]
        if not scored:
            raise ProjectError("no k of the range splits the customers; add features")
        best = max(scored, key=lambda c: (round(c["silhouette"], 3), c["calinski_harabasz"]))
        k = int(best["k"])
    centres, dendrogram = _fit(data, method, k, seed)
    labels = centres.predict(data)
    stability = _stability(data, method, k, seed, labels, resamples) if resamples else None
    return Fitted(method, k, centres, labels, curve, stability, dendrogram)


def _score(data: Data, method: str, k: int, seed: int) -> dict[str, Any]:
    from sklearn.metrics import calinski_harabasz_score, silhouette_score

    data = data.rows(slice(0, CURVE_SAMPLE))
    centres, _ = _fit(data, method, k, seed)
    labels = centres.predict(data)
    result: dict[str, Any] = {"k": k, "silhouette": None, "calinski_harabasz": None}
    if len(np.unique(labels)) < 2:
        return result
    sub = slice(0, SILHOUETTE_SAMPLE)
    if len(np.unique(labels[sub])) >= 2:
        result["silhouette"] = round(
            float(silhouette_score(data.matrix[sub], labels[sub], random_state=seed)), 6
        )
    result["calinski_harabasz"] = round(float(calinski_harabasz_score(data.matrix, labels)), 3)
    return result


def _fit(
    data: Data, method: str, k: int, seed: int, n_init: int = N_INIT
) -> tuple[Centres, dict[str, Any] | None]:
    with _quiet():
        if method == "kmeans":
            from sklearn.cluster import KMeans

            model = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(data.matrix)
            return Centres(np.asarray(model.cluster_centers_, dtype=np.float64)), None
        if method == "minibatch":
            from sklearn.cluster import MiniBatchKMeans

            batch = min(4096, len(data))
            mini = MiniBatchKMeans(n_clusters=k, batch_size=batch, n_init=3, random_state=seed)
            mini.fit(data.matrix)
            return Centres(np.asarray(mini.cluster_centers_, dtype=np.float64)), None
        if method == "hierarchical":
            return _ward(data.matrix[:WARD_SAMPLE], k)
        if method == "kprototypes":
            return _kprototypes(data.rows(slice(0, KPROTOTYPES_SAMPLE)), k, seed, n_init), None
    raise ValueError(f"unknown method {method!r}")


def _ward(matrix: np.ndarray, k: int) -> tuple[Centres, dict[str, Any]]:
    """Ward linkage, cut into k clusters; the centres are the clusters' means."""
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(matrix, method="ward")
    labels = fcluster(tree, k, criterion="maxclust")
    centres = np.array([matrix[labels == label].mean(axis=0) for label in np.unique(labels)])
    top = tree[-min(len(tree), 2 * k) :]
    dendrogram = {
        "points": len(matrix),
        "cut": float((tree[-k][2] + tree[-k + 1][2]) / 2) if 1 < k <= len(tree) else None,
        "merges": [
            {"left": int(a), "right": int(b), "height": float(h), "size": int(n)}
            for a, b, h, n in top
        ],
    }
    return Centres(centres), dendrogram


def _kprototypes(data: Data, k: int, seed: int, n_init: int) -> Centres:
    """k-prototypes (kmodes) on the numeric features and the categorical codes."""
    from kmodes.kprototypes import KPrototypes

    numeric = data.numeric.shape[1]
    gamma = 0.5 * float(np.mean(np.std(data.numeric, axis=0))) if numeric else 1.0
    gamma = gamma or 0.5
    mixed = np.column_stack([data.numeric.astype(object), data.codes])
    categorical = list(range(numeric, mixed.shape[1]))
    model = KPrototypes(
        n_clusters=k, init="Cao", n_init=max(1, n_init // 2), gamma=gamma, random_state=seed
    )
    model.fit(mixed, categorical=categorical)
    raw = np.asarray(model.cluster_centroids_, dtype=object)
    points = raw[:, :numeric].astype(np.float64)
    modes = tuple(tuple(str(v) for v in row[numeric:]) for row in raw)
    return Centres(points, modes, gamma)


def _stability(
    data: Data, method: str, k: int, seed: int, labels: np.ndarray, resamples: int
) -> float:
    """Mean adjusted Rand index of the labels against fits on bootstrap resamples."""
    from sklearn.metrics import adjusted_rand_score

    size = min(len(data), STABILITY_SAMPLE)
    base = data.rows(slice(0, size))
    reference = labels[:size]
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(resamples):
        drawn = base.rows(rng.integers(0, size, size))
        centres, _ = _fit(drawn, method, k, int(rng.integers(0, 2**31 - 1)), n_init=1)
        scores.append(adjusted_rand_score(reference, centres.predict(base)))
    return round(float(np.mean(scores)), 4)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence scikit-learn's and kmodes' notes on duplicate points (fewer distinct clusters)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
