"""Time disclosure control for a realistic release (not a test).

About 20 tables of one year: a 12 × 9 Merkmal × Lebensbereich crosstab with margins, its two
one-way margin tables (sharing cell ids with it, so release consistency has work to do), two
more crosstabs and one-way tables for the other report dimensions. Counts are drawn with a
fixed seed from skewed category weights, for a small office (about 150 cases a year) and a
pool of offices (about 2,500).

Every repetition starts with nothing remembered (:mod:`fallstelle.reports.disclosure_lp`
keeps the intervals of components it solved), as a new report does; ``check_release`` and
the CSV then check the release just suppressed, as a build does. ``unremembered`` times
one check with the memory emptied first: what a check costs on its own.

    python -m benchmarks.sdc_bench [--repeat 5]     (from the repository root)
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from fallstelle.reports import disclosure_lp
from fallstelle.reports.csv_export import to_csv
from fallstelle.reports.disclosure import HIDDEN, check_release, suppress_release
from fallstelle.reports.tables import Axis, Category, Label, Table, crosstab, one_way

SIZES = {
    "merkmal": 12,
    "lebensbereich": 9,
    "form": 6,
    "intervention": 8,
    "outcome": 7,
    "zugang": 6,
    "alter": 6,
    "geschlecht": 4,
    "kreis": 10,
    "kanal": 5,
    "quartal": 4,
    "agg": 3,
    "dauer": 5,
    "kontakte": 5,
}


def axis(name: str) -> Axis:
    cats = tuple(
        Category(f"{name}-{i}", Label(f"{name} {i}", f"{name} {i}")) for i in range(SIZES[name])
    )
    return Axis(name, Label(name, name), cats)


def draw(rng: random.Random, n_cases: int, *dims: str) -> list[list[int]]:
    """Counts of n_cases over the grid of dims, with Zipf-like category weights."""
    shape = [SIZES[d] for d in dims] + ([1] if len(dims) == 1 else [])
    weights = [[1 / (i + 1) ** 1.1 for i in range(n)] for n in shape]
    grid = [[0] * shape[1] for _ in range(shape[0])]
    for _ in range(n_cases):
        r = rng.choices(range(shape[0]), weights[0])[0]
        c = rng.choices(range(shape[1]), weights[1])[0]
        grid[r][c] += 1
    return grid


def release(n_cases: int, seed: int = 2026) -> list[Table]:
    rng = random.Random(seed)
    title = Label("Tabelle", "Table")
    tables: list[Table] = []
    mxl = draw(rng, n_cases, "merkmal", "lebensbereich")
    tables.append(
        crosstab("merkmal_x_lebensbereich", title, axis("merkmal"), axis("lebensbereich"), mxl)
    )
    tables.append(one_way("merkmal", title, axis("merkmal"), [sum(r) for r in mxl]))
    tables.append(
        one_way(
            "lebensbereich", title, axis("lebensbereich"), [sum(c) for c in zip(*mxl, strict=True)]
        )
    )
    for i, (a, b) in enumerate([("lebensbereich", "intervention"), ("merkmal", "form")]):
        scope = (("tabelle", f"cross{i}"),)
        tables.append(
            crosstab(f"{a}_x_{b}", title, axis(a), axis(b), draw(rng, n_cases, a, b), scope=scope)
        )
    for name in [
        "form",
        "intervention",
        "outcome",
        "zugang",
        "alter",
        "geschlecht",
        "kreis",
        "kanal",
        "quartal",
        "agg",
        "dauer",
        "kontakte",
    ]:
        counts = [row[0] for row in draw(rng, n_cases, name)]
        scope = (("einheit", name),)
        tables.append(one_way(name, title, axis(name), counts, scope=scope))
    multi = [row[0] for row in draw(rng, n_cases + n_cases // 3, "merkmal")]
    tables.append(
        one_way(
            "merkmal_mehrfach",
            title,
            axis("merkmal"),
            [min(v, n_cases) for v in multi],
            total=n_cases,
            multi_answer=True,
            scope=(("einheit", "mehrfach"),),
        )
    )
    tables.append(
        one_way(
            "fallzahlen", title, axis("quartal"), [n_cases // 4] * 4, scope=(("einheit", "neu"),)
        )
    )
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for label, n in [("small office", 150), ("pooled offices", 2500)]:
        tables = release(n)
        times: dict[str, list[float]] = {
            "suppress+audit": [], "check_release": [], "csv": [], "unremembered": [],
        }  # fmt: skip
        for _ in range(args.repeat):
            disclosure_lp._SOLVED.clear()
            t0 = time.perf_counter()
            pub = suppress_release(tables)
            t1 = time.perf_counter()
            check_release(pub)
            t2 = time.perf_counter()
            to_csv(pub)
            t3 = time.perf_counter()
            disclosure_lp._SOLVED.clear()
            check_release(pub)
            t4 = time.perf_counter()
            times["suppress+audit"].append((t1 - t0) * 1000)
            times["check_release"].append((t2 - t1) * 1000)
            times["csv"].append((t3 - t2) * 1000)
            times["unremembered"].append((t4 - t3) * 1000)
        cells = sum(len(p.table.cells()) for p in pub)
        hidden = sum(s in HIDDEN for p in pub for s in p.status.values())
        big = pub[0]
        big_hidden = sum(s in HIDDEN for s in big.status.values())
        print(
            f"{label}: {n} cases, {len(tables)} tables, {cells} cells, {hidden} hidden "
            f"(12×9 crosstab: {big_hidden} of {len(big.table.cells())})"
        )
        for name, values in times.items():
            print(
                f"  {name:15s} median {statistics.median(values):8.1f} ms   "
                f"max {max(values):8.1f} ms"
            )


if __name__ == "__main__":
    main()
