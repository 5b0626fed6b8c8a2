"""Issue 10: how many previews of the attack scenario are refused, and how much is hidden.

Plays ``tests/reports/test_release_attack.py``'s year of two offices (year, halves,
quarters; each office and pooled; both templates) with the check on and prints, per
preview, whether it was shown and how many of its numbers were hidden; then the totals.
A measurement, not a property: it runs when asked for (``FALLSTELLE_REFUSALS=1``, minutes).
"""

from __future__ import annotations

import json
import os
import time
import zlib

import pytest
from sqlalchemy import select

from fallstelle.reports.models import RegisterEntry
from fallstelle.reports.protect import truth
from fallstelle.reports.register import Shown, Var
from fallstelle.store import Store
from tests.reports.test_release_attack import generate, show_everything

pytestmark = pytest.mark.skipif(
    not os.environ.get("FALLSTELLE_REFUSALS"),
    reason="counts the refusals of the release attack (minutes): set FALLSTELLE_REFUSALS=1",
)


def test_count_refusals_and_hidden_cells(store: Store) -> None:
    big, small = generate(store)
    started = time.perf_counter()
    refused = show_everything(store, big, small)
    seconds = time.perf_counter() - started
    with store.sessions() as session:
        entries = session.scalars(select(RegisterEntry).order_by(RegisterEntry.created_at)).all()
        numbers = [[Shown.from_json(i) for i in json.loads(zlib.decompress(e.cells))]
                   for e in entries]  # fmt: skip
        base = truth(session, [s for n in numbers for s in n])
        rows = [(e.period, e.office_ids, e.template, e.n_cells, e.n_hidden,
                 *_counts(n, base)) for e, n in zip(entries, numbers, strict=True)]  # fmt: skip
    print("shown period offices template cells hidden | counts (not 0): published hidden")
    for row in rows:
        print("shown", *row)
    cells = sum(r[3] for r in rows)
    hidden = sum(r[4] for r in rows)
    print(f"REFUSALS refused={refused} shown={len(rows)} cells={cells} hidden={hidden} "
          f"counts_published={sum(r[5] for r in rows)} counts_hidden={sum(r[6] for r in rows)} "
          f"seconds={seconds:.0f}")  # fmt: skip


def _counts(numbers: list[Shown], base: dict[Var, int]) -> tuple[int, int]:
    """Numbers that are not 0: how many were published, how many hidden (zeros aside)."""
    values = [s.value if s.value is not None else
              sum(base.get(x, 0) * c for x, c in s.expand().items()) for s in numbers]  # fmt: skip
    published = sum(1 for s, v in zip(numbers, values, strict=True) if v and s.value)
    return published, sum(1 for s, v in zip(numbers, values, strict=True) if v and not s.value)
