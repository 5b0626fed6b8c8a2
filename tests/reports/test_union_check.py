"""The union check through ``highspy`` (one model, warm starts) finds exactly what the
from-scratch ``scipy.optimize.linprog`` path finds, and both agree with the plain LP
attacker of ``tests/reports/attacker.py`` on small registers (issue 10)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.release_bench import PERIODS, release, world
from fallstelle.reports.union_check import Program, check
from tests.reports import attacker

K = 5


def _register(offices: int, facts: int, seed: int) -> tuple[list, dict]:
    truth = world(offices, facts, seed)
    ids = tuple(range(1, offices + 1))
    shown = []
    for pool in [*((o,) for o in ids), ids]:
        for period in PERIODS:
            shown += release(truth, pool, period, facts)
    return shown, truth


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_highspy_and_scipy_agree_on_every_narrow_target(seed: int) -> None:
    shown, truth = _register(3, 4, seed)
    fast = check(shown, truth, K)
    slow = check(shown, truth, K, backend="scipy")
    assert {f.target.name for f in fast} == {f.target.name for f in slow}
    assert fast  # the unprotected register does leak: the comparison is not vacuous
    for a, b in zip(sorted(fast, key=lambda f: f.target.name),
                    sorted(slow, key=lambda f: f.target.name), strict=True):  # fmt: skip
        assert (round(a.lo, 6), round(a.hi, 6)) == (round(b.lo, 6), round(b.hi, 6))


def test_the_warm_started_model_answers_like_a_fresh_solve_for_each_objective() -> None:
    shown, truth = _register(2, 3, 4)
    warm, cold = Program(shown, truth), Program(shown, truth, backend="scipy")
    for i in range(len(warm.index)):
        for sign in (1.0, -1.0):
            cost = [0.0] * len(warm.index)
            cost[i] = sign
            a, _ = warm.optimum(np.array(cost))
            b, _ = cold.optimum(np.array(cost))
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert abs(a[i] - b[i]) < 1e-6


def test_the_checker_finds_what_the_independent_lp_attacker_narrows() -> None:
    shown, truth = _register(2, 3, 5)
    narrowed = {r.what for r in attacker.narrowed(shown, truth, K)}
    found = {f.target.name for f in check(shown, truth, K) if f.target.truth < K}
    assert narrowed and narrowed == found
