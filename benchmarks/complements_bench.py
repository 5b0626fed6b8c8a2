"""Compare the complement choosers of issue 10 on synthetic registers: greedy against LP.

Synthetic, no database (``benchmarks.release_bench``: two offices, random base counts per
quarter, one single-valued column so that ``n = Σ values``). For each seed, three sequences
of releases are published in order — each office's year then the pooled year; the year,
then H1, then H2 of office 1; the year, then Q1, then Q2 of office 1 — each new release
going through :func:`repair` (``protect.protect``'s loop without the per-table
suppression) with the greedy chooser (``protect._candidates``, one cell per failing target
and round) or the LP chooser (:func:`fallstelle.reports.complements.choose`). Prints, per
release, how many passed and how many cells they hid.

    python -m benchmarks.complements_bench [--seeds 30] [--facts 4]
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Sequence

from benchmarks.release_bench import release, world
from fallstelle.reports import complements
from fallstelle.reports.protect import _candidates
from fallstelle.reports.register import Shown, Var
from fallstelle.reports.tables import CellId
from fallstelle.reports.union_check import Failure, check, failing, targets

K = 5
Chooser = Callable[[Sequence[Failure], list[Shown], list[Shown], dict[Var, int]], set[CellId]]
SEQUENCES = {
    "offices, then pooled": [((1,), "Y"), ((2,), "Y"), ((1, 2), "Y")],
    "year, then halves": [((1,), "Y"), ((1,), "H1"), ((1,), "H2")],
    "year, then quarters": [((1,), "Y"), ((1,), "Q1"), ((1,), "Q2")],
}


def lp(failures: Sequence[Failure], known: list[Shown], new: list[Shown],
       base: dict[Var, int]) -> set[CellId]:  # fmt: skip
    choice = complements.choose(failures, known, new, base)
    return set() if choice.impossible else choice.cells


def greedy(failures: Sequence[Failure], known: list[Shown], new: list[Shown],
           base: dict[Var, int]) -> set[CellId]:  # fmt: skip
    return _candidates(failures, new)


def hide(new: list[Shown], ids: set[CellId]) -> list[Shown]:
    return [Shown(s.cell_id, s.terms, None, 1, s.primary) if s.cell_id in ids else s
            for s in new]  # fmt: skip


def repair(known: list[Shown], new: list[Shown], base: dict[Var, int],
           choose: Chooser) -> list[Shown] | None:  # fmt: skip
    """The new release with complements until the union passes (None: refused)."""
    old = {f.target.name for f in check(known, base, K)} if known else set()
    for _ in range(60):
        union = [*known, *new]
        wanted = [t for t in targets(union, base, K) if t.name not in old]
        failures = failing(union, base, K, wanted, limit=20)
        if not failures:
            return new
        more = choose(failures, known, new, base) - {s.cell_id for s in new if s.value is None}
        if not more:
            return None
        new = hide(new, more)
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--facts", type=int, default=4)
    args = parser.parse_args()
    stats: Counter[tuple[str, str, str]] = Counter()
    for seed in range(1, args.seeds + 1):
        base = world(2, args.facts, seed)
        for name, steps in SEQUENCES.items():
            for label, chooser in (("greedy", greedy), ("lp", lp)):
                known: list[Shown] = []
                for offices, period in steps:
                    step = f"{name}: {','.join(map(str, offices))} {period}"
                    out = repair(known, release(base, offices, period, args.facts), base, chooser)
                    if out is None:
                        continue
                    stats[(step, label, "passed")] += 1
                    stats[(step, label, "hidden")] += sum(s.value is None for s in out)
                    known += out
    print(f"{args.seeds} seeds, 2 offices, {args.facts} facts, k={K}")
    print(f"{'release':44} {'greedy passed':>14} {'lp passed':>10} {'greedy hidden':>14} "
          f"{'lp hidden':>10}")  # fmt: skip
    for step in dict.fromkeys(s for s, _, _ in stats):
        print(f"{step:44} {stats[(step, 'greedy', 'passed')]:>14} "
              f"{stats[(step, 'lp', 'passed')]:>10} {stats[(step, 'greedy', 'hidden')]:>14} "
              f"{stats[(step, 'lp', 'hidden')]:>10}")  # fmt: skip


if __name__ == "__main__":
    main()
