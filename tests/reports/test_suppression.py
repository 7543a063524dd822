"""Property tests: no suppressed cell can be recovered from what is published."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from casework.reports.suppression import Cell, derivable, groups, suppress

THRESHOLD = 5


@st.composite
def tables(draw: st.DrawFn) -> dict[Cell, int]:
    dimensions = draw(st.integers(min_value=0, max_value=3))
    sizes = [draw(st.integers(min_value=1, max_value=4)) for _ in range(dimensions)]
    cells: dict[Cell, int] = {}
    for cell in itertools.product(*(range(size) for size in sizes)):
        count = draw(st.integers(min_value=0, max_value=12))
        if count:  # empty cells are absent, as in a GROUP BY
            cells[tuple(cell)] = count
    return cells


@settings(max_examples=400, deadline=None)
@given(tables())
def test_every_small_cell_is_hidden(cells: dict[Cell, int]) -> None:
    hidden = suppress(cells, THRESHOLD)
    assert {c for c, n in cells.items() if n < THRESHOLD} <= hidden


@settings(max_examples=400, deadline=None)
@given(tables())
def test_no_group_has_a_lone_hidden_cell_unless_it_is_the_whole_group(
    cells: dict[Cell, int],
) -> None:
    hidden = suppress(cells, THRESHOLD)
    dimensions = len(next(iter(cells))) if cells else 0
    for dimension in range(dimensions):
        for members in groups(cells, dimension):
            secret = [c for c in members if c in hidden]
            assert len(secret) != 1 or len(members) == 1


@settings(max_examples=500, deadline=None)
@given(tables())
def test_no_small_cell_follows_from_published_cells_and_totals(cells: dict[Cell, int]) -> None:
    """Exact linear algebra over this response's visible cells and every coarser table a
    client could request (each suppressed by the same algorithm).

    The one case left: when every cell of the table is hidden, the response publishes no
    count at all, and what coarser tables give away together with the pattern of
    non-empty cells is beyond this table's reach (documented in the README)."""
    hidden = suppress(cells, THRESHOLD)
    pinned = [c for c in derivable(cells, hidden, THRESHOLD) if cells[c] < THRESHOLD]
    assert pinned == [] or hidden == set(cells)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_hidden_cells_could_not_all_be_one(cells: dict[Cell, int]) -> None:
    """Counts are at least 1; hidden cells that could only all be 1 would be known."""
    hidden = suppress(cells, THRESHOLD)
    dimensions = len(next(iter(cells))) if cells else 0
    for dimension in range(dimensions):
        for members in groups(cells, dimension):
            secret = [c for c in members if c in hidden]
            if len(secret) >= 2 and sum(cells[c] for c in secret) == len(secret):
                assert set(secret) == set(members)  # nothing visible was left to hide


def test_worked_example() -> None:
    # Gao: 3 killings (hidden), 10 extortions; Mopti: 12 and 9.
    cells = {
        ("ML07", "killing"): 3,
        ("ML07", "extortion"): 10,
        ("ML05", "killing"): 12,
        ("ML05", "extortion"): 9,
    }
    hidden = suppress(cells, THRESHOLD)
    # The Gao total (13) is published: hiding only the 3 would give it away.
    assert ("ML07", "killing") in hidden
    assert ("ML07", "extortion") in hidden
    # The killing total (15) is published too: the Mopti killings must go as well...
    assert ("ML05", "killing") in hidden
    # ...and then Mopti's row, closing the cycle.
    assert ("ML05", "extortion") in hidden
    assert derivable(cells, hidden, THRESHOLD) == []


def test_no_threshold_hides_nothing() -> None:
    assert suppress({("ML07",): 1}, 0) == set()
