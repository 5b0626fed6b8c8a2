"""Capped sweeps certify many targets per LP, never certify a narrow one, and find exactly what
one min and one max LP per target find; the memory of a repair loop changes nothing but the
cost (issue 10)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.optimize import linprog  # type: ignore[import-untyped]

from benchmarks.release_bench import PERIODS, release, world
from fallstelle.reports import union_check
from fallstelle.reports.certify import Memory
from fallstelle.reports.register import Shown, Var
from fallstelle.reports.union_check import Program, failing, targets

K = 5


def _quarters_of_a_year(facts: int, seed: int) -> tuple[list[Shown], dict[Var, int]]:
    """One office: every fact's year total and every quarter's cases published; each
    quarter's count of a fact (3 or 4) hidden — groups of four small targets sharing a total."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    truth: dict[Var, int] = {}
    for q in range(1, 5):
        values = [rng.randint(3, 4) for _ in range(facts)]
        truth[(1, f"2026-Q{q}", "neu", "n")] = sum(values)
        for i, v in enumerate(values):
            truth[(1, f"2026-Q{q}", "neu", f"col:x={i}")] = v
    shown = release(truth, (1,), "Y", facts)
    for quarter in ("Q1", "Q2", "Q3", "Q4"):
        shown += release(truth, (1,), quarter, facts)
    return shown, truth


def _offices_with_one_total_each(offices: int) -> tuple[list[Shown], dict[Var, int]]:
    """Per office one published total of cases, ten small counts of 1 or 2 and one large
    count under it, all hidden: ten small targets share each total; and the pooled total."""
    rng = random.Random(offices)  # noqa: S311 (test data, not secrets)
    truth: dict[Var, int] = {}
    shown: list[Shown] = []
    for o in range(1, offices + 1):
        values = [rng.randint(1, 2) for _ in range(10)] + [40]
        truth[(o, "2026-Q1", "neu", "n")] = sum(values)
        for i, v in enumerate(values):
            truth[(o, "2026-Q1", "neu", f"col:x={i}")] = v
        shown += [Shown(cid, terms, value if cid[0] == ("fact", "n") else None,
                        0 if cid[0] == ("fact", "n") else 1)
                  for cid, terms, value, _l, _p in (
                      (s.cell_id, s.terms, s.value, s.lower, s.primary)
                      for s in release(truth, (o,), "Q1", 11))]  # fmt: skip
    pooled = tuple(range(1, offices + 1))  # one pooled total links them: one LP
    return shown + release(truth, pooled, "Q1", 0), truth


def test_one_sweep_certifies_many_targets_sharing_a_published_total(
    programs: list[Program], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(union_check, "PARTNERS_FROM", None)  # the sweeps of one LP
    shown, truth = _offices_with_one_total_each(30)
    wanted = targets(shown, truth, K)
    assert len(wanted) == 30 * 11
    assert failing(shown, truth, K, wanted) == []
    lps = sum(p.solves for p in programs)
    assert lps <= 30, lps  # the old sums of targets put each total into one target: 200+ LPs


def test_groups_of_four_quarters_under_year_totals_take_few_lps(
    programs: list[Program],
) -> None:
    shown, truth = _quarters_of_a_year(40, 1)
    wanted = targets(shown, truth, K)
    assert len(wanted) >= 160  # every quarter's count of every fact
    assert failing(shown, truth, K, wanted) == []
    assert sum(p.solves for p in programs) <= 30


def _narrow_and_wide() -> tuple[list[Shown], dict[Var, int]]:
    shown, truth = _quarters_of_a_year(20, 2)
    q = ("2025-Q1",)
    small = {(2, "n"): 4, (2, "col:y=0"): 2, (2, "col:y=1"): 2,
             (3, "n"): 12, (3, "col:y=0"): 2, (3, "col:y=1"): 10}  # fmt: skip
    truth |= {(o, "2025-Q1", "neu", fact): v for (o, fact), v in small.items()}

    def cell(o: int, fact: str, value: int | None) -> Shown:
        cid = (("fact", fact), ("stellen", str(o)))
        return Shown(cid, (((o,), q, "neu", (fact,), 1),), value, 0 if value else 1)

    shown += [cell(2, "n", 4), cell(2, "col:y=0", None), cell(2, "col:y=1", None),
              cell(3, "n", 12), cell(3, "col:y=0", None), cell(3, "col:y=1", 10)]  # fmt: skip
    return shown, truth


def test_a_narrow_target_among_many_wide_ones_is_still_reported() -> None:
    shown, truth = _narrow_and_wide()
    found = {f.target.name: (round(f.lo, 6), round(f.hi, 6))
             for f in failing(shown, truth, K, targets(shown, truth, K))}  # fmt: skip
    # office 2: 2 + 2 = 4 published, each hidden (so ≥ 1): between 1 and 3, and its 4
    # cases are a small base cell, published; office 3: 12 − 10, pinned at 2
    assert found == {
        repr((2, "2025-Q1", "neu", "n")): (4.0, 4.0),
        repr((("fact", "col:y=0"), ("stellen", "2"))): (1.0, 3.0),
        repr((("fact", "col:y=1"), ("stellen", "2"))): (1.0, 3.0),
        repr((("fact", "col:y=0"), ("stellen", "3"))): (2.0, 2.0),
    }


def _reference(shown: list[Shown], truth: dict[Var, int]) -> dict[str, tuple[float, float]]:
    """One min and one max LP per target, from scratch over every office at once (the
    method before the sweeps and the split into offices no number links)."""
    program = Program(shown, truth, backend="scipy",
                      free=(x for t in targets(shown, truth, K) for x, _ in t.form))  # fmt: skip
    out = {}
    for t in targets(shown, truth, K):
        c = program.vector(t.form)
        ends = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=program.a_ub, b_ub=program.b_ub, A_eq=program.a_eq,
                          b_eq=program.b_eq, bounds=(0, None), method="highs")  # fmt: skip
            ends.append(float(c @ res.x) if res.status == 0 else sign * -np.inf)
        if ends[1] - ends[0] < t.width - 1e-6:
            out[t.name] = (round(ends[0], 6), round(ends[1], 6))
    return out


def _random_register(seed: int) -> tuple[list[Shown], dict[Var, int]]:
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    offices, facts = rng.randint(1, 3), rng.randint(2, 5)
    truth = world(offices, facts, seed)
    ids = tuple(range(1, offices + 1))
    pools = [*((o,) for o in ids), ids][: offices if seed % 2 else None]  # odd: no pool
    shown: list[Shown] = []
    for pool in pools:
        for period in rng.sample(sorted(PERIODS), rng.randint(1, len(PERIODS))):
            shown += release(truth, pool, period, facts)
    return shown, truth


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("backend", ["highspy", "scipy"])
def test_the_sweeps_find_what_one_lp_per_target_finds(seed: int, backend: str) -> None:
    shown, truth = _random_register(seed)
    wanted = targets(shown, truth, K)
    found = {f.target.name: (round(f.lo, 6), round(f.hi, 6))
             for f in failing(shown, truth, K, wanted, backend=backend)}  # fmt: skip
    assert found == _reference(shown, truth)


@pytest.mark.parametrize("seed", range(1, 7))
def test_the_memory_of_a_repair_loop_changes_nothing_but_the_cost(seed: int) -> None:
    """Round after round one more published number is hidden (the LP relaxes): carrying
    what was certified gives the failures a fresh check gives."""
    shown, truth = _random_register(seed)
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    memory, reused = Memory(), 0
    for _round in range(4):
        wanted = targets(shown, truth, K)
        fresh = {f.target.name: (round(f.lo, 6), round(f.hi, 6))
                 for f in failing(shown, truth, K, wanted)}  # fmt: skip
        kept = {f.target.name: (round(f.lo, 6), round(f.hi, 6))
                for f in failing(shown, truth, K, wanted, memory=memory)}  # fmt: skip
        assert kept == fresh
        reused = reused or memory.reused
        published = [i for i, s in enumerate(shown) if s.value]
        for i in rng.sample(published, min(3, len(published))):
            s = shown[i]
            shown[i] = Shown(s.cell_id, s.terms, None, 1)
    assert reused  # the comparison is not vacuous: earlier fillings were used


def test_a_filling_of_an_earlier_round_that_no_longer_fits_certifies_nothing() -> None:
    """The next round publishes a number the last one hid (the per-release suppression chose
    another complement): 12 − 10 pins the 2, whatever the last round's fillings said."""
    truth: dict[Var, int] = {(3, "2025-Q1", "neu", "n"): 12, (3, "2025-Q1", "neu", "col:y=0"): 2,
                             (3, "2025-Q1", "neu", "col:y=1"): 10}  # fmt: skip

    def cell(fact: str, value: int | None) -> Shown:
        cid = (("fact", fact), ("stellen", "3"))
        return Shown(cid, (((3,), ("2025-Q1",), "neu", (fact,), 1),), value, 0 if value else 1)

    memory = Memory()
    before = [cell("n", 12), cell("col:y=0", None), cell("col:y=1", None)]
    assert failing(before, truth, K, targets(before, truth, K), memory=memory) == []
    assert memory.fillings
    after = [cell("n", 12), cell("col:y=0", None), cell("col:y=1", 10)]
    found = failing(after, truth, K, targets(after, truth, K), memory=memory)
    assert [(f.target.name, f.lo, f.hi) for f in found] == [
        (repr((("fact", "col:y=0"), ("stellen", "3"))), 2.0, 2.0)]


def test_offices_no_number_links_are_separate_lps(programs: list[Program]) -> None:
    shown, truth = _random_register(5)  # three offices, no pooled release
    assert len(union_check.components(shown)) == 3
    failing(shown, truth, K, targets(shown, truth, K))
    offices = [sorted({v[0] for v in p.index}) for p in programs]
    assert len(offices) >= 2 and all(len(o) == 1 for o in offices), offices  # one LP each
    pooled = shown + release(truth, (1, 2), "Y", 2)
    assert union_check.components(pooled) == [{1, 2}, {3}]
