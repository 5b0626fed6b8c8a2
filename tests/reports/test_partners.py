"""Targets of a pooled release certified in restrictions of the union LP: each office alone,
then with partner offices whose same cell is hidden (``partners.restricted``, on from
``union_check.PARTNERS_FROM`` linked offices). Only what no restriction certifies reaches the
whole LP, which alone decides failures: the failures are exactly the whole LP's (issue 10).
"""

from __future__ import annotations

import random

import pytest

from benchmarks.release_bench import release
from fallstelle.reports import partners, union_check
from fallstelle.reports.register import Shown, Var
from fallstelle.reports.union_check import Program, failing, targets
from tests.reports.test_pooled_groups import _found, _register

K = 5


def _own_years(
    counts: dict[int, list[int]], published: tuple[int, ...] = ()
) -> tuple[list[Shown], dict[Var, int]]:
    """Per office a year of two facts (``col:x=0``, ``col:x=1``, all cases in Q1); every
    office's own year hides both facts (a small one and its complement) unless listed in
    ``published``; the pooled year publishes everything."""
    truth: dict[Var, int] = {}
    for o, values in counts.items():
        truth[(o, "2026-Q1", "neu", "n")] = sum(values)
        truth |= {(o, "2026-Q1", "neu", f"col:x={i}"): v for i, v in enumerate(values) if v}
    shown: list[Shown] = []
    for o in counts:
        own = release(truth, (o,), "Y", 2)
        shown += [s if s.cell_id[0] == ("fact", "n") or o in published
                  else Shown(s.cell_id, s.terms, None, 0) for s in own]  # fmt: skip
    pooled = release(truth, tuple(counts), "Y", 2)
    assert all(s.value is not None for s in pooled)
    return shown + pooled, truth


def _whole_solves(programs: list[Program], n: int) -> int:
    """LPs solved over all ``n`` offices (the whole LP is built first, for kept fillings)."""
    return sum(p.solves for p in programs if len(p.offices) == n)


def test_a_target_with_room_only_in_another_office_is_certified_through_its_partner(
    programs: list[Program], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Office 1's 2 is hidden in its own year, the pooled year publishes 2 + 3 + 10: with the
    others at their truth it is pinned, with office 2 (whose 3 is hidden too) it ranges over
    0 … 5. Office 3 published its 10, so it is no partner; the whole LP is never solved."""
    monkeypatch.setattr(union_check, "PARTNERS_FROM", 3)
    shown, truth = _own_years({1: [2, 20], 2: [3, 30], 3: [10, 40]}, published=(3,))
    wanted = targets(shown, truth, K)
    mine = [t for t in wanted if t.truth == 2]
    assert mine
    assert failing(shown, truth, K, wanted) == []
    assert _whole_solves(programs, 3) == 0
    assert {p.offices for p in programs} >= {frozenset({1}), frozenset({1, 2})}

    programs.clear()
    monkeypatch.setattr(partners, "USE_PARTNERS", False)
    assert failing(shown, truth, K, wanted) == []
    assert _whole_solves(programs, 3) > 0, "without partners the whole LP must certify it"


def test_a_target_no_partner_can_widen_fails_exactly_as_in_the_whole_lp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Office 1's 2 and office 2's 1 are the only hidden room of the pooled 2 + 1 + 10: the
    range 0 … 3 is narrow in every restriction and in the whole LP."""
    shown, truth = _own_years({1: [2, 20], 2: [1, 30], 3: [10, 40]}, published=(3,))
    monkeypatch.setattr(union_check, "PARTNERS_FROM", None)
    whole = _found(shown, truth)
    assert whole
    monkeypatch.setattr(union_check, "PARTNERS_FROM", 3)
    assert _found(shown, truth) == whole


def _pooled(offices: int, seed: int) -> tuple[list[Shown], dict[Var, int]]:
    """Random offices of two facts; each office's own year hides what is small and its
    complement, some offices' years are published whole; the pooled year links them all."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    counts = {o: [rng.choice([0, 1, 2, 3, 4, 6, 9]), rng.randint(5, 30)]
              for o in range(1, offices + 1)}  # fmt: skip
    published = tuple(o for o in counts if counts[o][0] >= K or rng.random() < 0.2)
    return _own_years(counts, published)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("size", [1, 3])
def test_partners_find_exactly_the_failures_of_the_whole_lp(
    seed: int, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(partners, "PARTNERS", size)
    for shown, truth in (_pooled(4 + seed % 5, seed), _register(seed)):
        monkeypatch.setattr(union_check, "PARTNERS_FROM", None)
        whole = _found(shown, truth)
        monkeypatch.setattr(union_check, "PARTNERS_FROM", 0)
        assert _found(shown, truth) == whole


def test_the_pooled_registers_are_not_vacuous(
    programs: list[Program], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some of them fail, some pass, and partner LPs (more than one office, fewer than all)
    certify targets in them."""
    monkeypatch.setattr(union_check, "PARTNERS_FROM", 0)
    outcomes = []
    for seed in range(12):
        shown, truth = _pooled(4 + seed % 5, seed)
        outcomes.append(bool(_found(shown, truth)))
    assert 0 < sum(outcomes) < len(outcomes), outcomes
    sizes = {len(p.offices) for p in programs}
    assert any(1 < n < 4 for n in sizes), sizes
