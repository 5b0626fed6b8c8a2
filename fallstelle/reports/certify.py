"""Certifying that targets keep a wide range in the union LP: capped sweeps, then one LP each.

A target (a linear form over base cells that must keep a range ``max − min ≥ width``) is
certified as soon as two feasible fillings of the attacker's LP differ by its width in it.
Every filling an LP returns is kept as ``lo``/``hi`` per target.

**Capped sweeps** (issue 10): maximising the plain sum of open targets puts, at a vertex, all
the mass of a shared published total into one target, so thousands of targets each needed
their own LP. A sweep here adds, per target ``t``, a column ``y_t ∈ [0, w_t]`` and a row
``y_t ≤ form_t(x) − lo_t`` (up) resp. ``y_t ≤ hi_t − form_t(x)`` (down) and maximises
``Σ y_t`` over the open targets: the LP lifts as many targets as it can by their full width at
once — a target lifted by its width from the lowest value seen is certified. The rows of
closed targets are free and their ``y`` fixed at 0. ``lo``/``hi`` are the extremes seen so
far, not the truth: after a down sweep most small targets sit at their minimum, and the up
sweep measures from there. The rows also keep the open targets within ``[lo, hi]`` during a
sweep (``y ≥ 0``); the fillings stay feasible for the attacker's LP, so this only costs reach,
never soundness: when a sweep certifies (almost) nothing, the next takes a random half of
the open targets, whose rows then leave room for the other half's. Sweeps alternate down and
up until two in a row certify fewer than :data:`FEW`; only what stays open gets its own max
(and min) LP. In HiGHS the sweep rows and columns are added once; sweeps change only bounds
and costs, and each runs from scratch (dual simplex; with presolve from
:data:`PRESOLVE_FROM` unknowns on): the previous sweep's basis
is far from the next optimum, and a warm dual simplex took 4–5 times the CPU on a pooled year
of four offices (114 s against 20–26 s for 14,181 targets, 26 sweeps; an office-sized LP
takes the same either way). The single-target LPs,
which change only costs, warm-start the primal simplex without presolve.

**Groups of offices** (:func:`grouped`, for the big LP of many offices a pooled release
links): the LP with every office outside a group held at its truth is an inner approximation
(each of its fillings, with the truth elsewhere, is a filling of the whole LP), so a width it
proves holds. Targets are tried in groups of 1, 2, 4, … offices; what none certifies goes to
the whole LP, which alone reports failures (so the failures are those of the whole LP).

**Memory across repair rounds** (:class:`Memory`): hiding one more published number only relaxes the
LP (``= v`` becomes ``≥`` its lower bound), so a filling found in one round is one of the next
round's too — but only mostly: the per-release suppression, given one more cell to hide, may publish
a complement it hid before, and a release may show a number it did not show before. ``protect``
therefore carries the fillings themselves, and each round first keeps those that are still fillings
of its LP (checked against every equation and bound); they certify before any LP is solved.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

import highspy
import numpy as np
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse import csr_matrix, hstack, identity, vstack  # type: ignore[import-untyped]

from fallstelle.reports.register import Shown, Var
from fallstelle.reports.tables import CellId

if TYPE_CHECKING:
    from fallstelle.reports.union_check import Failure, Program, Target

INF = highspy.kHighsInf
#: Fillings a repair loop keeps for its later rounds per set of offices (each a vector over
#: the LP's unknowns).
MAX_KEPT = 400
#: A sweep certifying fewer targets than this counts as idle (two idle ones end the sweeps):
#: a sweep costs about as much as four or five LPs of one target each. On LPs below
#: :data:`PRESOLVE_FROM` unknowns up to :data:`FEW_SMALL` (a quarter of the targets the sweep
#: tried, at least :data:`FEW`): on the eight recorded certify calls of a half-year funding
#: build after the year (one office) 16 took 6.8–7.0 s CPU against 8.3 s with 4, the same
#: failures; on two pooled LPs of two offices 16 took 13.6 s against 10.9 s (build10,
#: 2026-12-03). Small test LPs of a few dozen targets keep 4.
FEW = 4
FEW_SMALL = 16
#: Whether a group's LP (:func:`grouped`) also solves one LP per target its sweeps left open:
#: no — on a pooled year of four offices that took 3,300 LPs and 64 s CPU, sweeps alone 28 s.
SINGLE_IN_GROUPS = False
#: An upper bound on sweeps per check (they stop earlier: two in a row certify few).
MAX_SWEEPS = 200
#: Unknowns from which a sweep runs HiGHS's presolve first. On one office's LP (10,313
#: unknowns, the half-year funding build after the year) a sweep without presolve took 30–40 %
#: less CPU (first repair round: 3.4–4.9 s → 2.1–3.0 s, the same fillings certify the same
#: targets); on a pooled LP of two offices (20,024 and 22,041 unknowns) presolve paid
#: (2.9 → 3.7 s and 4.5 → 6.4 s without it). build10, 2026-12-03.
PRESOLVE_FROM = 15_000


@dataclass
class Memory:
    """The fillings one repair loop found, carried from round to round.

    A filling found in an earlier round certifies in a later one only if it is still a
    filling there: hiding one more number only relaxes the LP, but the per-release
    suppression may also publish a complement it hid before, and a release may show a number
    it did not show before — so every kept filling is checked against the new LP first.
    """

    fillings: list[tuple[frozenset[int], dict[Var, int], np.ndarray]] = field(default_factory=list)
    solves: int = 0  # LPs over all rounds (for the debug output and the benchmark)
    reused: int = 0  # kept fillings still feasible in the last round
    kept: dict[frozenset[int], int] = field(default_factory=dict)

    def add(self, program: Program, x: np.ndarray) -> None:
        kept = self.kept.get(program.offices, 0)
        if kept < MAX_KEPT:  # per set of offices: a restriction's LP keeps its own
            self.kept[program.offices] = kept + 1
            self.fillings.append((program.offices, program.index, x.copy()))

    def feasible(self, program: Program) -> np.ndarray:
        """The kept fillings that are fillings of ``program``'s LP (columns; variables that
        a filling did not know are 0 in it). A filling of a restriction to fewer offices
        (:mod:`.partners`) is lifted: the offices it held are at their truth."""
        out: list[np.ndarray] = []
        maps: dict[int, np.ndarray] = {}
        offices = program.offices
        mine = [f for f in self.fillings if f[0] == offices]
        for where, index, x in mine + [f for f in self.fillings if f[0] < offices]:
            if len(out) >= MAX_KEPT:
                break
            if id(index) not in maps:
                maps[id(index)] = np.array([index.get(v, -1) for v in program.index])
            pos = maps[id(index)]
            rest = program.truth if where < offices else 0.0
            y = np.where(pos >= 0, x[np.maximum(pos, 0)], rest)
            if _fits(program, y):
                out.append(y)
        self.reused = len(out)
        return np.column_stack(out) if out else np.zeros((len(program.index), 0))


class Programs:
    """The attacker's LPs of one fixed ``shown`` and ``truth``, built once per group of offices.

    ``protect`` checks the stored register alone (which failures are not the new release's
    fault) in every repair round that has failures; the register and its truth do not change
    within the loop, so neither does its LP. The object holds its own copies (a tuple, a
    read-only mapping): :func:`.union_check.failing` accepts it only with exactly these
    objects, so an LP of another register can never be reused. A group's LP is rebuilt when a
    target names an unknown it lacks (a target's other cells enter as free unknowns).
    """

    def __init__(self, shown: Sequence[Shown], truth: Mapping[Var, int]) -> None:
        self.shown: tuple[Shown, ...] = tuple(shown)
        self.truth: Mapping[Var, int] = MappingProxyType(dict(truth))
        self._lps: dict[frozenset[int], Program] = {}
        self.built = 0  # LPs built (for the tests and the debug output)

    def get(
        self,
        offices: Collection[int],
        wanted: Sequence[Target],
        build: Callable[[Collection[int], Sequence[Target]], Program],
    ) -> Program:
        key = frozenset(offices)
        program = self._lps.get(key)
        if program is None or any(x not in program.index for t in wanted for x, _ in t.form):
            program = self._lps[key] = build(offices, wanted)
            self.built += 1
        return program


def _forms(program: Program, wanted: Sequence[Target]) -> csr_matrix:
    """One sparse row per target (a dense one per target was 6,000 × 10,000 floats)."""
    rows, cols, values = [], [], []
    for r, t in enumerate(wanted):
        for x, c in t.form:
            rows.append(r)
            cols.append(program.index[x])
            values.append(c)
    shape = (len(wanted), len(program.index))
    return csr_matrix((values, (rows, cols)), shape=shape, dtype=float)


def _fits(program: Program, x: np.ndarray, tol: float = 1e-6) -> bool:
    if x.min(initial=0.0) < -tol:
        return False
    if program.a_eq is not None and np.abs(program.a_eq @ x - program.b_eq).max() > tol:
        return False
    return program.a_ub is None or bool((program.a_ub @ x - program.b_ub).max() <= tol)


def certify(
    program: Program,
    wanted: Sequence[Target],
    *,
    limit: int | None = None,
    memory: Memory | None = None,
    make_failure: Callable[[Target, float, float, frozenset[CellId]], Failure],
    single: bool = True,
) -> list[Failure]:
    """The targets of ``wanted`` whose range in ``program`` is too narrow (at most ``limit``).

    ``single=False``: sweeps only; whatever they leave open is returned (not a proof of a
    narrow range: :func:`grouped` passes it on to a larger LP)."""
    memory = memory if memory is not None else Memory()
    start = program.solves
    matrix = _forms(program, wanted)
    width = np.array([t.width for t in wanted], dtype=float)
    lo = matrix @ program.truth
    hi = lo.copy()
    earlier = matrix @ memory.feasible(program)
    if earlier.shape[1]:
        lo, hi = np.minimum(lo, earlier.min(axis=1)), np.maximum(hi, earlier.max(axis=1))

    def keep(x: np.ndarray | None) -> None:
        nonlocal lo, hi
        if x is not None:
            values = matrix @ x
            lo, hi = np.minimum(lo, values), np.maximum(hi, values)
            memory.add(program, x)

    def shut() -> np.ndarray:
        return np.asarray(hi - lo >= width - 1e-6)

    sweeps = _Sweeps(program, matrix, width)
    rng = np.random.default_rng(0)
    idle, up = 0, False
    for _ in range(MAX_SWEEPS):
        if idle >= 2 or shut().all():
            break
        before = int(shut().sum())
        todo = ~shut()
        if idle:  # stuck: a random half, so that the other half's cells can make room
            todo &= rng.random(len(todo)) < 0.5
        keep(sweeps.run(up, todo, lo, hi))
        few = FEW if sweeps.n >= PRESOLVE_FROM else min(FEW_SMALL, max(FEW, int(todo.sum()) // 4))
        idle = idle + 1 if int(shut().sum()) - before < few else 0
        up = not up
    sweeps.close()
    failures: list[Failure] = []
    for j in np.flatnonzero(~shut()):
        i = int(j)
        if not single:
            failures.append(make_failure(wanted[i], float(lo[i]), float(hi[i]), frozenset()))
            continue
        if shut()[i]:
            continue
        row = matrix[i].toarray().ravel()
        top, bind_hi = program.optimum(-row)
        keep(top)
        if top is None:
            hi[i] = np.inf
            continue
        bind_lo: set[CellId] = set()
        if not shut()[i]:
            bottom, bind_lo = program.optimum(row)
            keep(bottom)
        if not shut()[i]:
            failures.append(make_failure(wanted[i], float(lo[i]), float(hi[i]),
                                         frozenset(bind_hi | bind_lo)))  # fmt: skip
            if limit is not None and len(failures) >= limit:
                break
    memory.solves += program.solves - start
    return failures


def unproven(program: Program, wanted: Sequence[Target], memory: Memory) -> list[Target]:
    """The targets of ``wanted`` that the kept fillings still feasible in ``program`` do not
    certify (no LP is solved)."""
    fillings = memory.feasible(program)
    if not fillings.shape[1]:
        return list(wanted)
    values = _forms(program, wanted) @ np.column_stack([program.truth, fillings])
    wide = values.max(axis=1) - values.min(axis=1)
    return [t for t, w in zip(wanted, wide, strict=True) if w < t.width - 1e-6]


def grouped(
    build: Callable[[Collection[int], Sequence[Target]], Program],
    offices: Collection[int],
    wanted: Sequence[Target],
    *,
    memory: Memory | None = None,
    make_failure: Callable[[Target, float, float, frozenset[CellId]], Failure],
) -> list[Target]:
    """The targets of ``wanted`` that groups of offices smaller than ``offices`` do not certify.

    ``build(group, targets)`` is the attacker's LP with every office outside ``group`` held at
    its truth (an inner approximation: a filling of it, with the truth elsewhere, is a filling
    of the whole LP, so a range it proves is a range of the whole). Groups of 1, 2, 4, …
    consecutive offices; a target is tried in its first office's group, moving only its cells
    there (the rest is constant). What no group certifies is left for the whole LP, which alone
    decides failures. Used from :data:`.union_check.GROUPS_FROM` base cells on (off by
    default: the targets left for the whole LP still need about as many sweeps).
    """
    order, open_ = sorted(offices), list(wanted)
    size = 1
    while open_ and size < len(order):
        groups = [frozenset(order[start : start + size]) for start in range(0, len(order), size)]
        batches = [(g, [t for t in open_ if t.form[0][0][0] in g]) for g in groups]
        open_ = within(build, [(g, m) for g, m in batches if m], memory=memory,
                       make_failure=make_failure, single=lambda _: SINGLE_IN_GROUPS)  # fmt: skip
        size *= 2
    return open_


def within(
    build: Callable[[Collection[int], Sequence[Target]], Program],
    batches: Sequence[tuple[frozenset[int], Sequence[Target]]],
    *,
    memory: Memory | None,
    make_failure: Callable[[Target, float, float, frozenset[CellId]], Failure],
    single: Callable[[Program], bool],
) -> list[Target]:
    """The targets that their batch's restriction (the offices outside its group held at their
    truth) leaves open; a target enters with only its cells inside the group (the rest is
    constant). ``single(program)``: whether targets its sweeps leave open get LPs of their own.
    Shared by :func:`grouped` and :mod:`.partners`."""
    left: list[Target] = []
    for group, mine in batches:
        parts = [replace(t, form=tuple((x, c) for x, c in t.form if x[0] in group))
                 for t in mine]  # fmt: skip
        whole = {id(p): t for p, t in zip(parts, mine, strict=True)}
        program = build(group, parts)
        stuck = certify(program, parts, memory=memory, make_failure=make_failure,
                        single=single(program))  # fmt: skip
        left += [whole[id(f.target)] for f in stuck]
    return left


class _Sweeps:
    """Capped sweeps over ``matrix`` (one row per target) on ``program``'s model."""

    def __init__(self, program: Program, matrix: csr_matrix, width: np.ndarray) -> None:
        self.program, self.matrix, self.width = program, matrix, width
        self.n, self.t = len(program.index), matrix.shape[0]
        self.highs: highspy.Highs | None = None
        if program.backend == "highspy":
            self.highs = program.model()
            # columns y_up, y_down (all fixed at 0 until a sweep opens them) ...
            self.highs.addVars(2 * self.t, np.zeros(2 * self.t), np.zeros(2 * self.t))
            # ... and per target the row form(x) − y_up + y_down, free until a sweep bounds it
            eye = identity(self.t, format="csr")
            rows = hstack([matrix, -eye, eye], format="csr")
            self.highs.addRows(self.t, np.full(self.t, -INF), np.full(self.t, INF),
                               rows.nnz, rows.indptr, rows.indices, rows.data)  # fmt: skip
            self.rows = np.arange(self.highs.getNumRow() - self.t, self.highs.getNumRow(),
                                  dtype=np.int32)  # fmt: skip
            self.cols = np.arange(self.n, self.n + 2 * self.t, dtype=np.int32)

    def run(self, up: bool, todo: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
        self.program.solves += 1
        cap = np.where(todo, self.width, 0.0)
        if self.highs is None:
            return self._scipy(up, todo, lo, hi)
        zero = np.zeros(self.t)
        upper = np.concatenate([cap, zero] if up else [zero, cap])
        self.highs.changeColsBounds(2 * self.t, self.cols, np.zeros(2 * self.t), upper)
        self.highs.changeColsCost(2 * self.t, self.cols, -np.sign(upper))
        self.highs.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.zeros(self.n))
        low = np.where(todo, lo, -INF) if up else np.full(self.t, -INF)
        high = np.full(self.t, INF) if up else np.where(todo, hi, INF)
        self.highs.changeRowsBounds(self.t, self.rows, low, high)  # type: ignore[attr-defined]
        # from scratch, with presolve on large LPs (PRESOLVE_FROM): the last sweep's basis is
        # far from this one's optimum (a warm dual simplex took 3-10 s on a 4-office pooled
        # year where this takes 2-3 s)
        self.highs.clearSolver()
        self.highs.setOptionValue("presolve", "on" if self.n >= PRESOLVE_FROM else "off")
        self.highs.setOptionValue("simplex_strategy", 1)
        self.highs.run()
        self.program.pivots += self.highs.getInfo().simplex_iteration_count
        self.highs.setOptionValue("presolve", "off")  # Program.optimum warm-starts
        self.highs.setOptionValue("simplex_strategy", 4)  # primal again for Program.optimum
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(self.highs.getSolution().col_value)[: self.n]

    def close(self) -> None:
        """Remove the sweep rows and columns again: the per-target LPs see the attacker's LP
        alone (free rows left in place slowed every later pivot)."""
        if self.highs is None:
            return
        self.highs.deleteRows(self.t, self.rows)
        self.highs.deleteCols(2 * self.t, self.cols)

    def _scipy(
        self, up: bool, todo: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> np.ndarray | None:
        p, part = self.program, self.matrix[np.flatnonzero(todo)]
        m = part.shape[0]
        # up: y − form(x) ≤ −lo; down: y + form(x) ≤ hi
        extra = hstack([-part if up else part, identity(m, format="csr")], format="csr")
        rhs = -lo[todo] if up else hi[todo]
        pad = csr_matrix((0 if p.a_ub is None else p.a_ub.shape[0], m))
        a_ub = extra if p.a_ub is None else vstack([hstack([p.a_ub, pad]), extra], format="csr")
        b_ub = rhs if p.b_ub is None else np.concatenate([p.b_ub, rhs])
        a_eq = None if p.a_eq is None else hstack([p.a_eq, csr_matrix((p.a_eq.shape[0], m))])
        cost = np.concatenate([np.zeros(self.n), -np.ones(m)])
        bounds = [(0, None)] * self.n + [(0, w) for w in self.width[todo]]
        res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=p.b_eq, bounds=bounds,
                      method="highs")  # fmt: skip
        return np.asarray(res.x)[: self.n] if res.status == 0 else None
