"""Which protection a dataset's counts get, and how one cell is published.

- People datasets (``counts_people``): the cell-key method. Each record carries a fixed random
  key; a cell's key is the fractional part of the sum of its records' keys; its published
  count is the true count plus the deviation the perturbation table gives for
  (true count, cell key). The same records always give the same answer; a cell that differs by
  even one record gets an unrelated deviation. A count the table sends to 0 is published as
  hidden (``count: null, suppressed: true``); no published count lies in 1..k-1. Every cell,
  totals included, is protected on its own: a total is the cell of all its records.
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
    """Cell-key publication: the perturbed count, None when it is 0 for a non-empty cell."""
    value = table.perturb(count, cell_key(key_sum))
    return None if count and value == 0 else value


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
