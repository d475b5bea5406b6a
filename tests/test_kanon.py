"""Small-group suppression (persona.privacy.kanon): nothing shown describes fewer than k."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from persona.privacy.kanon import protect_distribution, protect_matrix, shown

counts = st.lists(st.tuples(st.text("abcdefgh", min_size=1, max_size=2), st.integers(0, 60)),
                  max_size=8, unique_by=lambda p: p[0])  # fmt: skip


def test_shown() -> None:
    assert (shown(10, 10), shown(9, 10), shown(None, 10), shown(0, 10)) == (10, None, None, None)


def test_distribution_pools_small_values() -> None:
    cells = protect_distribution([("app", 40), ("web", 12), ("store", 3), ("shop", 0)], 10)
    assert [(c.value, c.count) for c in cells] == [("app", 40), (None, 15)]
    assert cells[0].share == 40 / 55
    cells = protect_distribution([("a", 50), ("b", 30), ("c", 12), ("d", 11)], 10, top=2)
    assert [(c.value, c.count) for c in cells] == [("a", 50), ("b", 30), (None, 23)]
    cells = protect_distribution([("night", 205), ("day", 4)], 10)  # the largest always stays
    assert [(c.value, c.count, c.share) for c in cells] == [
        ("night", 205, 205 / 209),
        (None, None, None),
    ]
    assert protect_distribution([("a", 3)], 10) == [protect_distribution([("b", 1)], 10)[0]]
    assert protect_distribution([], 10) == []


@given(counts, st.integers(1, 20), st.one_of(st.none(), st.integers(1, 4)))
def test_no_distribution_cell_below_k(
    pairs: list[tuple[str, int]], k: int, top: int | None
) -> None:
    cells = protect_distribution(pairs, k, top)
    total = sum(n for _, n in pairs)
    named = [c for c in cells if c.value is not None]
    assert all(c.count is not None and c.count >= k for c in named)
    assert len({c.value for c in named}) == len(named)
    pool = [c for c in cells if c.value is None]
    assert len(pool) <= 1 and (not pool or cells[-1].value is None)
    if pool and pool[0].count is not None:
        assert pool[0].count >= k
        assert sum(c.count or 0 for c in cells) == total
    if pool and pool[0].count is None:  # a pool below k only beside the single largest value
        assert len(named) <= 1
    if top is not None:
        assert len(named) <= top


def test_matrix_hides_small_cells_and_their_complements() -> None:
    matrix = [[50, 3, 20], [0, 40, 2], [12, 0, 30]]
    assert protect_matrix(matrix, 10) == [[50, None, None], [0, None, None], [12, 0, 30]]
    assert protect_matrix([[50, 20], [30, 40]], 10) == [[50, 20], [30, 40]]


@given(st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=3, max_size=3),
       st.integers(2, 15))  # fmt: skip
def test_no_single_hidden_cell_in_a_line(matrix: list[list[int]], k: int) -> None:
    shown_matrix = protect_matrix(matrix, k)
    lines = [*shown_matrix, *map(list, zip(*shown_matrix, strict=True))]
    originals = [*matrix, *map(list, zip(*matrix, strict=True))]
    for line, original in zip(lines, originals, strict=True):
        hidden = [o for c, o in zip(line, original, strict=True) if c is None]
        assert all(c is None or c == 0 or c >= k for c in line)
        if len(hidden) == 1:  # only when nothing else in the line could be hidden with it
            assert all(c == 0 for c in line if c is not None)
