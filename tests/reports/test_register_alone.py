"""The check of the stored register alone (which failures are not the new release's fault) is
one LP per group of offices for a whole repair loop: built once, reused only for exactly the
register and truth it was built from, and answering as a fresh check does (issue 10)."""

from __future__ import annotations

import pytest

from benchmarks.release_bench import release
from fallstelle.reports.certify import Memory, Programs
from fallstelle.reports.register import Shown, Var
from fallstelle.reports.union_check import Program, Target, failing, targets
from tests.reports.test_certify import _random_register

K = 5


def _verdicts(found: list) -> dict[str, tuple[float, float]]:
    return {f.target.name: (round(f.lo, 6), round(f.hi, 6)) for f in found}


@pytest.mark.parametrize("seed", [2, 4, 6])
def test_the_lp_of_the_register_alone_is_built_once_and_answers_as_a_fresh_one(
    seed: int, programs: list[Program]
) -> None:
    shown, truth = _random_register(seed)  # even seeds: pooled releases, one linked LP
    wanted = targets(shown, truth, K)
    halves = [wanted[::2], wanted[1::2], wanted]
    fresh = [_verdicts(failing(shown, truth, K, part)) for part in halves]
    assert any(fresh)  # the comparison is not vacuous: the register has narrow targets
    made = len(programs)
    lps, memory = Programs(shown, truth), Memory()
    kept = [_verdicts(failing(lps.shown, lps.truth, K, part, memory=memory, programs=lps))
            for part in halves]  # fmt: skip
    assert kept == fresh
    assert lps.built == len(programs) - made <= len({t.form[0][0][0] for t in wanted})


def test_an_lp_built_for_another_register_is_never_reused() -> None:
    """Register A pins nothing; B publishes one more number (12 − 10 pins the 2). An LP of A
    used for B would excuse nothing that B narrows: ``failing`` refuses it outright."""
    truth: dict[Var, int] = {(3, "2025-Q1", "neu", "n"): 12, (3, "2025-Q1", "neu", "col:y=0"): 2,
                             (3, "2025-Q1", "neu", "col:y=1"): 10}  # fmt: skip

    def cell(fact: str, value: int | None) -> Shown:
        cid = (("fact", fact), ("stellen", "3"))
        return Shown(cid, (((3,), ("2025-Q1",), "neu", (fact,), 1),), value, 0 if value else 1)

    a = [cell("n", 12), cell("col:y=0", None), cell("col:y=1", None)]
    b = [cell("n", 12), cell("col:y=0", None), cell("col:y=1", 10)]
    wanted = targets(a, truth, K)
    lps_a = Programs(a, truth)
    assert failing(lps_a.shown, lps_a.truth, K, wanted, programs=lps_a) == []
    with pytest.raises(ValueError, match="another register"):
        failing(b, truth, K, wanted, programs=lps_a)
    with pytest.raises(ValueError, match="another register"):
        failing(lps_a.shown, dict(lps_a.truth), K, wanted, programs=lps_a)
    lps_b = Programs(b, truth)
    found = failing(lps_b.shown, lps_b.truth, K, targets(b, truth, K), programs=lps_b)
    assert [(f.target.name, f.lo, f.hi) for f in found] == [
        (repr((("fact", "col:y=0"), ("stellen", "3"))), 2.0, 2.0)
    ]


def test_a_target_with_an_unknown_the_lp_lacks_gets_a_new_lp(programs: list[Program]) -> None:
    truth: dict[Var, int] = {(1, "2026-Q1", "neu", "n"): 7, (1, "2026-Q1", "neu", "col:x=0"): 3,
                             (1, "2026-Q1", "neu", "col:x=1"): 4}  # fmt: skip
    shown = release(truth, (1,), "Q1", 2)  # 7 published, 3 and 4 hidden
    lps = Programs(shown, truth)
    assert failing(lps.shown, lps.truth, K, targets(shown, truth, K), programs=lps) == []
    assert lps.built == 1
    other = (1, "2026-Q1", "neu", "col:x=2")  # in no shown number, not in the truth
    wide = Target(repr(other), ((other, 1),), 2, K)
    assert failing(lps.shown, lps.truth, K, [wide], programs=lps) == []  # free: unbounded
    assert lps.built == 2 and other in programs[-1].index
