"""Which protection a dataset's counts get, and how one cell is published.

- People datasets (``counts_people``): the cell-key method. Each record carries a fixed random
  key; a cell's key is the fractional part of the sum of its records' keys; its published
  count is the true count plus the deviation the perturbation table gives for
  (true count, cell key). The same records always give the same answer; a cell that differs by
  even one record gets an unrelated deviation. A cell below the threshold (empty included)
  is always hidden (``count: null, suppressed: true``), and so is a larger one the table
  sends to 0; every cell of the table is listed, empty ones included
  (``reports/domains.py``). So no published count lies in 1..k-1, a hidden cell says "0 to
  D", and no difference of answers can isolate a count of 1 to k-1. Every cell, totals
  included, is protected on its own: a total is the cell of all its records.
- ``incidents``: exact. With a threshold set, cells below it are hidden in that table alone (a
  cosmetic rule: incidents are events, and nothing protects them against differencing).
"""

from __future__ import annotations

from dataclasses import dataclass

from casework.core.config import Settings
from casework.core.recordkey import cell_key
from casework.reports.datasets import Dataset
from casework.reports.ptable import PTable, build
from casework.reports.schemas import Protection


@dataclass(frozen=True)
class Rule:
    protection: Protection
    table: PTable | None = None

    @property
    def threshold(self) -> int:
        return self.protection.threshold or 0

    def publish(self, count: int, key_sum: int | None) -> int | None:
        """The published count of a cell (None: hidden); ``key_sum`` is SUM(record_key)."""
        if self.table is not None:
            return publish(self.table, count, key_sum or 0)
        if count and count < self.threshold:
            return None
        return count


def publish(table: PTable, count: int, key_sum: int) -> int | None:
    """Cell-key publication: the perturbed count, or None (hidden).

    A cell below the threshold (0 to js records) is always hidden, whatever its key; a
    larger one is hidden when the table sends it to 0. So a published number always stands
    for at least k records, and an empty cell looks like a small one.
    """
    if count <= table.js:
        return None
    value = table.perturb(count, cell_key(key_sum))
    return None if value == 0 else value


def possible_counts(table: PTable, published: int | None) -> range:
    """Every true count that ``publish`` can turn into ``published``: what an answer tells
    anyone who knows the table. A hidden cell holds 0 to D records (D when the table sends
    a count of D to 0); a number p, counts of k or more within D of p."""
    if published is None:
        return range(0, max(table.preimage(0).stop, table.js + 1))
    found = table.preimage(published)
    return range(max(found.start, table.js + 1), found.stop)


def rule_for(dataset: Dataset, settings: Settings) -> Rule:
    threshold: int = getattr(settings, f"report_threshold_{dataset.name}")
    if not dataset.counts_people:
        if threshold <= 1:
            return Rule(Protection(method="none"))
        return Rule(Protection(method="threshold", threshold=threshold))
    js = max(threshold - 1, 0)
    deviation, variance = settings.report_max_deviation, settings.report_variance
    return Rule(
        Protection(
            method="cell_key",
            threshold=js + 1,
            max_deviation=deviation,
            variance=variance,
            js=js,
            ptable=f"create_cnt_ptable(D = {deviation}, V = {variance:g}, js = {js})",
        ),
        build(deviation, variance, js),
    )
