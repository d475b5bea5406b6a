"""Small-group suppression: no count or share shown describes fewer than k customers.

DESIGN.md section 9: every aggregate a report, preview or export shows describes at least
`privacy.k` customers (default 10). A count below k is shown as ``<k``. In a distribution the
small values are pooled into "other"; when that pool is itself below k, the smallest shown
values join it (so a small value cannot be worked out as the total minus the shown ones), but
the largest value always stays: the pool is then shown as ``<k``. A matrix (migration) hides
small cells and then, row by row and column by column, one more cell wherever a single hidden
cell could be worked out from the others.

Example:
    >>> cells = protect_distribution([("app", 40), ("web", 12), ("store", 3)], k=10)
    >>> [(c.value, c.count) for c in cells]
    [('app', 40), (None, 15)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """One shown value of a distribution: `value` None is the pooled "other" values.

    Attributes:
        value: The category, or None for the pool of values too small (or beyond the top N).
        count: How many customers; None for a pool of fewer than k (shown as ``<k``).
        share: count / the distribution's total; None with the count.
    """

    value: object
    count: int | None
    share: float | None


def shown(count: int | None, k: int) -> int | None:
    """The count when at least k customers, else None (shown as ``<k``)."""
    return count if count is not None and count >= k else None


def shown_count(count: int, k: int) -> int | None:
    """The count when 0 or at least k customers, else None (shown as ``<k``).

    Unlike `shown`, an empty result is shown as 0: "nobody" describes no one.
    """
    return count if count == 0 or count >= k else None


def protect_distribution(
    counts: Sequence[tuple[object, int]], k: int, top: int | None = None
) -> list[Cell]:
    """The values of a distribution that may be shown, largest first, with a pooled rest.

    Args:
        counts: (value, customers) pairs; their sum is the total the shares refer to.
        k: The smallest group that may be shown.
        top: Show at most this many values; the others join the pool.

    Returns:
        Cells of at least k customers each, largest first; the last one (value None) pools
        the values that were too small or beyond `top`, when there are any (its count None
        when they are fewer than k).
    """
    total = sum(c for _, c in counts)
    ordered = sorted((pair for pair in counts if pair[1] > 0), key=lambda p: (-p[1], str(p[0])))
    keep = [p for p in ordered if p[1] >= k][: top if top is not None else None]
    pool = total - sum(c for _, c in keep)
    while 0 < pool < k and len(keep) > 1:
        pool += keep.pop()[1]
    cells = [Cell(v, c, c / total) for v, c in keep]
    if pool >= k:
        cells.append(Cell(None, pool, pool / total))
    elif pool > 0:
        cells.append(Cell(None, None, None))
    return cells


def protect_matrix(matrix: Sequence[Sequence[int]], k: int) -> list[list[int | None]]:
    """A count matrix with every cell of 1 to k-1 customers hidden (None), plus secondary cells.

    Rows and columns are checked until none has exactly one hidden cell: there, the smallest
    other non-zero cell is hidden too, so no hidden count equals a total minus shown counts.
    """
    rows = [list(r) for r in matrix]
    hidden = [[0 < c < k for c in r] for r in rows]
    changed = True
    while changed:
        changed = False
        lines = [[(i, j) for j in range(len(r))] for i, r in enumerate(rows)]
        lines += [[(i, j) for i in range(len(rows))] for j in range(len(rows[0]) if rows else 0)]
        for line in lines:
            if sum(hidden[i][j] for i, j in line) != 1:
                continue
            candidates = [
                (rows[i][j], i, j) for i, j in line if rows[i][j] > 0 and not hidden[i][j]
            ]
            if candidates:
                _, i, j = min(candidates)
                hidden[i][j] = changed = True
    return [
        [None if h else c for c, h in zip(r, hr, strict=True)]
        for r, hr in zip(rows, hidden, strict=True)
    ]
