"""Time the check of a new release against a register of N earlier releases (issue 10).

Synthetic, no database: ``offices`` offices with random base counts per quarter of one year
for ``facts`` facts (a single-valued column, so the identities ``n = Σ values`` apply);
a release is one office set (one office, or all pooled) × one period (year, half, quarter)
× every fact, with counts 1 … k−1 hidden as the per-release suppression would. The register
holds N such releases (cycling through office sets and periods, so larger registers repeat
combinations with other office subsets); the timed step is
``union_check.check(register + new release)`` — building the LP and certifying every
target — as ``protect`` runs it once per round.

    python -m benchmarks.release_bench [--offices 10] [--facts 12] [--sizes 10,100,1000]
                                       [--backend highspy|scipy]

``highspy`` (default) passes the model to HiGHS once and changes only the objective between
target LPs (warm start); ``scipy`` calls ``linprog`` per LP, as before (for comparison).
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from fallstelle.reports.register import Shown, Var
from fallstelle.reports.union_check import Program, check

PERIODS = {"Y": (1, 2, 3, 4), "H1": (1, 2), "H2": (3, 4),
           "Q1": (1,), "Q2": (2,), "Q3": (3,), "Q4": (4,)}  # fmt: skip
K = 5


def world(offices: int, facts: int, seed: int = 1) -> dict[Var, int]:
    rng = random.Random(seed)
    truth: dict[Var, int] = {}
    for o in range(1, offices + 1):
        size = rng.choice([2, 4, 10, 30, 60])  # cases per quarter
        for q in range(1, 5):
            quarter = f"2026-Q{q}"
            values = [0] * facts
            for _ in range(size):
                values[min(int(rng.expovariate(0.4)), facts - 1)] += 1
            truth[(o, quarter, "neu", "n")] = size
            for i, v in enumerate(values):
                if v:
                    truth[(o, quarter, "neu", f"col:x={i}")] = v
    return truth


def release(
    truth: dict[Var, int], offices: tuple[int, ...], period: str, facts: int
) -> list[Shown]:
    quarters = tuple(f"2026-Q{q}" for q in PERIODS[period])
    out = []
    for fact in ["n", *(f"col:x={i}" for i in range(facts))]:
        value = sum(truth.get((o, q, "neu", fact), 0) for o in offices for q in quarters)
        hidden = 0 < value < K
        cid = (("fact", fact), ("stellen", ",".join(map(str, offices))), ("zeitraum", period))
        out.append(Shown(cid, ((offices, quarters, "neu", (fact,), 1),),
                         None if hidden else value, 1 if hidden else 0, hidden))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offices", type=int, default=10)
    parser.add_argument("--facts", type=int, default=12)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--backend", default="highspy", choices=["highspy", "scipy"])
    args = parser.parse_args()
    truth = world(args.offices, args.facts)
    ids = list(range(1, args.offices + 1))
    rng = random.Random(2)
    sets = [(o,) for o in ids] + [tuple(ids)]
    for n in (int(x) for x in args.sizes.split(",")):
        known: list[Shown] = []
        combos = [(s, p) for s in sets for p in PERIODS]
        while len(combos) < n:  # more releases: other pools of offices
            pool = tuple(sorted(rng.sample(ids, rng.randint(2, len(ids)))))
            combos += [(pool, p) for p in PERIODS]
        for offices, period in combos[:n]:
            known += release(truth, offices, period, args.facts)
        new = release(truth, tuple(ids[: len(ids) // 2]), "H2", args.facts)
        started = time.perf_counter()
        program = Program([*known, *new], truth)
        built = time.perf_counter() - started
        failures = check([*known, *new], truth, K, backend=args.backend)
        took = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"register {n:5d} releases, {len(known):6d} numbers, {len(program.index):5d} "
              f"unknowns: LP built {built:6.2f} s, check {took:7.2f} s, "
              f"{len(failures):4d} narrow targets, peak RSS {rss:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
