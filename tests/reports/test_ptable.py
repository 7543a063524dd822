"""The perturbation table holds every constraint of ptable::create_cnt_ptable."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from casework.reports.ptable import PTableError, build, minimum_variance


@st.composite
def parameters(draw: st.DrawFn) -> tuple[int, float, int]:
    js = draw(st.integers(min_value=0, max_value=6))
    deviation = draw(st.integers(min_value=max(js, 1), max_value=8))
    least = minimum_variance(deviation, js)
    variance = draw(st.floats(min_value=least + 0.25, max_value=least + 6, allow_nan=False))
    return deviation, round(variance, 2), js


@settings(max_examples=60, deadline=None)
@given(parameters())
def test_every_row_meets_the_constraints(params: tuple[int, float, int]) -> None:
    deviation, variance, js = params
    assume(variance > minimum_variance(deviation, js))
    table = build(deviation, variance, js)
    assert table.last == (deviation if js == 0 else deviation + js + 1)
    assert table.rows[0].targets == (0,)  # an empty cell stays empty
    for row in table.rows[1:]:
        assert math.isclose(sum(row.probabilities), 1.0, abs_tol=1e-9)
        assert abs(row.mean) < 1e-6  # unbiased
        assert row.variance <= variance + 1e-6
        assert all(p >= 0 for p in row.probabilities)  # below 1e-8 rounds to 0
        assert all(abs(v) <= deviation for v in row.deviations)
        assert not set(row.targets) & set(range(1, js + 1))  # never 1..js
        assert row.upper[-1] == 1.0
        # Monotony: below the original count, probabilities rise towards it.
        below = [p for v, p in zip(row.deviations, row.probabilities, strict=True) if v <= 0]
        if 0 in row.deviations:
            assert all(a <= b + 1e-7 for a, b in itertools.pairwise(below))


def test_the_symmetry_row_serves_every_larger_count() -> None:
    table = build(5, 7.0, 4)
    assert table.last == 10
    row = table.rows[-1]
    assert row.deviations == tuple(range(-5, 6))
    assert all(
        math.isclose(a, b, abs_tol=1e-7)
        for a, b in zip(row.probabilities, reversed(row.probabilities), strict=True)
    )
    assert math.isclose(row.variance, 7.0, abs_tol=1e-6)  # the variance constraint binds
    assert all(p > 0.001 for r in table.rows for p in r.probabilities)  # every target lives
    for count in (10, 11, 250, 10_000):
        assert {table.perturb(count, key / 100) - count for key in range(100)} <= set(range(-5, 6))


def test_the_vignette_example() -> None:
    """ptable's vignette: with D = 2, V = 1 the variance of V = 1 does not hold for i = 1
    (monotony leaves less room); the symmetric row reaches it."""
    table = build(2, 1.0, 0)
    assert table.rows[1].variance < 1.0
    assert math.isclose(table.rows[2].variance, 1.0, abs_tol=1e-6)
    assert table.rows[1].targets == (0, 1, 2, 3)


def test_the_lookup_follows_the_cumulative_bounds() -> None:
    table = build(5, 7.0, 4)
    row = table.rows[3]
    assert table.perturb(3, 0.0) == row.targets[0]
    assert table.perturb(3, row.upper[0]) == row.targets[1]  # upper bounds are exclusive
    assert table.perturb(3, 0.999999999) == row.targets[-1]
    assert table.perturb(0, 0.5) == 0


@pytest.mark.parametrize(("deviation", "variance", "js"), [(5, 6.0, 4), (3, 9.0, 4), (2, 0, 0)])
def test_impossible_parameters_are_refused(deviation: int, variance: float, js: int) -> None:
    with pytest.raises(PTableError):
        build(deviation, variance, js)


def test_the_settings_refuse_parameters_that_cannot_protect_the_threshold() -> None:
    from pydantic import ValidationError

    from casework.core.config import Settings

    with pytest.raises(ValidationError, match="CASEWORK_REPORT_VARIANCE > 6"):
        Settings(report_variance=5.0)
    with pytest.raises(ValidationError, match="CASEWORK_REPORT_MAX_DEVIATION >= 9"):
        Settings(report_threshold_referrals=10)
