"""What a reader knows besides the published numbers: the vocabulary's identities over base
cells, within each version of them (issue 10).

Owns :func:`structural` (the identities), the unknowns of running-count chains
(:func:`_chain_cases`) and :func:`system` (every base cell the identities reach). Imports
:mod:`.register` and :mod:`.versions`; no database. The identities are listed in
:mod:`.union_check`'s docstring; :mod:`.versions` says how an older snapshot of an office
quarter, or a legacy register entry, gets base cells of its own: the identities hold within
each version, and running counts chain from an old version into the current one where their
quarters agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from fallstelle.reports import versions
from fallstelle.reports.register import RUNNING, Var

Form = dict[Var, int]


def _prev(quarter: str) -> str:
    year, n = int(quarter[:4]), int(quarter[-1])
    return f"{year - 1}-Q4" if n == 1 else f"{year}-Q{n - 1}"


def structural(variables: Iterable[Var]) -> list[tuple[Form, int, bool]]:
    """The identities a reader knows, over these base cells: ``(form, rhs, equal)``; else ≤."""
    groups: dict[tuple[int, str, str], list[str]] = {}
    running: dict[int, set[str]] = {}
    for o, q, u, f in variables:
        if u == RUNNING:
            running.setdefault(o, set()).add(q)
        else:
            groups.setdefault((o, q, u), []).append(f)
    out: list[tuple[Form, int, bool]] = []
    for (o, q, u), facts in groups.items():
        have = set(facts)
        n = (o, q, u, "n")

        def v(fact: str, o: int = o, q: str = q, u: str = u) -> Var:
            return (o, q, u, fact)

        sums: dict[str, list[str]] = {}
        ranks: dict[str, list[tuple[int, str]]] = {}
        level_one: dict[str, list[str]] = {}
        for f in have:
            if f == "n":
                continue
            if f.startswith("code:"):
                dim, code = f[5:].split("=", 1)
                out.append(({v(f): 1, n: -1}, 0, False))
                if "." in code:
                    parent = f"code:{dim}={code.split('.', 1)[0]}"
                    out.append(({v(f): 1, v(parent): -1}, 0, False))
                elif code != "keine_angabe":
                    level_one.setdefault(dim, []).append(f)
            elif f.startswith("pair:"):
                dims, codes = f[5:].split("=", 1)
                (d1, d2), (a, b) = dims.split("*"), codes.split("*")
                for side in (f"code:{d1}={a}", f"code:{d2}={b}"):
                    out.append(({v(f): 1, v(side): -1}, 0, False))
            elif f.startswith("anzahl:"):
                dim, rank = f[7:].split("=", 1)
                ranks.setdefault(dim, []).append((int(rank), f))
            else:
                head = f.split("=", 1)[0]  # col:<column>, kontakte, minuten, dauer
                sums.setdefault(head, []).append(f)
        for members in sums.values():
            out.append(({n: -1, **{v(f): 1 for f in members}}, 0, True))
        for dim, found in ranks.items():
            out.append(({n: -1, **{v(f): 1 for _, f in found}}, 0, True))
            form: Form = {v(f): 1 for f in level_one.get(dim, [])}
            for k, f in found:
                if k:
                    form[v(f)] = form.get(v(f), 0) - k
            out.append(({x: c for x, c in form.items() if c}, 0, True))
    done: set[tuple[int, str]] = set()
    for o, quarters in running.items():
        plain = {versions.plain(q) for (oo, q, _u) in groups if oo == o}
        first = min(plain) if plain else min(versions.plain(q) for q in quarters)
        current = [q for q in quarters if "@" not in q]
        tops = ([max(current)] if current else []) + sorted(q for q in quarters if "@" in q)
        for top in tops:
            out += _chain(o, top, first, groups, done)
    return out


def _chain(
    o: int, top: str, first: str, groups: Mapping[tuple[int, str, str], object],
    done: set[tuple[int, str]],
) -> list[tuple[Form, int, bool]]:
    """``running(q) = running(q−1) + opened(q) − closed(q)`` from ``top`` down to ``first``,
    each running count once; within a version (:mod:`.versions`) of the base cells."""
    out: list[tuple[Form, int, bool]] = []
    q, label = versions.split(top)
    while q >= first and (o, versions.tag(q, label)) not in done:
        done.add((o, versions.tag(q, label)))
        below = _prev(q)
        lower = versions.step_down(label, below)
        here: Form = {(o, versions.tag(q, label), RUNNING, "n"): 1,
                      (o, versions.tag(below, lower), RUNNING, "n"): -1}  # fmt: skip
        base = versions.base_tag(q, label)
        if base != q or (o, q, "neu") in groups:
            here[(o, base, "neu", "n")] = -1
        if base != q or (o, q, "abgeschlossen") in groups:
            here[(o, base, "abgeschlossen", "n")] = 1
        out.append((here, 0, True))
        q, label = below, lower
    return out


def _chain_cases(variables: Iterable[Var]) -> set[Var]:
    """The case counts of every quarter a running count spans, occurring or not.

    A quarter in which an office opened (or closed) nothing has no base cells; without
    these unknowns the check would treat it as a known zero, which no reader knows unless a
    release showed that quarter, and the running count would pin the quarters around it.
    """
    out: set[Var] = set()
    spans: dict[int, list[str]] = {}
    for o, q, _u, _f in variables:
        spans.setdefault(o, []).append(versions.plain(q))
    running = {(o, q) for o, q, u, _f in variables if u == RUNNING}
    for o, quarters in spans.items():
        if not any(oo == o for oo, _ in running):
            continue
        q, first = max(quarters), min(quarters)
        while q >= first:
            out |= {(o, q, "neu", "n"), (o, q, "abgeschlossen", "n"), (o, q, RUNNING, "n")}
            q = _prev(q)
    return out


def system(variables: Iterable[Var]) -> tuple[set[Var], list[tuple[Form, int, bool]]]:
    """Every base cell a reader's equations reach from these, and the identities over them:
    the cells themselves, the case counts of every quarter their running counts span
    (:func:`_chain_cases`) and the cells the identities add — among them each chain's
    boundary, the running count at the end of the quarter before its first.

    Remembered for the last 4 sets of cells (:func:`_system`): a repair loop builds its
    LPs over the same cells round after round (an H1 funding build needs 3 sets). The
    forms are shared: read them only. A process keeps them until other sets push them out
    (an office's year: ~17 MB; a pooled LP of many offices grows with its cells)."""
    out, cons = _system(frozenset(variables))
    return set(out), list(cons)


@lru_cache(maxsize=4)
def _system(
    variables: frozenset[Var],
) -> tuple[frozenset[Var], tuple[tuple[Form, int, bool], ...]]:
    out = set(variables)
    out |= _chain_cases(out)
    cons = structural(out)
    for form, _, _ in cons:
        out |= set(form)
    return frozenset(out), tuple(cons)


def closure(variables: Iterable[Var]) -> set[Var]:
    """The cells of :func:`system`. The check needs the truth of all of them: a cell it reads
    no truth of is never a target, yet a report of 2026 may pin the running count of 2025-Q4."""
    return system(variables)[0]
