"""Plain factory functions and a brute-force solver for the disclosure-control tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fallstelle.reports.disclosure import Suppressed
from fallstelle.reports.tables import Axis, Category, Label, Position, Table, crosstab


def axis(dimension: str, n: int, labels: Sequence[str] | None = None) -> Axis:
    names = labels or [f"{dimension} {i}" for i in range(n)]
    return Axis(
        dimension,
        Label(dimension, dimension),
        tuple(Category(f"{dimension}{i}", Label(names[i], names[i])) for i in range(n)),
    )


def table(counts: Sequence[Sequence[int]], key: str = "t", **kwargs: object) -> Table:
    return crosstab(
        key,
        Label("Tabelle", "Table"),
        axis("row", len(counts)),
        axis("col", len(counts[0])),
        counts,
        **kwargs,  # type: ignore[arg-type]
    )


def feasible_values(pub: Suppressed, cap: int) -> dict[Position, set[int]]:
    """Every value (up to ``cap``) each hidden cell takes in some filling fitting the table.

    Independent of the LP: integer domains, bounds propagation on each line, depth-first
    search. A filling agrees with every published cell, satisfies every additive line, and
    gives each hidden cell at least its public lower bound.
    """
    lower = pub.lower_bounds()
    lines = [(line.members, line.total) for line in pub.table.lines() if line.additive]
    domains = {p: (lb, cap) for p, lb in lower.items()}
    out: dict[Position, set[int]] = {}
    for p in sorted(lower):
        out[p] = set()
        for x in range(lower[p], cap + 1):
            if _search({**domains, p: (x, x)}, lines, pub):
                out[p].add(x)
    return out


def _bounds(
    p: Position, domains: Mapping[Position, tuple[int, int]], pub: Suppressed
) -> tuple[int, int]:
    if p in domains:
        return domains[p]
    value = pub.table.cell(p).value
    return value, value


def _propagate(
    domains: dict[Position, tuple[int, int]],
    lines: list[tuple[tuple[Position, ...], Position]],
    pub: Suppressed,
) -> bool:
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            m_lo = sum(_bounds(m, domains, pub)[0] for m in members)
            m_hi = sum(_bounds(m, domains, pub)[1] for m in members)
            t_lo, t_hi = _bounds(total, domains, pub)
            if total in domains:
                new = (max(t_lo, m_lo), min(t_hi, m_hi))
                if new != (t_lo, t_hi):
                    domains[total], changed = new, True
                t_lo, t_hi = new
            if max(t_lo, m_lo) > min(t_hi, m_hi):
                return False
            for m in members:
                if m not in domains:
                    continue
                lo, hi = domains[m]
                new = (max(lo, t_lo - (m_hi - hi)), min(hi, t_hi - (m_lo - lo)))
                if new[0] > new[1]:
                    return False
                if new != (lo, hi):
                    domains[m], changed = new, True
                    m_lo, m_hi = m_lo - lo + new[0], m_hi - hi + new[1]
    return True


def _search(
    domains: dict[Position, tuple[int, int]],
    lines: list[tuple[tuple[Position, ...], Position]],
    pub: Suppressed,
) -> bool:
    domains = dict(domains)
    if not _propagate(domains, lines, pub):
        return False
    open_ = [p for p, (lo, hi) in domains.items() if lo < hi]
    if not open_:
        return True
    p = min(open_, key=lambda q: (domains[q][1] - domains[q][0], q))
    lo, hi = domains[p]
    return any(_search({**domains, p: (x, x)}, lines, pub) for x in range(lo, hi + 1))
