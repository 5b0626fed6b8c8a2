"""Protection over the union of every release: can a reader of the register narrow a small count?

Owns the linear program behind issue 10's check. Imports NumPy, SciPy (HiGHS through
``scipy.optimize.linprog``) and :mod:`fallstelle.reports.register`; no database.

**The attacker** holds every number the installation has ever shown (the register) and
knows what each one is: a sum of base cells ``x ≥ 0`` (office × quarter × unit × fact).
Besides the published equations ``Σ x = value`` and "a hidden number is ≥ its lower bound"
(0 since a release that hides anything hides its zeros too; 1 in entries made before) the
attacker knows the vocabulary's identities, for every office, quarter and unit:

* a level-2 code never exceeds its level-1 code, a code or a pair never exceeds the cases
  (``n``), a pair never exceeds either of its codes;
* every single-valued column adds up to the cases (``n = Σ col:c=v``, "not given" included),
  and so do contacts, minutes and duration;
* cases by number of grounds add up to the cases, and the level-1 grounds (without "not
  stated") add up to ``Σ k · cases with k grounds`` — so a published "two or more: 0" makes
  the Merkmal table additive;
* running at the end of a quarter = running before + opened − closed;
* a fact that does not occur is 0 (rows absent from a table said so before tables had a
  fixed shape; the check assumes the reader knows it anyway).

**The requirement**: every hidden number whose true value is 1 … k−1, and every base cell
whose true value is 1 … k−1, has a feasible range ``max − min ≥ k`` (the protection
interval); every other hidden number that is not 0 is not pinned (``max > min``). After a
revision (:mod:`.versions`), so has every late edit of 1 … k−1: ``new − old`` per base cell
of a revised quarter (:func:`_differences`). The identities are in :mod:`.identities`. Ranges are
those of the LP relaxation (as τ-ARGUS): a sound attacker with integer reasoning can in rare
cycles do better; see docs/statistics-protection.md.

**Cost**: capped sweeps certify most targets in a few LPs, each lifting as many targets as
it can by their width at once; only the rest get their own min/max LPs (:mod:`.certify`).
``Program(..., fixed=offices)`` holds those offices at their truth (an inner approximation,
for certifying in groups of offices: :func:`.certify.grouped`, :data:`GROUPS_FROM`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import highspy
import numpy as np
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse import csc_matrix, csr_matrix, vstack  # type: ignore[import-untyped]

from fallstelle.reports import versions
from fallstelle.reports.certify import Memory, Programs, certify, grouped
from fallstelle.reports.identities import Form, system
from fallstelle.reports.partners import restricted
from fallstelle.reports.register import RUNNING, Shown, Var
from fallstelle.reports.tables import CellId

#: Base cells of linked offices from which their targets are first certified in small groups
#: of offices (:func:`.certify.grouped`). Off (None): on the pooled funding year of 8 offices
#: 92 % are certified office by office, but the rest still needs some 20 sweeps over the whole
#: LP (210 s CPU grouped, 183 s in one LP; docs/statistics-protection.md).
GROUPS_FROM: int | None = None
#: Linked offices from which targets are first certified in restrictions (:mod:`.partners`);
#: the rest goes to the whole LP, which alone decides failures. Off (None): on the pooled year
#: of 8 offices ~2 % still need the whole LP and the build got slower (see the docs).
PARTNERS_FROM: int | None = None


@dataclass(frozen=True)
class Target:
    """A linear form that must keep a wide enough range."""

    name: str  # a cell id or a base cell, for messages
    form: tuple[tuple[Var, int], ...]
    truth: int
    width: int
    cell_id: CellId | None = None


@dataclass(frozen=True)
class Failure:
    target: Target
    lo: float
    hi: float
    #: published numbers whose equations bound the range (candidates for hiding)
    binding: frozenset[CellId] = frozenset()


class Program:
    """The attacker's linear program over the union of shown numbers and identities."""

    def __init__(
        self,
        shown: Sequence[Shown],
        truth: Mapping[Var, int],
        *,
        backend: str = "highspy",
        free: Iterable[Var] = (),
        fixed: Collection[int] = (),
    ) -> None:
        self.backend = backend
        self._highs: highspy.Highs | None = None
        self._cols = np.zeros(0, dtype=np.int32)
        forms = [s.expand() for s in shown]
        #: per shown number, what its cells of ``fixed`` offices add (held at their truth)
        held = [0] * len(forms)
        if fixed:  # an inner approximation: every filling of it, with the truth there, is one
            out = frozenset(fixed)  # of the program without ``fixed`` (identities stay within
            for i, form in enumerate(forms):  # one office, so theirs hold at the truth)
                held[i] = sum(c * truth.get(x, 0) for x, c in form.items() if x[0] in out)
                forms[i] = {x: c for x, c in form.items() if x[0] not in out}
            truth = {v: n for v, n in truth.items() if v[0] not in out}
            free = [v for v in free if v[0] not in out]
        variables: set[Var] = set(truth)
        for form in forms:
            variables |= set(form)
        variables, cons = system(variables)
        variables |= set(free)  # unknowns nothing here constrains (a target's other cells)
        order = sorted(variables)
        self.index = {v: i for i, v in enumerate(order)}
        self.offices = frozenset(v[0] for v in order)
        self.truth = np.array([truth.get(v, 0) for v in order], dtype=float)
        eq: list[tuple[Form, float]] = []
        ub: list[tuple[Form, float]] = []
        #: the shown number behind each equation (None: an identity)
        self.eq_cells: list[CellId | None] = []
        for s, form, h in zip(shown, forms, held, strict=True):
            if fixed and not form:  # only cells held at their truth: it holds
                continue
            if s.value is not None:
                eq.append((form, s.value - h))
                self.eq_cells.append(s.cell_id)
            elif s.lower:  # form + h ≥ lower
                ub.append(({x: -c for x, c in form.items()}, h - s.lower))
        for form, rhs, equal in cons:
            (eq if equal else ub).append((form, rhs))
            if equal:
                self.eq_cells.append(None)
        self.a_eq, self.b_eq = self._matrix(eq)
        self.a_ub, self.b_ub = self._matrix(ub)
        self.solves = 0
        self.pivots = 0  # simplex iterations over all its LPs (HiGHS), a measure of the work

    def _matrix(
        self, rows: list[tuple[Form, float]]
    ) -> tuple[csr_matrix | None, np.ndarray | None]:
        if not rows:
            return None, None
        data, ri, ci = [], [], []
        for r, (form, _) in enumerate(rows):
            for x, c in form.items():
                data.append(c)
                ri.append(r)
                ci.append(self.index[x])
        m = csr_matrix((data, (ri, ci)), shape=(len(rows), len(self.index)), dtype=float)
        return m, np.array([b for _, b in rows], dtype=float)

    def vector(self, form: Iterable[tuple[Var, int]]) -> np.ndarray:
        c = np.zeros(len(self.index))
        for x, k in form:
            c[self.index[x]] += k
        return c

    def optimum(self, cost: np.ndarray) -> tuple[np.ndarray | None, set[CellId]]:
        """A filling minimising ``cost · x`` (None: unbounded) and the shown numbers that bind
        it (non-zero dual values: hiding one of them may widen the range).

        HiGHS through ``highspy``: the model is passed once, each call changes only the
        objective, so the simplex starts from the previous optimal basis (a warm start; a
        target LP then takes a few pivots, not a solve from scratch). ``backend="scipy"``
        solves every LP from scratch through ``scipy.optimize.linprog`` (the cross-check).
        """
        self.solves += 1
        if self.backend == "scipy":
            return self._scipy(cost)
        highs = self.model()
        highs.changeColsCost(len(cost), self._cols, np.asarray(cost, dtype=float))
        highs.run()
        self.pivots += highs.getInfo().simplex_iteration_count
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise ValueError("the register contradicts itself (counts changed under it)")
        if status != highspy.HighsModelStatus.kOptimal:
            return None, set()
        solution = highs.getSolution()
        duals = np.asarray(solution.row_dual)[: len(self.eq_cells)]
        binding = {self.eq_cells[i] for i in np.flatnonzero(np.abs(duals) > 1e-9)}
        binding.discard(None)
        x = np.asarray(solution.col_value)[: len(self.index)]  # without sweep columns
        return x, binding  # type: ignore[return-value]

    def model(self) -> highspy.Highs:
        if self._highs is not None:
            return self._highs
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("presolve", "off")  # keeps the basis valid between objectives
        highs.setOptionValue("simplex_strategy", 4)  # primal: the old basis stays feasible
        n = len(self.index)
        rows = [m for m in (self.a_eq, self.a_ub) if m is not None]
        matrix = vstack(rows, format="csc") if rows else csc_matrix((0, n))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, matrix.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_, lp.col_upper_ = np.zeros(n), np.full(n, highspy.kHighsInf)
        b_eq = self.b_eq if self.b_eq is not None else np.zeros(0)
        b_ub = self.b_ub if self.b_ub is not None else np.zeros(0)
        lp.row_lower_ = np.concatenate([b_eq, np.full(len(b_ub), -highspy.kHighsInf)])
        lp.row_upper_ = np.concatenate([b_eq, b_ub])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, matrix.shape[0]
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        highs.passModel(lp)
        self._cols = np.arange(n, dtype=np.int32)
        self._highs = highs
        return highs

    def feasible(self) -> bool:
        """Whether some non-negative counts satisfy every number and identity (a register
        entry read on its own: :mod:`.register_versions`)."""
        if not self.index:
            return True
        try:
            self._scipy(np.zeros(len(self.index)))
        except ValueError:
            return False
        return True

    def _scipy(self, cost: np.ndarray) -> tuple[np.ndarray | None, set[CellId]]:
        res = linprog(cost, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq, b_eq=self.b_eq,
                      bounds=(0, None), method="highs")  # fmt: skip
        if res.status == 2:
            raise ValueError("the register contradicts itself (counts changed under it)")
        if res.status != 0:
            return None, set()
        binding: set[CellId] = set()
        duals = getattr(getattr(res, "eqlin", None), "marginals", None)
        if duals is not None:
            for cid, d in zip(self.eq_cells, duals, strict=True):
                if cid is not None and abs(d) > 1e-9:
                    binding.add(cid)
        return np.asarray(res.x), binding


def targets(shown: Sequence[Shown], truth: Mapping[Var, int], k: int) -> list[Target]:
    """What must stay wide: hidden numbers that are not 0, and base cells of 1 … k−1.

    ``k`` is the protection interval (``Policy.required_width``): a small count must keep a
    range ``max − min ≥ k``, as the per-release audit demands of a primary cell; a larger
    hidden number must not be pinned (``max − min ≥ 1``).
    """
    out: list[Target] = []
    seen: set[tuple[tuple[Var, int], ...]] = set()
    for s in shown:
        if s.value is not None:
            continue
        form = tuple(sorted(s.expand().items()))
        value = sum(truth.get(x, 0) * c for x, c in form)
        if value == 0 or form in seen:
            continue
        seen.add(form)
        out.append(Target(repr(s.cell_id), form, value, k if value < k else 1, s.cell_id))
    for var, value in sorted(truth.items()):
        form = ((var, 1),)
        if 0 < value < k and form not in seen:
            seen.add(form)
            out.append(Target(repr(var), form, value, k))
    return out + _differences(truth, k, seen)


def _differences(
    truth: Mapping[Var, int], k: int, seen: set[tuple[tuple[Var, int], ...]]
) -> list[Target]:
    """What a reader learns from a revision: the late edits, ``new − old`` per base cell of a
    revised quarter, between any two of its snapshots (:mod:`.versions`). A difference of
    1 … k−1 (either sign) must keep the protection interval. A fact absent from one snapshot
    is a known zero there: its difference is the other snapshot's cell, a base-cell target."""
    snaps: dict[tuple[int, str], set[int]] = {}
    for o, q, _u, _f in truth:
        quarter, label = versions.split(q)
        if (rev := versions.revision(label)) is not None:
            snaps.setdefault((o, quarter), set()).add(rev)
    facts: dict[tuple[int, str], set[tuple[str, str]]] = {}
    for o, q, u, f in truth:
        if u != RUNNING and (o, versions.plain(q)) in snaps:
            facts.setdefault((o, versions.plain(q)), set()).add((u, f))
    out: list[Target] = []
    for (o, q), revs in sorted(snaps.items()):
        labels: list[str | None] = [str(r) for r in sorted(revs)]
        labels.append(None)
        for u, f in sorted(facts.get((o, q), ())):
            for i, a in enumerate(labels):
                for b in labels[i + 1 :]:
                    old, new = (o, versions.tag(q, a), u, f), (o, versions.tag(q, b), u, f)
                    d = truth.get(new, 0) - truth.get(old, 0)
                    if d == 0 or abs(d) >= k:
                        continue
                    form = tuple(sorted((x, c) for x, c in ((new, 1), (old, -1)) if x in truth))
                    if len(form) == 1:
                        form = ((form[0][0], 1),)
                    if form not in seen:
                        seen.add(form)
                        out.append(Target(f"{new!r} - {old!r}", form, d, k))
    return out


def check(
    shown: Sequence[Shown],
    truth: Mapping[Var, int],
    k: int,
    *,
    limit: int | None = None,
    backend: str = "highspy",
) -> list[Failure]:
    """Return every target of the union whose feasible range is too narrow (empty: safe).

    ``limit``: stop after that many failures (the repair loop needs a few, not all).
    """
    return failing(shown, truth, k, targets(shown, truth, k), limit=limit, backend=backend)


def _offices(s: Shown) -> set[int]:
    return {o for t in s.terms for o in t[0]}


def components(shown: Sequence[Shown], wanted: Sequence[Target] = ()) -> list[set[int]]:
    """The offices in groups that no shown number (nor target) links: every identity stays
    within one office, so each group is an LP of its own."""
    parent: dict[int, int] = {}

    def find(o: int) -> int:
        while parent.setdefault(o, o) != o:
            o = parent[o]
        return o

    groups = [_offices(s) for s in shown] + [{x[0] for x, _ in t.form} for t in wanted]
    for group in filter(None, groups):
        first, *rest = sorted(group)
        for o in [first, *rest]:
            parent[find(o)] = find(first)
    out: dict[int, set[int]] = {}
    for o in list(parent):
        out.setdefault(find(o), set()).add(o)
    return sorted(out.values(), key=min)


def _held(
    shown: Sequence[Shown],
    truth: Mapping[Var, int],
    offices: set[int],
    backend: str,
    group: Collection[int],
    wanted: Sequence[Target],
) -> Program:
    """The LP of ``offices`` with those outside ``group`` held at their truth."""
    return Program(shown, truth, backend=backend, fixed=offices - set(group),
                   free=(x for t in wanted for x, _ in t.form))  # fmt: skip


def failing(
    shown: Sequence[Shown],
    truth: Mapping[Var, int],
    k: int,
    wanted: Sequence[Target],
    *,
    limit: int | None = None,
    backend: str = "highspy",
    memory: Memory | None = None,
    programs: Programs | None = None,
) -> list[Failure]:
    """Return the targets of ``wanted`` whose range, given ``shown``, is too narrow.

    Capped sweeps certify most targets, the rest get their own LPs (:mod:`.certify`).
    ``memory``: the fillings earlier rounds of the same repair loop found (``protect``); those
    still feasible here certify before any LP is solved. ``programs``: LPs built before for
    exactly this ``shown`` and ``truth`` (its own copies, passed as they are), reused.
    """
    if programs is not None and (shown is not programs.shown or truth is not programs.truth):
        raise ValueError("programs were built for another register")
    out: list[Failure] = []
    for offices in components(shown, wanted):  # offices no shown number links: separate LPs
        here = [t for t in wanted if t.form and t.form[0][0][0] in offices]
        if not here or (limit is not None and len(out) >= limit):
            continue
        linked = [s for s in shown if _offices(s) <= offices]
        part = {v: n for v, n in truth.items() if v[0] in offices}
        build = partial(_held, linked, part, offices, backend)
        whole = None
        if PARTNERS_FROM is not None and len(offices) >= PARTNERS_FROM:
            whole = build(offices, here) if programs is None else programs.get(offices, here, build)
            here = restricted(build, offices, here, linked, part, memory=memory,
                              make_failure=Failure, whole=whole)  # fmt: skip
        elif GROUPS_FROM is not None and len(part) >= GROUPS_FROM:  # small groups first
            here = grouped(build, offices, here, memory=memory, make_failure=Failure)
        if not here:
            continue
        program = whole or (build(offices, here) if programs is None else
                            programs.get(offices, here, build))  # fmt: skip
        out += certify(program, here, limit=None if limit is None else limit - len(out),
                       memory=memory, make_failure=Failure)  # fmt: skip
    return out
