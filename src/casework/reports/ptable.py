"""The perturbation table of the cell-key method, built as the sdcTools ``ptable`` package does.

For frequency tables (``ptable::create_cnt_ptable(D, V, js)``, the table read by the
``cellKey`` R package and by tau-ARGUS):

- ``D``: maximum deviation. A published count is never further than D from the true count.
- ``V``: variance of the noise. An upper bound: for small counts the constraints below leave
  less room, and the variance of their row is what maximum entropy reaches under them.
- ``js``: no published count lies in 1..js. We use ``js = k - 1`` for a threshold ``k``, so a
  count is published as 0 (a hidden cell) or as k or more.

One row per original count ``i = 0, 1, ..., D + js + 1`` (``D`` rows when ``js = 0``). Row 0
keeps 0 (an empty cell stays empty: no false positives). For every other row the possible
targets are ``j = max(i - D, 0) .. i + D`` without ``1..js``; the transition probabilities
``p_j`` maximise the entropy ``-sum p log p`` subject to

1. ``sum p_j = 1``;
2. ``sum (j - i) p_j = 0`` (no bias);
3. ``sum (j - i)^2 p_j <= V``;
4. monotony (``mono = TRUE``): on the side below ``i`` the probabilities do not decrease
   towards ``i`` (``p_{j} <= p_{j+1}`` for consecutive targets up to ``j = i``).

The last row (``i = D + js + 1``) is used for every larger count ("symmetry"): its deviations
``-D..D`` apply to any ``i`` at or above it. Cumulative bounds are rounded to 8 digits and the
probabilities taken as their differences, as ``ptable`` does. A cell with original count ``i``
and cell key ``ck`` is published as ``i + v`` where ``v`` is the deviation of the first target
whose cumulative upper bound exceeds ``ck`` (``cellKey``'s ``lookup_freq``).

``ptable`` solves each row with NLopt's SLSQP. The problem is convex, so its optimum is unique
and we compute the same optimum through the dual: ``p_j`` is proportional to
``exp(-(lambda v_j + mu v_j^2 + sum_k nu_k a_kj))`` with ``mu >= 0`` (variance) and
``nu_k >= 0`` (monotony), where the multipliers minimise the convex function
``log sum_j exp(-theta_j) + mu V``; a projected Newton method finds them in a few steps.
``ptable`` also bounds every probability below by 10^-8; we do not, so with a small ``V``
and a large ``D`` a far target can get a probability that rounds to 0 at 8 digits (it is then
never drawn). ``ptable`` stops with "The variance parameter you set is too small!" when a row has no
solution; we raise the same way (``PTableError``) instead of publishing a row that breaks its
constraints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

DIGITS = 8  # ptable rounds the cumulative bounds to 8 digits
TOLERANCE = 1e-9


class PTableError(ValueError):
    """The parameters admit no perturbation table (ptable: "variance ... too small")."""


@dataclass(frozen=True)
class PTableRow:
    i: int
    targets: tuple[int, ...]
    probabilities: tuple[float, ...]
    upper: tuple[float, ...]  # cumulative upper bounds, rounded to DIGITS

    @property
    def deviations(self) -> tuple[int, ...]:
        return tuple(j - self.i for j in self.targets)

    @property
    def mean(self) -> float:
        return sum(v * p for v, p in zip(self.deviations, self.probabilities, strict=True))

    @property
    def variance(self) -> float:
        return sum(v * v * p for v, p in zip(self.deviations, self.probabilities, strict=True))


@dataclass(frozen=True)
class PTable:
    max_deviation: int  # D
    variance: float  # V
    js: int
    rows: tuple[PTableRow, ...]  # rows[i] for i = 0 .. last

    @property
    def last(self) -> int:
        """The symmetry row: used for this count and every larger one."""
        return self.rows[-1].i

    def row_for(self, count: int) -> PTableRow:
        return self.rows[min(count, self.last)]

    def deviation(self, count: int, key: float) -> int:
        """The noise for a cell of ``count`` records whose cell key is ``key`` in [0, 1)."""
        if count <= 0:
            return 0
        row = self.row_for(count)
        for deviation, upper in zip(row.deviations, row.upper, strict=True):
            if key < upper:
                return deviation
        return row.deviations[-1]

    def perturb(self, count: int, key: float) -> int:
        return count + self.deviation(count, key)

    def preimage(self, published: int) -> range:
        """Every true count that can be published as ``published`` (an attacker's view)."""
        found = [
            i
            for i in range(
                max(published - self.max_deviation, 0), published + self.max_deviation + 1
            )
            if self.probability(i, published) > 0
        ]
        return range(found[0], found[-1] + 1) if found else range(0)

    def probability(self, count: int, published: int) -> float:
        if count <= 0:
            return 1.0 if published == 0 else 0.0
        row = self.row_for(count)
        for deviation, probability in zip(row.deviations, row.probabilities, strict=True):
            if count + deviation == published:
                return probability
        return 0.0


def minimum_variance(max_deviation: int, js: int) -> float:
    """The smallest V for which every row has a solution with all targets possible.

    A count i in 1..js must move to 0 or to js+1 or above; the tightest unbiased choice puts
    its mass on -i and js+1-i, whose variance is i (js + 1 - i)."""
    if js and max_deviation < js:
        raise PTableError(f"max_deviation {max_deviation} must be at least js = {js}")
    return float(max((i * (js + 1 - i) for i in range(1, js + 1)), default=0))


@lru_cache(maxsize=16)
def build(max_deviation: int, variance: float, js: int) -> PTable:
    """``ptable::create_cnt_ptable(D = max_deviation, V = variance, js = js)``."""
    if max_deviation < 1 or js < 0 or variance <= 0:
        raise PTableError("D must be at least 1, js at least 0 and V positive")
    if variance <= minimum_variance(max_deviation, js):
        raise PTableError(
            f"The variance parameter you set is too small! V = {variance} must exceed "
            f"{minimum_variance(max_deviation, js)} for js = {js}"
        )
    last = max_deviation if js == 0 else max_deviation + js + 1
    blocked = set(range(1, js + 1))
    rows = [PTableRow(0, (0,), (1.0,), (1.0,))]
    for i in range(1, last + 1):
        targets = tuple(
            j for j in range(max(i - max_deviation, 0), i + max_deviation + 1) if j not in blocked
        )
        deviations = [j - i for j in targets]
        probabilities = _max_entropy(deviations, variance)
        row = _rounded(i, targets, probabilities)
        if abs(row.mean) > 1e-6 or row.variance > variance + 1e-6:
            raise PTableError(
                f"The variance parameter you set is too small! (row i = {i}: "
                f"mean {row.mean:.2e}, variance {row.variance:.4f})"
            )
        rows.append(row)
    return PTable(max_deviation, float(variance), js, tuple(rows))


def _rounded(i: int, targets: tuple[int, ...], probabilities: list[float]) -> PTableRow:
    upper: list[float] = []
    total = 0.0
    for p in probabilities:
        total += p
        upper.append(round(total, DIGITS))
    upper[-1] = 1.0
    lower = [0.0, *upper[:-1]]
    exact = tuple(u - lo for u, lo in zip(upper, lower, strict=True))
    return PTableRow(i, targets, exact, tuple(upper))


def _features(deviations: list[int]) -> list[list[float]]:
    """Per target: deviation, squared deviation, and one column per monotony constraint
    (``p_a - p_b <= 0`` for consecutive targets a < b up to deviation 0)."""
    zero = deviations.index(0) if 0 in deviations else 0
    pairs = [(a, a + 1) for a in range(zero)]
    features = []
    for index, v in enumerate(deviations):
        monotony = [1.0 if index == a else -1.0 if index == b else 0.0 for a, b in pairs]
        features.append([float(v), float(v * v), *monotony])
    return features


def _max_entropy(deviations: list[int], variance: float) -> list[float]:
    """Maximum-entropy probabilities over ``deviations`` under constraints 1-4 (module doc)."""
    features = _features(deviations)
    size = len(features[0])
    y = [0.0] * size  # lambda (free), mu >= 0, nu_k >= 0

    def distribution(y: list[float]) -> tuple[list[float], float]:
        theta = [sum(f * c for f, c in zip(row, y, strict=True)) for row in features]
        low = min(theta)
        weights = [math.exp(low - t) for t in theta]
        norm = sum(weights)
        return [w / norm for w in weights], math.log(norm) - low

    def objective(y: list[float]) -> float:
        return distribution(y)[1] + y[1] * variance

    for _ in range(500):
        p, _ = distribution(y)
        expected = [
            sum(pj * row[a] for pj, row in zip(p, features, strict=True)) for a in range(size)
        ]
        gradient = [-e for e in expected]
        gradient[1] += variance
        free = [a for a in range(size) if a == 0 or y[a] > 0 or gradient[a] < 0]
        if max(abs(gradient[a]) for a in free) < 1e-13:
            break
        hessian = [
            [
                sum(pj * row[a] * row[b] for pj, row in zip(p, features, strict=True))
                - expected[a] * expected[b]
                for b in free
            ]
            for a in free
        ]
        step = _solve(hessian, [-gradient[a] for a in free])
        direction = [0.0] * size
        for index, a in enumerate(free):
            direction[a] = step[index]
        current = objective(y)
        t = 1.0
        while True:
            trial = [y[a] + t * direction[a] for a in range(size)]
            trial = [value if a == 0 else max(value, 0.0) for a, value in enumerate(trial)]
            decrease = sum(g * (n - o) for g, n, o in zip(gradient, trial, y, strict=True))
            if objective(trial) <= current + 1e-4 * decrease or t < 1e-12:
                break
            t /= 2
        if trial == y:
            break
        y = trial
    return distribution(y)[0]


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting; a tiny ridge keeps singular systems
    (targets whose features are linearly dependent) solvable."""
    n = len(rhs)
    a = [[*row, b] for row, b in zip(matrix, rhs, strict=True)]
    for i in range(n):
        a[i][i] += 1e-12
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-300:
            continue
        for r in range(n):
            if r != col and a[r][col]:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[r][n] / a[r][r] if abs(a[r][r]) > 1e-300 else 0.0 for r in range(n)]
