"""Small-cell suppression for published tables of counts.

A table is a mapping from cells (tuples of dimension values) to counts; empty
cells are absent (zero, and visibly so). We treat as published, besides the
cells we return, every total over any one grouped dimension: a client can ask
for the coarser table, so row, column and grand totals are known.

1. Primary suppression: every cell with 0 < count < threshold.
2. Complementary suppression, repeated until nothing changes: for every
   dimension, in every group of cells that differ only in that dimension
   (whose total is published), if exactly one cell is hidden, or the hidden
   cells could only all be 1 (their sum equals their number), hide the smallest
   visible cell of the group as well.
3. Final audit (tables up to AUDIT_LIMIT cells): a small cell that the visible
   cells and the published totals still pin down by linear algebra (e.g. a
   "bridge" between two cycles of hidden cells in a two-way table) makes us
   hide the smallest visible cell of one of its groups, and audit again.

What counts as published in the audit: every visible cell of this table, and
every visible cell of every coarser table a client could request separately
(grouped by any subset of these dimensions, down to the grand total), each
coarser table being suppressed by this same algorithm.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from fractions import Fraction
from typing import TypeAlias

Cell: TypeAlias = tuple[Hashable, ...]

AUDIT_LIMIT = 600  # cells; larger tables get rules 1 and 2 (the audit is cubic)


def groups(cells: Mapping[Cell, int], dimension: int) -> list[list[Cell]]:
    grouped: dict[Cell, list[Cell]] = defaultdict(list)
    for cell in cells:
        grouped[cell[:dimension] + cell[dimension + 1 :]].append(cell)
    return list(grouped.values())


def suppress(cells: Mapping[Cell, int], threshold: int) -> set[Cell]:
    """The cells to publish as ``count: null, suppressed: true``."""
    if threshold <= 1 or not cells:
        return set()
    hidden = {cell for cell, count in cells.items() if 0 < count < threshold}
    if not hidden:
        return hidden
    dimensions = len(next(iter(cells)))
    if dimensions == 0:
        return hidden  # the grand total alone: hidden when small, nothing else to protect
    while True:
        _complement(cells, hidden, dimensions)
        if len(cells) > AUDIT_LIMIT:
            return hidden
        pinned = [c for c in derivable(cells, hidden, threshold) if cells[c] < threshold]
        if not pinned:
            return hidden
        if not _hide_next_to(cells, hidden, dimensions, pinned[0]):
            return hidden  # nothing left to hide: every cell of its groups is hidden


def _complement(cells: Mapping[Cell, int], hidden: set[Cell], dimensions: int) -> None:
    changed = True
    while changed:
        changed = False
        for dimension in range(max(dimensions, 1)):
            for members in groups(cells, dimension) if dimensions else [list(cells)]:
                secret = [c for c in members if c in hidden]
                if not secret:
                    continue
                lone = len(secret) == 1
                all_ones = sum(cells[c] for c in secret) <= len(secret)
                if lone or all_ones:
                    visible = sorted((c for c in members if c not in hidden), key=_smallest(cells))
                    if visible:
                        hidden.add(visible[0])
                        changed = True


def _hide_next_to(
    cells: Mapping[Cell, int], hidden: set[Cell], dimensions: int, cell: Cell
) -> bool:
    """Hide one more visible cell near ``cell``: in one of its groups, else in any
    coarser group containing it, else anywhere. False when nothing is left to hide."""
    candidates = [
        *(m for d in range(dimensions) for m in groups(cells, d) if cell in m),
        *(m for m in marginal_groups(cells, dimensions) if cell in m),
        list(cells),
    ]
    for members in candidates:
        visible = sorted((c for c in members if c not in hidden), key=_smallest(cells))
        if visible:
            hidden.add(visible[0])
            return True
    return False


def _smallest(cells: Mapping[Cell, int]) -> Callable[[Cell], tuple[int, str]]:
    """Order for complementary suppression: hide the least information first."""
    return lambda c: (cells[c], repr(c))


def marginal_groups(cells: Mapping[Cell, int], dimensions: int) -> list[list[Cell]]:
    """Cells summed by every coarser table: one group per cell of each coarser table."""
    return [members for _kept, members in _coarser_cells(cells, dimensions)]


def _coarser_cells(
    cells: Mapping[Cell, int], dimensions: int
) -> list[tuple[tuple[int, ...], list[Cell]]]:
    found: list[tuple[tuple[int, ...], list[Cell]]] = []
    for size in range(dimensions):
        for kept in itertools.combinations(range(dimensions), size):
            grouped: dict[Cell, list[Cell]] = defaultdict(list)
            for cell in cells:
                grouped[tuple(cell[d] for d in kept)].append(cell)
            found.extend((kept, members) for members in grouped.values())
    return found


def published_totals(cells: Mapping[Cell, int], threshold: int) -> list[list[Cell]]:
    """The groups of cells whose total a client can read from a coarser table."""
    dimensions = len(next(iter(cells))) if cells else 0
    published: list[list[Cell]] = []
    for size in range(dimensions):
        for kept in itertools.combinations(range(dimensions), size):
            grouped: dict[Cell, list[Cell]] = defaultdict(list)
            for cell in cells:
                grouped[tuple(cell[d] for d in kept)].append(cell)
            coarse = {key: sum(cells[c] for c in members) for key, members in grouped.items()}
            coarse_hidden = suppress(coarse, threshold)
            published.extend(
                members for key, members in grouped.items() if key not in coarse_hidden
            )
    return published


def derivable(cells: Mapping[Cell, int], hidden: set[Cell], threshold: int) -> list[Cell]:
    """Hidden cells whose value follows linearly from what is published.

    Unknowns are the hidden cells; each published coarser total gives one
    equation over the hidden cells it sums. A cell is determined iff its unit
    vector lies in the row space of those equations.
    """
    unknowns = sorted(hidden, key=repr)
    index = {cell: i for i, cell in enumerate(unknowns)}
    rows: list[list[Fraction]] = []
    for members in published_totals(cells, threshold):
        row = [Fraction(0)] * len(unknowns)
        for cell in members:
            if cell in index:
                row[index[cell]] = Fraction(1)
        if any(row):
            rows.append(row)
    basis = _row_reduce(rows, len(unknowns))
    pinned = []
    for cell in unknowns:
        target = [Fraction(0)] * len(unknowns)
        target[index[cell]] = Fraction(1)
        if _in_span(basis, target):
            pinned.append(cell)
    return pinned


def _row_reduce(rows: list[list[Fraction]], width: int) -> list[tuple[int, list[Fraction]]]:
    """An echelon basis: each row is reduced against every earlier pivot before it joins,
    so reducing a vector by the rows in insertion order decides membership of the span."""
    basis: list[tuple[int, list[Fraction]]] = []
    for row in rows:
        row = _reduce(basis, row)
        pivot = next((i for i in range(width) if row[i] != 0), None)
        if pivot is None:
            continue
        scale = row[pivot]
        basis.append((pivot, [value / scale for value in row]))
    return basis


def _eliminate(row: list[Fraction], pivot_row: list[Fraction], pivot: int) -> list[Fraction]:
    factor = row[pivot]
    if factor == 0:
        return row
    return [a - factor * b for a, b in zip(row, pivot_row, strict=True)]


def _reduce(basis: list[tuple[int, list[Fraction]]], row: list[Fraction]) -> list[Fraction]:
    for pivot, base in basis:
        row = _eliminate(row, base, pivot)
    return row


def _in_span(basis: list[tuple[int, list[Fraction]]], target: list[Fraction]) -> bool:
    return not any(_reduce(basis, list(target)))
