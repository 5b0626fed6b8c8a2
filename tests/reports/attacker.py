"""An attacker who holds every number the installation has ever shown (issue 10).

Two attacks on the register (``fallstelle.reports.register.load``):

* **exact elimination** — every published number is an equation over base cells, together
  with the identities a reader knows (``union_check.structural``: additivity of single-valued
  columns, "two or more grounds" making a table additive, running counts); a hidden number
  whose linear form lies in the span of these equations is *pinned*: year − H1 = H2,
  pooled − one office = the other office, parent − siblings … in any combination. One SVD
  gives the null space; a form orthogonal to it is determined.
* **LP** — the minimum and maximum of each hidden number (and each base cell) of 1 … k−1
  subject to everything published, the identities, ``x ≥ 0`` and each hidden number's
  recorded lower bound (0 since zeros are hidden wherever anything is; 1 in older entries):
  ``scipy.optimize.linprog`` with its own constraint matrix (not the checker's ``Program``).

Both read only what a reader has: published values, which numbers were hidden, what each
number counts. The truth is used only to say whether a recovered number is small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

from fallstelle.reports.identities import _chain_cases, structural
from fallstelle.reports.register import Shown, Var


@dataclass(frozen=True)
class Recovered:
    what: str
    truth: int
    lo: float
    hi: float


Rows = list[tuple[dict[Var, int], float]]


def _space(shown: Sequence[Shown], truth: Mapping[Var, int]) -> tuple[dict[Var, int], Rows, Rows]:
    forms = [s.expand() for s in shown]
    variables: set[Var] = set(truth)
    for f in forms:
        variables |= set(f)
    variables |= _chain_cases(variables)
    identities = structural(variables)
    for f, _, _ in identities:
        variables |= set(f)
    index = {v: i for i, v in enumerate(sorted(variables))}
    eq: Rows = [(f, float(s.value))
                for s, f in zip(shown, forms, strict=True) if s.value is not None]  # fmt: skip
    ub: Rows = [({x: -c for x, c in f.items()}, -float(s.lower))
          for s, f in zip(shown, forms, strict=True) if s.value is None and s.lower]  # fmt: skip
    for f, rhs, equal in identities:
        (eq if equal else ub).append((f, float(rhs)))
    return index, eq, ub


def _dense(index: Mapping[Var, int], rows: Rows) -> np.ndarray:
    m = np.zeros((len(rows), len(index)))
    for r, (form, _) in enumerate(rows):
        for x, c in form.items():
            m[r, index[x]] += c
    return m


def _sparse(index: Mapping[Var, int], rows: Rows) -> csr_matrix:
    """The rows as a sparse matrix (HiGHS reads it as is; a dense one of a year's register
    has millions of zeros, which made each LP of :func:`narrowed` cost seconds)."""
    data, cols, ptr = [], [], [0]
    for form, _ in rows:
        for x, c in form.items():
            cols.append(index[x])
            data.append(float(c))
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(rows), len(index)))


def pinned(shown: Sequence[Shown], truth: Mapping[Var, int], k: int) -> list[Recovered]:
    """Hidden numbers (not 0) that the published equations determine exactly."""
    index, eq, _ = _space(shown, truth)
    a = _dense(index, eq)
    if a.shape[0] < a.shape[1]:  # square it up so that the thin SVD has every right vector
        a = np.vstack([a, np.zeros((a.shape[1] - a.shape[0], a.shape[1]))])
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    rank = int((s > 1e-8 * max(1.0, s.max(initial=0))).sum())
    null = vt[rank:]
    out = []
    seen = set()
    for sh in shown:
        if sh.value is not None:
            continue
        form = sh.expand()
        key = tuple(sorted(form.items()))
        if key in seen:
            continue
        seen.add(key)
        vec = np.zeros(len(index))
        for x, c in form.items():
            vec[index[x]] += c
        value = sum(truth.get(x, 0) * c for x, c in form.items())
        if value and np.abs(null @ vec).max(initial=0) < 1e-7:
            out.append(Recovered(repr(sh.cell_id), value, value, value))
    return out


def narrowed(shown: Sequence[Shown], truth: Mapping[Var, int], k: int) -> list[Recovered]:
    """Hidden numbers and base cells of 1 … k−1 whose LP range is narrower than k."""
    index, eq, ub = _space(shown, truth)
    a_eq, b_eq = _sparse(index, eq), np.array([b for _, b in eq])
    a_ub = _sparse(index, ub) if ub else None
    b_ub = np.array([b for _, b in ub]) if ub else None
    wanted: list[tuple[str, dict[Var, int], int]] = []
    seen = set()
    for sh in shown:
        form = sh.expand()
        value = sum(truth.get(x, 0) * c for x, c in form.items())
        key = tuple(sorted(form.items()))
        if sh.value is None and 0 < value < k and key not in seen:
            seen.add(key)
            wanted.append((repr(sh.cell_id), form, value))
    for var, value in truth.items():
        if 0 < value < k and ((var, 1),) not in seen:
            wanted.append((repr(var), {var: 1}, value))
    out = []
    for what, form, value in wanted:
        c = np.zeros(len(index))
        for x, coef in form.items():
            c[index[x]] += coef
        ends = []
        for sign in (1, -1):
            res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                          bounds=(0, None), method="highs")  # fmt: skip
            assert res.status in (0, 3), res.message  # 3: unbounded above
            ends.append(sign * res.fun if res.status == 0 else -sign * np.inf)
        if ends[1] - ends[0] < k - 1e-6:
            out.append(Recovered(what, value, ends[0], ends[1]))
    return out
