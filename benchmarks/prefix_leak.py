"""What the prefix index shows to someone with the database and no keys (issue 14).

Run from the repository root::

    python benchmarks/prefix_leak.py                     # 100 and 10,000 rows, demo surnames
    python benchmarks/prefix_leak.py --names names.txt   # a surname list, one a line

Simulates one office's ``case_identities`` in memory with a key drawn from the seed: R persons whose
surnames are drawn Zipf-like from a list (default ``intake.demo_data.SURNAMES``) and, for half
of them, rarer names made of a listed name's first 3-6 letters and a common ending (real
offices have thousands of distinct surnames, most of them rare); phone numbers are German
mobile and landline numbers, 5 % of them a second case of the same person. It computes every
stored index exactly as ``cases.sealing`` does, at the length ``crypto.blind_index_bits(R)``
gives, and reports, per index column and for all of a field's columns together:

* values: distinct stored values; rows per value (the "bucket"): median, 90th percentile, max;
* pure: the share of buckets holding one true input only (one prefix, one name, one number);
The exact index that surname and phone had before (``BlindIndexer``) is shown for comparison.

* linked pairs: of all pairs of rows with equal stored values, the share that truly share the
  whole name (number) — how far the database alone links two cases of the same person.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fallstelle import crypto
from fallstelle.cases import sealing
from fallstelle.intake import demo_data

ENDINGS = ("mann", "er", "ski", "oglu", "berg", "hoff", "ke", "ner", "inger", "dt", "s", "ow",
           "ic", "bauer", "meier", "haus", "en", "lu", "ak", "el")  # fmt: skip
MOBILE = ("0151", "0152", "0157", "0159", "0160", "0162", "0163", "0170", "0171", "0172",
          "0173", "0174", "0175", "0176", "0177", "0178", "0179")  # fmt: skip
LANDLINE = ("030", "040", "089", "0221", "0211", "0201", "0231", "0203", "0208", "0209",
            "02161", "02166", "02151", "0241", "0251", "0521")  # fmt: skip


def surnames(pool: Sequence[str], n: int, draw: random.Random) -> list[str]:
    weights = [1 / (rank + 1) for rank in range(len(pool))]  # Zipf-like: few common names
    names = []
    for _ in range(n):
        name = draw.choices(pool, weights)[0]
        if draw.random() < 0.5:
            name = name[: draw.randint(3, 6)] + draw.choice(ENDINGS)
        names.append(name)
    return names


def phones(n: int, draw: random.Random) -> list[str]:
    numbers: list[str] = []
    for _ in range(n):
        if numbers and draw.random() < 0.05:
            numbers.append(draw.choice(numbers))  # the same person in another case
        elif draw.random() < 0.7:
            numbers.append(draw.choice(MOBILE) + str(draw.randint(1000000, 9999999)))
        else:
            numbers.append(draw.choice(LANDLINE) + str(draw.randint(100000, 9999999)))
    return numbers


def report(label: str, truths: list[str], columns: dict[str, Callable[[str], object]]) -> None:
    """Print the bucket statistics of each column and of all columns together."""
    rows = [{c: f(t) for c, f in columns.items()} for t in truths]
    views = {c: [r[c] for r in rows] for c in columns}
    if len(columns) > 1:
        views["all together"] = [tuple(r.values()) for r in rows]
    for name, values in views.items():
        buckets: dict[object, list[str]] = defaultdict(list)
        for value, truth in zip(values, truths, strict=True):
            buckets[value].append(truth)
        sizes = sorted(len(b) for b in buckets.values())
        pure = sum(1 for b in buckets.values() if len(set(b)) == 1) / len(buckets)
        pairs = same = 0
        for bucket in buckets.values():
            for a, b in itertools.combinations(bucket, 2):
                pairs += 1
                same += a == b
        linked = same / pairs if pairs else 0.0
        print(f"  {label:7} {name:15} {len(buckets):6,} values; rows/value median "
              f"{statistics.median(sizes):4.0f}, p90 {sizes[int(len(sizes) * 0.9)]:4}, "
              f"max {sizes[-1]:5}; pure {pure:6.1%}; linked pairs {linked:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[100, 10_000])
    parser.add_argument("--names", type=Path, help="surnames, one a line, most common first")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    pool = (
        [n.strip() for n in options.names.read_text().splitlines() if n.strip()]
        if options.names
        else list(demo_data.SURNAMES)
    )
    root = random.Random(-options.seed).randbytes(crypto.KEY_BYTES)  # repeatable, not secret
    exact = sealing.BlindIndexer(root, 1)
    prefix = sealing.PrefixIndexer(root, 1)
    for rows in options.rows:
        draw = random.Random(options.seed)
        bits = crypto.blind_index_bits(rows)
        print(f"{rows:,} rows, {bits} bits ({len(pool)} listed surnames)")
        names = [sealing.fold_for_prefix("surname", n) for n in surnames(pool, rows, draw)]
        numbers = phones(rows, draw)
        for field, truths in (("surname", names), ("phone", numbers)):
            # before issue 14: the one exact index; now: the two prefix indexes, together
            before = {"exact (before)": lambda v, f=field, b=bits: exact.index(f, v, b)}
            report(field, truths, before)
            report(field, truths, {
                c: (lambda v, f=field, c=c, b=bits: prefix.columns(f, v, b)[c])
                for c in sealing.prefix_columns() if c.startswith(field)
            })  # fmt: skip


if __name__ == "__main__":
    main()
