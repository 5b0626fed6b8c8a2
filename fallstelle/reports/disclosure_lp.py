"""Feasible intervals of hidden cells: what an attacker can recompute from a release (SDC-4).

Owns the exact linear program behind the protection audit and the memory of programs it
solved. Imports only the standard library and :mod:`fallstelle.reports.tables`.

For every hidden cell we compute the smallest and largest value it can take in any filling
of the hidden cells that agrees with everything published: all tables of the release at once
(a cell id shared by two tables is one unknown), every additive line ``total = Σ members``,
every multi-answer line ``member ≤ total`` (SDC-8: no additivity assumed), every
:class:`~fallstelle.reports.tables.Relation` a table declares whose cells are all in the
release (a level-2 category ≤ its level-1 category; the grounds of all cases ≥ "one ground"
+ 2 × "two or more"), and each hidden cell's public lower bound (0 from the disclosure
rules: a release that hides anything hides its zeros too; the program takes any bound).

Why a hand-written simplex and not ``scipy.optimize.linprog``: the problems are tiny (a few
dozen unknowns per connected component), exactness matters more than speed, and SciPy with
NumPy would be the heaviest runtime dependency of the application for one function. The
simplex below runs on exact rationals (``int`` while the pivots are ±1, ``Fraction`` beyond),
uses Bland's rule (so it terminates on degenerate problems, which tables with zeros are),
and solves each connected component of unknowns separately.

Solved components are remembered (the last 1,024, per process): suppression solves the
release again after every repair round and each :func:`check_release
<fallstelle.reports.disclosure.check_release>` of a build solves it once more, while most
components stay the same. The key is the component's whole program written in cell ids —
every constraint with its published right-hand side, every unknown's lower bound — and the
minimum and maximum over a polytope are unique, so a remembered answer is the answer: any
change to a count, a status or a bound is a different program and is solved anew. A small
office's release (``benchmarks/sdc_bench.py``) is suppressed in half the time, and the
checks after it cost a few milliseconds instead of about 30 each. Within a component, an
unknown that is 0 in any vertex the simplex has passed through (phase 1's, or an optimum of an
earlier min or max LP) has minimum 0, exactly: its min LP is skipped (build10: most hidden
cells of a report are zeros or sit at 0 somewhere; the half-year build's exact simplex took
about a third less).

Limits: the LP bounds are the bounds of the *real* relaxation. For one two-way table with
margins, or tables linked only through shared margins, the constraint matrix is totally
unimodular and the bounds are exact integer bounds, attained by integer fillings (the tests
cross-check this by brute force). For releases whose constraints form a cycle of three or
more cross-tables the integer interval can be narrower; we round the LP bounds inward
(``ceil`` / ``floor``) and mark the interval ``exact=False``, as τ-ARGUS does.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from fallstelle.reports.tables import CellId, Position, Table

Number = int | Fraction
Row = dict[int, Number]


@dataclass(frozen=True)
class Interval:
    """Values a hidden cell can take; ``hi is None`` means unbounded above."""

    lo: int
    hi: int | None
    exact: bool = True

    @property
    def width(self) -> float:
        return math.inf if self.hi is None else self.hi - self.lo


@dataclass(frozen=True)
class _Constraint:
    coefs: tuple[tuple[int, int], ...]  # (unknown, coefficient): ±1 in lines, any in relations
    rhs: int
    equal: bool  # else "<="


class InfeasibleError(ValueError):
    """The published values admit no filling at all: the tables contradict each other."""


def feasible_intervals(
    release: Iterable[tuple[Table, Mapping[Position, int]]],
) -> dict[CellId, Interval]:
    """Return the feasible interval of every hidden cell id in a release.

    ``release`` pairs each table with the public lower bound of each of its hidden cells.

    Raises:
        InfeasibleError: the published values contradict each other (a bug upstream).
    """
    index: dict[CellId, int] = {}
    lower: list[int] = []
    constraints: list[_Constraint] = []
    release = list(release)
    for table, hidden in release:
        for pos, lb in hidden.items():
            cid = table.cell(pos).cell_id
            if cid not in index:
                index[cid] = len(lower)
                lower.append(lb)
            else:
                lower[index[cid]] = max(lower[index[cid]], lb)
        for line in table.lines():
            if not any(p in hidden for p in line.positions):
                continue
            if line.additive:
                constraints.append(_linear(table, hidden, index, line.members, line.total))
            else:
                constraints += [
                    _linear(table, hidden, index, (m,), line.total, equal=False)
                    for m in line.members
                    if m in hidden or line.total in hidden
                ]
    constraints += _relations(release, index)
    names = {i: cid for cid, i in index.items()}
    out: dict[CellId, Interval] = {}
    for unknowns, group in _components(len(lower), constraints):
        out.update(_solve_known(unknowns, group, lower, names))
    return out


#: Intervals of components solved before, by the component's exact linear program (LRU).
_SOLVED: OrderedDict[tuple[object, ...], dict[CellId, Interval]] = OrderedDict()
_SOLVED_MAX = 1024
_SOLVED_LOCK = threading.Lock()


def _solve_known(
    unknowns: list[int], group: list[_Constraint], lower: list[int], names: Mapping[int, CellId]
) -> dict[CellId, Interval]:
    """Solve one component, or return the answer for the same program solved before.

    Suppression re-solves the whole release after every repair round, and each check of a
    release solves it again, while most components stay unchanged. The key is the program
    itself, written with cell ids instead of this call's variable numbers: every constraint
    (coefficients, right-hand side, kind) and every unknown's lower bound. The minimum and
    maximum of each unknown over that polytope are unique, so equal keys have equal
    answers however the variables happen to be numbered; an infeasible one raises and is
    not remembered.
    """
    key = (
        tuple(sorted(
            (tuple(sorted((names[v], c) for v, c in con.coefs)), con.rhs, con.equal)
            for con in group
        )),
        tuple(sorted((names[v], lower[v]) for v in unknowns)),
    )  # fmt: skip
    with _SOLVED_LOCK:
        known = _SOLVED.get(key)
        if known is not None:
            _SOLVED.move_to_end(key)
            return known
    solved = {names[v]: iv for v, iv in _solve_component(unknowns, group, lower).items()}
    with _SOLVED_LOCK:
        _SOLVED[key] = solved
        while len(_SOLVED) > _SOLVED_MAX:
            _SOLVED.popitem(last=False)
    return solved


def _linear(
    table: Table,
    hidden: Mapping[Position, int],
    index: Mapping[CellId, int],
    members: tuple[Position, ...],
    total: Position,
    *,
    equal: bool = True,
) -> _Constraint:
    # Σ members − total (=|≤) 0, published values moved to the right-hand side.
    coefs: dict[int, int] = {}
    rhs = 0
    for pos, sign in [*((m, 1) for m in members), (total, -1)]:
        if pos in hidden:
            var = index[table.cell(pos).cell_id]
            coefs[var] = coefs.get(var, 0) + sign
        else:
            rhs -= sign * table.cell(pos).value
    return _Constraint(tuple(sorted((v, c) for v, c in coefs.items() if c)), rhs, equal)


def _relations(
    release: list[tuple[Table, Mapping[Position, int]]], index: Mapping[CellId, int]
) -> list[_Constraint]:
    """The tables' relations as constraints; published cells move to the right-hand side."""
    published: dict[CellId, int] = {}
    for table, _hidden in release:
        for cell in table.cells():
            if cell.cell_id not in index:
                published[cell.cell_id] = cell.value
    out: list[_Constraint] = []
    for table, _hidden in release:
        for relation in table.relations:
            coefs: dict[int, int] = {}
            rhs = relation.bound
            for cid, coef in relation.terms:
                if cid in index:
                    coefs[index[cid]] = coefs.get(index[cid], 0) + coef
                elif cid in published:
                    rhs -= coef * published[cid]
                else:  # a cell the release does not contain: the reader knows nothing of it
                    break
            else:
                if any(coefs.values()):
                    terms = tuple(sorted((v, c) for v, c in coefs.items() if c))
                    out.append(_Constraint(terms, rhs, False))
    return out


def _components(
    n: int, constraints: list[_Constraint]
) -> list[tuple[list[int], list[_Constraint]]]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for con in constraints:
        vars_ = [v for v, _ in con.coefs]
        for v in vars_[1:]:
            parent[find(v)] = find(vars_[0])
    groups: dict[int, tuple[list[int], list[_Constraint]]] = {}
    for v in range(n):
        groups.setdefault(find(v), ([], []))[0].append(v)
    for con in constraints:
        if con.coefs:
            groups[find(con.coefs[0][0])][1].append(con)
        elif (con.equal and con.rhs != 0) or (not con.equal and con.rhs < 0):
            raise InfeasibleError("published values contradict a line total")
    return [groups[root] for root in sorted(groups)]


def _solve_component(
    unknowns: list[int], constraints: list[_Constraint], lower: list[int]
) -> dict[int, Interval]:
    local = {v: j for j, v in enumerate(unknowns)}
    n = len(unknowns)
    rows: list[Row] = []
    rhs: list[Number] = []
    n_slack = 0
    for con in constraints:
        # x = y + lb  ⇒  Σ c·y = rhs − Σ c·lb
        row: Row = {local[v]: c for v, c in con.coefs}
        b = con.rhs - sum(c * lower[v] for v, c in con.coefs)
        if not con.equal:
            row[n + n_slack] = 1
            n_slack += 1
        rows.append(row)
        rhs.append(b)
    if not rows:  # unconstrained: anything from the lower bound upward
        return {v: Interval(lower[v], None) for v in unknowns}
    lp = _Simplex(n + n_slack, rows, rhs)
    out: dict[int, Interval] = {}
    for v in unknowns:
        j = local[v]
        # a feasible vertex with y_j = 0 proves min y_j = 0 (y ≥ 0): no LP needed
        lo = 0 if j in lp.zeros else lp.minimise({j: 1})
        hi = lp.minimise({j: -1})
        if lo is None:  # cannot happen: y >= 0 bounds every minimum below
            raise InfeasibleError("unbounded minimum of a non-negative unknown")
        exact = isinstance(lo, int) or lo.denominator == 1
        exact = exact and (hi is None or isinstance(hi, int) or hi.denominator == 1)
        lo_int = math.ceil(lo) + lower[v]
        hi_int = None if hi is None else math.floor(-hi) + lower[v]
        out[v] = Interval(lo_int, hi_int, exact)
    return out


class _Simplex:
    """Exact primal simplex (Bland's rule) over ``A y = b, y ≥ 0`` with a shared phase 1."""

    def __init__(self, n: int, rows: list[Row], rhs: list[Number]) -> None:
        self.n = n
        rows = [dict(r) for r in rows]
        for i, b in enumerate(rhs):
            if b < 0:
                rows[i] = {j: -c for j, c in rows[i].items()}
                rhs[i] = -b
        art = list(range(n, n + len(rows)))
        for i, a in enumerate(art):
            rows[i][a] = 1
        basis = list(art)
        cost: Row = dict.fromkeys(art, 1)
        obj, z = _reduced(cost, rows, rhs, basis)
        _run(rows, rhs, basis, obj, z, n + len(rows))
        if any(rhs[i] != 0 for i, b in enumerate(basis) if b >= n):
            raise InfeasibleError("no filling of the hidden cells fits the published values")
        keep: list[int] = []
        for i, b in enumerate(basis):
            if b >= n:  # artificial at zero: pivot it out, or drop the redundant row
                j = next((j for j in sorted(rows[i]) if j < n), None)
                if j is None:
                    continue
                _pivot(rows, rhs, basis, None, i, j)
            keep.append(i)
        self.rows = [{j: c for j, c in rows[i].items() if j < n} for i in keep]
        self.rhs = [rhs[i] for i in keep]
        self.basis = [basis[i] for i in keep]
        #: unknowns that are 0 in some feasible vertex seen so far: their minimum is 0
        self.zeros: set[int] = set()
        self._seen(self.rhs, self.basis)

    def _seen(self, rhs: list[Number], basis: list[int]) -> None:
        positive = {b for b, value in zip(basis, rhs, strict=True) if value != 0}
        self.zeros.update(j for j in range(self.n) if j not in positive)

    def minimise(self, cost: Row) -> Number | None:
        """Return the minimum of ``cost · y``, or None when it is unbounded below."""
        rows = [dict(r) for r in self.rows]
        rhs, basis = list(self.rhs), list(self.basis)
        obj, z = _reduced(cost, rows, rhs, basis)
        out = _run(rows, rhs, basis, obj, z, self.n)
        if out is not None:  # an optimal vertex: feasible, so its zeros have minimum 0
            self._seen(rhs, basis)
        return out


def _reduced(
    cost: Row, rows: list[Row], rhs: list[Number], basis: list[int]
) -> tuple[Row, list[Number]]:
    obj: Row = dict(cost)
    z: Number = 0
    for i, b in enumerate(basis):
        cb = cost.get(b, 0)
        if cb:
            for j, c in rows[i].items():
                obj[j] = obj.get(j, 0) - cb * c
            z -= cb * rhs[i]
    return {j: c for j, c in obj.items() if c}, [z]


def _run(
    rows: list[Row], rhs: list[Number], basis: list[int], obj: Row, z: list[Number], limit: int
) -> Number | None:
    while True:
        entering = min((j for j, d in obj.items() if d < 0 and j < limit), default=None)
        if entering is None:
            return -z[0]
        best: tuple[Number, int, int] | None = None
        for i, row in enumerate(rows):
            a = row.get(entering, 0)
            if a > 0:
                ratio = rhs[i] if a == 1 else Fraction(rhs[i]) / a
                if best is None or (ratio, basis[i]) < best[:2]:
                    best = (ratio, basis[i], i)
        if best is None:
            return None
        _pivot(rows, rhs, basis, (obj, z), best[2], entering)


def _pivot(
    rows: list[Row],
    rhs: list[Number],
    basis: list[int],
    objective: tuple[Row, list[Number]] | None,
    r: int,
    j: int,
) -> None:
    p = rows[r][j]
    if p != 1:
        scale: Number = -1 if p == -1 else Fraction(1) / p
        rows[r] = {c: v * scale for c, v in rows[r].items()}
        rhs[r] *= scale
    prow, pb = rows[r], rhs[r]
    targets: list[tuple[Row, list[Number], int]] = [
        (row, rhs, i) for i, row in enumerate(rows) if i != r and j in row
    ]
    if objective is not None and j in objective[0]:
        targets.append((objective[0], objective[1], 0))
    for row, vec, i in targets:
        f = row[j]
        for c, v in prow.items():
            nv = row.get(c, 0) - f * v
            if nv:
                row[c] = nv
            else:
                row.pop(c, None)
        vec[i] -= f * pb
    basis[r] = j
