"""Complementary suppression chosen by LP: which published cells of a new release to hide.

Owns the choice behind issue 10's repair loop (:func:`fallstelle.reports.protect.protect`):
for a target that the union check found too narrow, one linear program finds a whole set of
published cells of the *new* release whose hiding gives it back its protection interval,
instead of one cell per round. Imports NumPy, SciPy (sparse matrices), HiGHS (``highspy``)
and the attacker's matrices of :class:`fallstelle.reports.union_check.Program`; no database.

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

**Cost**: the LP is passed to HiGHS once per round (:meth:`_Model._highs`); each target
changes only its two rows, the width and the costs (``linprog`` built and converted the
whole LP per target: 26 s CPU for the 101 LPs of a half-year after the year on 300 demo
cases, 6–7 s now). A target that the deviations of earlier targets already protect with
the cells chosen so far needs no LP (:meth:`_Model.covered`). The LP's rows are put in a
canonical order, so that the same release hides the same cells whatever the hash seed.

An infeasible LP is a proof, within the LP relaxation the check itself uses, that hiding any
choice of the new release's cells cannot protect the target: the release is refused at once.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack  # type: ignore[import-untyped]

from fallstelle.reports.register import Shown, Var
from fallstelle.reports.tables import CellId
from fallstelle.reports.union_check import Failure, Program, Target

#: |f_c · d| above this counts as moved (the LP's fillings are real numbers).
EPS = 1e-6
INF = highspy.kHighsInf
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
        a_eq = program.a_eq if program.a_eq is not None else csr_matrix((0, n))
        a_ub = program.a_ub if program.a_ub is not None else csr_matrix((0, n))
        b_ub = program.b_ub if program.b_ub is not None else np.zeros(0)
        # rows in a canonical order: the identities come in the order of a set of strings,
        # which changes with Python's hash seed, and so would HiGHS's choice among equally
        # cheap sets of cells (the same release must hide the same cells every time)
        self.a_eq = _canonical(a_eq, np.zeros(a_eq.shape[0]))[0]
        self.a_ub, order = _canonical(a_ub, b_ub)
        b_ub = b_ub[order]
        self.slack = np.maximum(b_ub - self.a_ub @ x, 0.0)
        rows = [program.vector(s.expand().items()) for s in self.movable]
        self.f = csr_matrix(np.vstack(rows)) if rows else csr_matrix((0, n))
        self.values = np.array([s.value or 0 for s in self.movable], dtype=float)
        p = len(self.movable)
        eye = _eye(p)
        # what every target's LP shares (built once: it was a third of each LP's time)
        self.eq_rows = _blocks([[self.a_eq, None, None, None, None],
                                [None, self.a_eq, None, None, None]], n, p)  # fmt: skip
        self.a_ub_all = _blocks([
            [self.a_ub, None, None, None, None],
            [None, self.a_ub, None, None, None],
            [self.f, None, -eye, None, None],
            [-self.f, None, -eye, None, None],
            [None, self.f, -eye, None, None],
            [None, -self.f, -eye, None, None],
            [-self.f, None, None, None, None],
            [None, -self.f, None, None, None],
            [csr_matrix((1, n)), csr_matrix((1, n)), csr_matrix((1, p)), _one(-1), _one(-1)],
        ], n, p)  # fmt: skip
        # a cell it hides stays ≥ 0: the release then hides its zeros too (disclosure rule 1)
        self.b_ub = np.concatenate([self.slack, self.slack, np.zeros(4 * p), self.values,
                                    self.values, [0.0]])  # fmt: skip
        #: the deviations d⁺, d⁻ of the LPs solved so far (columns): each moves only cells
        #: chosen by then (see :meth:`covered`)
        self.moves = np.zeros((n, 0))
        self._model: highspy.Highs | None = None
        self.rows = 0

    def covered(self, target: Target) -> bool:
        """Whether the deviations of earlier targets already give ``target`` its width.

        Every deviation an LP of this model returned satisfies every constraint but the
        target's own rows (those are the same for all targets) and moves only cells chosen
        by then; scaled by λ ∈ [0, 1] it stays feasible (the constraints are convex and hold
        at 0). So if some of them raise ``t`` by ``u`` and some lower it by ``l`` with
        ``u + l ≥ width``, the target's LP has a solution that moves only chosen cells —
        cost 0, and nothing new to hide: its answer would change nothing.
        """
        if not self.moves.shape[1]:
            return False
        values = self.program.vector(target.form) @ self.moves
        up, down = max(float(values.max()), 0.0), max(float(-values.min()), 0.0)
        return up + down >= target.width + EPS

    def solve(self, target: Target, free: set[CellId]) -> tuple[str, set[CellId]]:
        """One target's LP: ``("ok", cells)``, ``("impossible", ∅)`` or ``("undecided", ∅)``."""
        n, p = self.n, len(self.movable)
        highs = self._highs()
        width = float(target.width)
        weights = [0.0 if s.cell_id in free else cost(s.value or 0) for s in self.movable]
        costs = np.asarray(weights, dtype=float)
        highs.changeColsCost(p, np.arange(2 * n, 2 * n + p, dtype=np.int32), costs)
        ul = np.array([2 * n + p, 2 * n + p + 1], dtype=np.int32)
        highs.changeColsBounds(2, ul, np.zeros(2), np.full(2, width))
        last = self.rows - 1  # −u − l ≤ −width
        highs.changeRowBounds(last, -INF, -width)
        # the target's rows t·d⁺ − u = 0 and t·d⁻ + l = 0, added for this LP only
        t = self.program.vector(target.form)
        cols = np.flatnonzero(t).astype(np.int32)
        vals = t[cols]
        for shift, extra, sign in ((0, ul[0], -1.0), (n, ul[1], 1.0)):
            idx = np.concatenate([cols + shift, [extra]]).astype(np.int32)
            highs.addRow(0.0, 0.0, len(idx), idx, np.concatenate([vals, [sign]]))
        highs.run()
        status = highs.getModelStatus()
        x = np.asarray(highs.getSolution().col_value)
        highs.deleteRows(2, np.array([self.rows, self.rows + 1], dtype=np.int32))
        if status == highspy.HighsModelStatus.kInfeasible:
            return "impossible", set()
        if status != highspy.HighsModelStatus.kOptimal:
            return "undecided", set()
        up, down = x[:n], x[n : 2 * n]
        self.moves = np.column_stack([self.moves, up, down])
        moved = np.maximum(np.abs(self.f @ up), np.abs(self.f @ down))
        return "ok", {self.movable[i].cell_id for i in np.flatnonzero(moved > EPS)}

    def _highs(self) -> highspy.Highs:
        """The LP of every target, passed to HiGHS once; each target changes the costs, the
        width and its own two rows, and the simplex starts from the last target's basis."""
        if self._model is not None:
            return self._model
        n, p = self.n, len(self.movable)
        matrix = vstack([self.eq_rows, self.a_ub_all], format="csc")
        cols = 2 * n + p + 2
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = cols, matrix.shape[0]
        lp.col_cost_ = np.zeros(cols)
        lp.col_lower_ = np.concatenate([-self.x, -self.x, np.zeros(p + 2)])
        lp.col_upper_ = np.full(cols, INF)
        eq = self.eq_rows.shape[0]
        lp.row_lower_ = np.concatenate([np.zeros(eq), np.full(len(self.b_ub), -INF)])
        lp.row_upper_ = np.concatenate([np.zeros(eq), self.b_ub])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = cols, matrix.shape[0]
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("parallel", "off")
        highs.setOptionValue("threads", 1)
        highs.passModel(lp)
        self.rows = matrix.shape[0]
        self._model = highs
        return highs


def _canonical(matrix: csr_matrix, rhs: np.ndarray) -> tuple[csr_matrix, np.ndarray]:
    """``matrix`` with its rows sorted by their entries and right-hand side, and the order."""
    matrix = csr_matrix(matrix)
    matrix.sum_duplicates()
    matrix.sort_indices()
    bounds = zip(matrix.indptr[:-1], matrix.indptr[1:], rhs, strict=True)
    keys = [(tuple(matrix.indices[a:b]), tuple(matrix.data[a:b]), float(r)) for a, b, r in bounds]
    order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
    return csr_matrix(matrix[order]), order


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
        if model.covered(failure.target):  # the cells chosen so far protect it already
            continue
        status, cells = model.solve(failure.target, choice.cells)
        choice.lps += 1
        if status == "impossible":
            choice.impossible.append(failure.target)
        elif status == "undecided":
            choice.undecided.append(failure.target)
        choice.cells |= cells
    if _DEBUG:
        print("complements", len(failures), "targets,", choice.lps, "LPs:", len(choice.cells),
              "cells,", len(choice.impossible), "impossible,", len(choice.undecided),
              "undecided;", model.n, "unknowns", file=sys.stderr)  # fmt: skip
    return choice


__all__ = ["Choice", "choose", "cost"]
