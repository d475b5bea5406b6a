"""Top-1 preferences over integer codes: the value a customer has most of, and its share.

Values are numbered 0, 1 ... in name order (`records.code_table`), so a smaller code is a
smaller name. The top of a customer is the largest of ``count * size + (size - 1 - code)``
over their values: the largest count wins and a tie goes to the smallest code, in one `max`
(no window, no sort), and the count and code are read back from that one number.
"""

from __future__ import annotations


def key_sql(count: str, code: str, size: int, limit: int = 2**40) -> str:
    """SQL: one number ordering (count, then the smaller code) for codes 0 to size - 1.

    Args:
        count: SQL of a non-negative number below `limit`.
        code: SQL of the code.
        size: The number of codes.
        limit: A bound of `count`: the key is a BIGINT when ``limit * size`` fits in one
            (cheaper to compute and compare), else a HUGEINT.
    """
    kind = "bigint" if limit * max(size, 1) < 2**62 else "hugeint"
    return f"{count}::{kind} * {max(size, 1)} + ({size - 1} - ({code}))"


def code_of(key: str, size: int) -> str:
    """SQL: the code of a `key_sql` value (NULL for NULL)."""
    return f"cast({size - 1} - {key} % {max(size, 1)} as integer)"


def count_of(key: str, size: int) -> str:
    """SQL: the count of a `key_sql` value."""
    return f"({key} // {max(size, 1)})"


def top_sql(source: str, code: str, size: int, where: str = "true") -> str:
    """SQL: per customer, the code with most rows, its share of the rows and the distinct codes.

    Ties go to the smallest code. The result has the columns ``cid, top, share,
    distinct_values``; customers without a row where `where` holds and the code is not NULL
    are absent.

    Args:
        source: A table with a ``cid`` (customer number) column.
        code: SQL of the value's code (a column of codes 0 to size - 1).
        size: The number of codes.
        where: Which rows count.
    """
    best = f"max({key_sql('n', 'code', size)})"
    return (
        f"select cid, {code_of(best, size)} as top, {count_of(best, size)} / sum(n) as share, "
        "count(*) as distinct_values from ("
        f"select cid, {code} as code, count(*) as n from {source} "
        f"where ({where}) and {code} is not null group by cid, {code}) group by cid"
    )
