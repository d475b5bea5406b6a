"""Top-1 preference queries: the value a customer has most of, and its share."""

from __future__ import annotations


def top_sql(source: str, value: str, weight: str = "count(*)", where: str = "true") -> str:
    """SQL: per customer, the value with the largest weight, its share and the distinct values.

    Ties go to the smallest value, so the answer is deterministic. The result has the columns
    ``cid, top, share, distinct_values``.

    Args:
        source: A table or subquery with a ``cid`` (customer number) column.
        value: SQL of the value (a column or an expression).
        weight: SQL aggregate weighting each value (default: rows).
        where: Which rows count.
    """
    return (
        "select cid, value as top, n / sum(n) over (partition by cid) as share, "
        "count(*) over (partition by cid) as distinct_values from ("
        f"select cid, {value} as value, cast({weight} as double) as n from {source} "
        f"where ({where}) and {value} is not null group by 1, 2) "
        "qualify row_number() over (partition by cid order by n desc, value) = 1"
    )


def argmax_sql(counts: list[str], first: int) -> str:
    """SQL: the label of the largest of `counts` (labels first, first + 1 ...); NULL if all 0.

    Ties go to the smallest label.
    """
    values = f"[{', '.join(counts)}]"
    return (
        f"case when list_max({values}) > 0 "
        f"then list_position({values}, list_max({values})) + {first - 1} end"
    )
