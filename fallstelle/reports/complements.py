"""Complementary suppression chosen by LP: which published cells of a new release to hide.

Owns the choice behind issue 10's repair loop (:func:`fallstelle.reports.protect.protect`):
for a target that the union check found too narrow, one linear program finds a whole set of
published cells of the *new* release whose hiding gives it back its protection interval,
instead of one cell per round. Imports NumPy, SciPy (HiGHS through ``linprog``) and the
attacker's matrices of :class:`fallstelle.reports.union_check.Program`; no database.

**The model** (the deviation or "attacker network" model of Fischetti and Salazar, as
τ-ARGUS and sdcTable use it, relaxed to an LP): with ``x`` the true base cells, find two
other fillings ``x + d⁺`` and ``x + d⁻`` that a reader cannot tell from the truth once the
chosen cells are hidden, with ``t·d⁺ = u``, ``t·d⁻ = −l`` and ``u + l ≥ width`` for the
target's form ``t`` (its range is then at least the width, whichever side has room):

* ``x + d ≥ 0``; every identity and every number the register holds still holds
  (``A_eq d = 0``, ``A_ub (x + d) ≤ b_ub``, a hidden number stays ≥ its lower bound);
* every published, non-zero cell ``c`` of the new release with form ``f_c`` and value
  ``v_c`` may move: ``|f_c · d| ≤ s_c`` for both fillings, and, hidden, it stays ≥ 0
  (``f_c · d ≥ −v_c``: a release that hides anything hides its zeros too, so a reader knows
  no more of a hidden number); zeros and numbers the register already published stay.

The objective ``Σ cost_c · s_c`` is the big-M relaxation of "hide as few cells as
possible" (``s_c = M · z_c``); a vertex of it moves few cells. Every cell with
``f_c · d ≠ 0`` is hidden: by construction both fillings then satisfy everything still
published, so the target keeps its range (what remains to check is the cells just hidden,
which the next round of the loop does). **Cost** ``1 + ln(1 + v_c)``: mostly the number of
hidden cells (information loss in cells), and among equally many the smaller ones, so that
totals — which funders expect exact — are hidden last. Cells an earlier target of the same
round already hides cost nothing.

An infeasible LP is a proof, within the LP relaxation the check itself uses, that hiding any
choice of the new release's cells cannot protect the target: the release is refused at once.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse import csr_matrix, hstack, vstack  # type: ignore[import-untyped]

from fallstelle.reports.register import Shown, Var
from fallstelle.reports.tables import CellId
from fallstelle.reports.union_check import Failure, Program, Target

#: |f_c · d| above this counts as moved (the LP's fillings are real numbers).
EPS = 1e-6
_DEBUG = bool(os.environ.get("FALLSTELLE_DEBUG_PROTECT"))


@dataclass
class Choice:
    """What the LP chose: cells to hide, and the targets no choice can protect."""

    cells: set[CellId] = field(default_factory=set)
    impossible: list[Target] = field(default_factory=list)
    undecided: list[Target] = field(default_factory=list)  # the solver gave no answer
    lps: int = 0


def cost(value: int) -> float:
    """What hiding a published cell of this value costs (see the module's docstring)."""
    return 1.0 + math.log1p(value)


class _Model:
    """The fixed part of every target's LP: the register, the identities, the new cells."""

    def __init__(
        self, known: Sequence[Shown], new: Sequence[Shown], truth: Mapping[Var, int],
        wanted: Sequence[Target],
    ) -> None:  # fmt: skip
        published = {s.cell_id for s in known if s.value is not None}
        self.movable = [s for s in new if s.value and s.cell_id not in published]
        ids = {s.cell_id for s in self.movable}
        # A movable cell enters as hidden with no lower bound: no constraint, but its base
        # cells take part in the identities (a fact that occurs nowhere else is not a known 0).
        fixed = [*known, *(s for s in new if s.cell_id not in ids),
                 *(Shown(s.cell_id, s.terms, None) for s in self.movable)]  # fmt: skip
        program = Program(fixed, truth, free=(x for t in wanted for x, _ in t.form))
        self.program = program
        n = len(program.index)
        self.n = n
        x = program.truth
        self.x = x
        self.a_eq = program.a_eq if program.a_eq is not None else csr_matrix((0, n))
        self.a_ub = program.a_ub if program.a_ub is not None else csr_matrix((0, n))
        b_ub = program.b_ub if program.b_ub is not None else np.zeros(0)
        self.slack = np.maximum(b_ub - self.a_ub @ x, 0.0)
        rows = [program.vector(s.expand().items()) for s in self.movable]
        self.f = csr_matrix(np.vstack(rows)) if rows else csr_matrix((0, n))
        self.values = np.array([s.value or 0 for s in self.movable], dtype=float)

    def solve(self, target: Target, free: set[CellId]) -> tuple[str, set[CellId]]:
        """One target's LP: ``("ok", cells)``, ``("impossible", ∅)`` or ``("undecided", ∅)``."""
        n, p = self.n, len(self.movable)
        t = csr_matrix(self.program.vector(target.form))
        zero_n, zero_p = csr_matrix((1, n)), csr_matrix((1, p))
        eye = _eye(p)
        # columns: d⁺ (n), d⁻ (n), s (p), u, l
        blocks_eq = [
            [self.a_eq, None, None, None, None],
            [None, self.a_eq, None, None, None],
            [t, zero_n, zero_p, _one(-1), _one(0)],
            [zero_n, t, zero_p, _one(0), _one(1)],
        ]
        blocks_ub = [
            [self.a_ub, None, None, None, None],
            [None, self.a_ub, None, None, None],
            [self.f, None, -eye, None, None],
            [-self.f, None, -eye, None, None],
            [None, self.f, -eye, None, None],
            [None, -self.f, -eye, None, None],
            [-self.f, None, None, None, None],
            [None, -self.f, None, None, None],
            [zero_n, zero_n, zero_p, _one(-1), _one(-1)],
        ]
        a_eq, a_ub = _blocks(blocks_eq, n, p), _blocks(blocks_ub, n, p)
        b_eq = np.zeros(a_eq.shape[0])
        # a cell it hides stays ≥ 0: the release then hides its zeros too (disclosure rule 1)
        b_ub = np.concatenate([self.slack, self.slack, np.zeros(4 * p), self.values, self.values,
                               [-float(target.width)]])  # fmt: skip
        weights = [0.0 if s.cell_id in free else cost(s.value or 0) for s in self.movable]
        c = np.concatenate([np.zeros(2 * n), weights, [0.0, 0.0]])
        width = float(target.width)
        bounds = [*((-v, None) for v in self.x), *((-v, None) for v in self.x),
                  *((0.0, None) for _ in range(p)), (0.0, width), (0.0, width)]  # fmt: skip
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds,
                      method="highs")  # fmt: skip
        if res.status == 2:
            return "impossible", set()
        if res.status != 0:
            return "undecided", set()
        up, down = res.x[:n], res.x[n : 2 * n]
        moved = np.maximum(np.abs(self.f @ up), np.abs(self.f @ down))
        return "ok", {self.movable[i].cell_id for i in np.flatnonzero(moved > EPS)}


def _one(value: float) -> csr_matrix:
    return csr_matrix(np.array([[value]]))


def _eye(p: int) -> csr_matrix:
    return csr_matrix((np.ones(p), (np.arange(p), np.arange(p))), shape=(p, p))


def _blocks(rows: list[list[csr_matrix | None]], n: int, p: int) -> csr_matrix:
    widths = [n, n, p, 1, 1]
    out = []
    for row in rows:
        height = next(b.shape[0] for b in row if b is not None)
        out.append(hstack([b if b is not None else csr_matrix((height, w))
                           for b, w in zip(row, widths, strict=True)], format="csr"))  # fmt: skip
    return vstack(out, format="csr")


def choose(
    failures: Sequence[Failure],
    known: Sequence[Shown],
    new: Sequence[Shown],
    truth: Mapping[Var, int],
) -> Choice:
    """Published cells of ``new`` to hide so that every failing target keeps its width.

    One LP per failing target, in order; cells chosen for an earlier target are free for
    the later ones, so targets that share offices and quarters share their complements.
    """
    choice = Choice()
    if not failures:
        return choice
    model = _Model(known, new, truth, [f.target for f in failures])
    if not model.movable:
        choice.impossible = [f.target for f in failures]
        return choice
    for failure in failures:
        status, cells = model.solve(failure.target, choice.cells)
        choice.lps += 1
        if status == "impossible":
            choice.impossible.append(failure.target)
        elif status == "undecided":
            choice.undecided.append(failure.target)
        choice.cells |= cells
    if _DEBUG:
        print("complements", len(failures), "targets:", len(choice.cells), "cells,",
              len(choice.impossible), "impossible,", len(choice.undecided), "undecided",
              file=sys.stderr)  # fmt: skip
    return choice


__all__ = ["Choice", "choose", "cost"]
