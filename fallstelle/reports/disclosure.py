"""Statistical disclosure control of published tables (security.md §5, SDC-1 … SDC-5, 7, 8).

Owns the suppression status of every cell of a release and the check that blocks a release
that is not protected. Imports the standard library, :mod:`fallstelle.errors` and the
``reports`` table and LP modules; never ``crypto`` or ``cases``.

The rules, in the order :func:`suppress_release` applies them:

1. **Primary suppression (SDC-1)**: a count ``1 ≤ c < k`` is hidden (``k`` defaults to 5 and
   is never below 3, the official-statistics floor). **Zeros are hidden wherever anything
   is** (issue 10, docs/statistics-protection.md): a release that hides any cell hides its
   zeros too (``WITHHELD``; the legend says "." may stand for 0), so a reader knows of a
   hidden number only that it is ≥ 0 — with zeros shown, a half-year part of a published
   year count of 6 would lie in 1 … 5, narrower than k. A release that hides nothing
   shows its zeros ("–").
2. **Withheld breakdowns (SDC-2, SDC-7)**: totals are cells too. A total below k is hidden
   and the whole breakdown of its line is withheld (zeros included). A line whose cases all
   share one value (some member equals the total) and whose total is below
   ``attribute_threshold`` (default 20) has its breakdown withheld as well: otherwise
   "all 6 cases in Kreis R concern Religion" would be published. A table whose breakdown
   is tied to cells of another table (``Table.breakdown_needs``: "grounds per case" needs
   every Merkmal row) has every cell but its grand total withheld as soon as one of those
   cells, or one of its own, is hidden.
3. **Complementary suppression (SDC-3)**: every additive line (row, column, margin line;
   its total counts as a cell of the line) with exactly one hidden cell, not a 0, gets one
   more: the smallest published cell of that line (never 0), ties broken by position, so
   regeneration gives identical output. Multi-answer lines (SDC-8) need none.
4. **Consistency (SDC-5)**: a cell id hidden in one table of a release is hidden in every
   table of the release, with the same status; steps 3 and 4 run to a joint fixpoint.
5. **Protection audit (SDC-4)**: for every hidden cell the exact feasible interval given
   everything published in the release (:mod:`fallstelle.reports.disclosure_lp`, every
   hidden cell ≥ 0) must contain at least two values (a hidden 0 may be pinned: it tells
   nothing about a person); for primary cells its width ``hi − lo`` must reach the
   protection level (default k, as SDC-4 asks). A failing cell gets another complement
   from one of its lines and steps 3–5 repeat. :func:`check_release` re-checks everything
   independently and raises :class:`DisclosureError`, which blocks the release.

Across releases: :mod:`.protect` (issue 10). Not covered: the dominance rule (counts are
cases, not magnitudes) and SDC-10's perturbative mode.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from fallstelle.errors import FallstelleError
from fallstelle.reports.disclosure_lp import Interval, feasible_intervals
from fallstelle.reports.tables import CellId, CellKind, Line, Position, Table

#: SDC-1: official statistics never go below three (BA, Eurostat).
K_FLOOR = 3


class Status(StrEnum):
    PUBLISHED = "published"
    PRIMARY = "primary"  # 1 ≤ count < k, or a total below k
    SECONDARY = "secondary"  # a complement (SDC-3) or added by the audit (SDC-4)
    WITHHELD = "withheld"  # a withheld breakdown (SDC-2, SDC-7), or a hidden zero; may be 0


HIDDEN = frozenset({Status.PRIMARY, Status.SECONDARY, Status.WITHHELD})
#: When tables disagree on a shared cell, the status that carries least attacker knowledge
#: wins, so the audit never assumes more than the reader of the release can know.
_RANK = {Status.SECONDARY: 1, Status.PRIMARY: 2, Status.WITHHELD: 3}


class DisclosureError(FallstelleError):
    """A release would let a reader recompute a hidden value; it must not be published."""


@dataclass(frozen=True)
class Policy:
    """Parameters of disclosure control; defaults are security.md §5's choices."""

    k: int = 5
    protection: int | None = None  # required hi − lo of a primary cell; None means k
    attribute_threshold: int = 20  # SDC-7; 0 switches the rule off
    percentage_base: int = 20  # SDC-9
    #: Issue 10: check against the register, from frozen quarters (statistics-protection.md).
    union_check: bool = True

    def __post_init__(self) -> None:
        if self.k < K_FLOOR:
            raise ValueError(f"k = {self.k} is below the floor of {K_FLOOR} (SDC-1)")
        if self.protection is not None and self.protection < 1:
            raise ValueError("the protection level must be at least 1")
        if self.percentage_base < 1 or self.attribute_threshold < 0:
            raise ValueError("thresholds must be positive")

    @property
    def required_width(self) -> int:
        return self.k if self.protection is None else self.protection


@dataclass(frozen=True)
class Suppressed:
    """A table together with the suppression status of each of its cells."""

    table: Table
    status: Mapping[Position, Status]
    policy: Policy

    def is_hidden(self, position: Position) -> bool:
        return self.status[position] in HIDDEN

    def value(self, position: Position) -> int | None:
        """Return the published count at ``position``, or None when it is hidden."""
        return None if self.is_hidden(position) else self.table.cell(position).value

    def lower_bounds(self) -> dict[Position, int]:
        """Return what a reader knows about each hidden cell: at least 0 (zeros are hidden)."""
        return {p: 0 for p, s in self.status.items() if s in HIDDEN}


def primary_statuses(table: Table, policy: Policy) -> dict[Position, Status]:
    """Return the status of each cell after primary suppression and withheld breakdowns."""
    status = {
        c.position: Status.PRIMARY if 0 < c.value < policy.k else Status.PUBLISHED
        for c in table.cells()
    }
    changed = True
    while changed:  # a withheld row total withholds its own row in turn
        changed = False
        for line in table.lines():
            if _withhold(table, line, status, policy):
                for p in line.members:
                    if status[p] is Status.PUBLISHED:
                        status[p] = Status.WITHHELD
                        changed = True
    return status


def _withhold(table: Table, line: Line, status: Mapping[Position, Status], policy: Policy) -> bool:
    total = table.cell(line.total).value
    if status[line.total] in (Status.PRIMARY, Status.WITHHELD):
        return True  # SDC-2
    values = [table.cell(p).value for p in line.members]
    return len(values) > 1 and 0 < total < policy.attribute_threshold and total in values


def suppress(table: Table, policy: Policy | None = None) -> Suppressed:
    """Apply disclosure control to one table (a release of one); raises DisclosureError."""
    return suppress_release([table], policy)[0]


def suppress_release(
    tables: Sequence[Table], policy: Policy | None = None, forced: Iterable[CellId] = ()
) -> list[Suppressed]:
    """Apply disclosure control jointly to every table of one release and check the result.

    ``forced``: cells to hide in any case (earlier releases hid them, or :mod:`.protect`).

    Raises:
        ValueError: two tables share a key, or give different counts for one cell id.
        DisclosureError: no suppression pattern protecting every hidden cell was found.
    """
    policy = policy or Policy()
    _check_ids(tables)
    statuses = [primary_statuses(t, policy) for t in tables]
    force = set(forced)
    cells = [(c, st) for t, st in zip(tables, statuses, strict=True) for c in t.cells()]
    for cell, st in cells:
        if cell.cell_id in force and st[cell.position] is Status.PUBLISHED:
            st[cell.position] = Status.SECONDARY if cell.value else Status.WITHHELD
    # Rule 1: every 0 is hidden once anything is; the later steps only add to a release that
    # hides something, so this one pass covers the final state.
    if any(st[c.position] in HIDDEN for c, st in cells):
        for cell, st in cells:
            if cell.value == 0 and st[cell.position] is Status.PUBLISHED:
                st[cell.position] = Status.WITHHELD
    while True:
        _stabilise(tables, statuses)
        if _withhold_tied(tables, statuses):
            continue
        failures = _failures(tables, statuses, policy)
        if not failures:
            break
        if not _repair(tables, statuses, [cid for cid, _ in failures]):
            raise DisclosureError(_describe(tables, [cid for cid, _ in failures]))
    release = [Suppressed(t, MappingProxyType(dict(s)), policy)
               for t, s in zip(tables, statuses, strict=True)]  # fmt: skip
    check_release(release)
    return release


def check_release(release: Sequence[Suppressed]) -> None:
    """Verify that a suppressed release may be published (SDC-1, 3, 4, 5); do nothing if so.

    Raises:
        DisclosureError: any of these rules is broken; the message names tables and cells,
            never a hidden value.
    """
    if not release:
        return
    policy = release[0].policy
    problems: list[str] = []
    seen: dict[CellId, Status] = {}
    hides = any(pub.is_hidden(p) for pub in release for p in pub.status)
    for pub in release:
        if pub.policy != policy:
            problems.append(f"{pub.table.key}: another policy than the rest of the release")
        for cell in pub.table.cells():
            st = pub.status[cell.position]
            if 0 < cell.value < policy.k and st not in HIDDEN:
                problems.append(f"{pub.table.key} {cell.position}: small count published")
            if hides and cell.value == 0 and st not in HIDDEN:
                problems.append(f"{pub.table.key} {cell.position}: zero published beside hidden")
            if seen.setdefault(cell.cell_id, st) != st:
                problems.append(f"{pub.table.key} {cell.position}: status differs across tables")
        for line in pub.table.lines():
            alone = _alone(pub.table, line, pub.status)
            if line.additive and alone is not None:
                problems.append(f"{pub.table.key} {alone}: only hidden cell of its line")
    tables = [p.table for p in release]
    statuses = [dict(p.status) for p in release]
    problems += [f"{tables[i].key}: breakdown published beside a hidden cell it needs"
                 for i in _tied_open(tables, statuses)]  # fmt: skip
    failures = _failures(tables, statuses, policy)
    problems += [_describe(tables, [cid]) for cid, _ in failures]
    if problems:
        raise DisclosureError("release blocked: " + "; ".join(problems))


def _alone(table: Table, line: Line, status: Mapping[Position, Status]) -> Position | None:
    """The one hidden cell of a line that needs a complement (SDC-3), or None: a lone hidden
    0 needs none (the line tells that it is 0, which tells of no one)."""
    hidden = [p for p in line.positions if status[p] in HIDDEN]
    return hidden[0] if len(hidden) == 1 and table.cell(hidden[0]).value else None


def _check_ids(tables: Sequence[Table]) -> None:
    keys = [t.key for t in tables]
    if len(set(keys)) != len(keys):
        raise ValueError("two tables of the release share a key")
    values: dict[CellId, tuple[str, int]] = {}
    for t in tables:
        for cell in t.cells():
            key, value = values.setdefault(cell.cell_id, (t.key, cell.value))
            if value != cell.value:
                raise ValueError(f"tables {key!r} and {t.key!r} count cell {cell.cell_id} "
                                 "differently")  # fmt: skip


def _complete_lines(table: Table, status: dict[Position, Status]) -> bool:
    changed_any = False
    changed = True
    while changed:
        changed = False
        for line in table.lines():
            if not line.additive or _alone(table, line, status) is None:
                continue
            # Prefer a cell whose other lines already hide something (it closes a pattern
            # instead of opening a new line that needs a complement), then the smallest.
            candidates = [(_opened_lines(table, status, p), table.cell(p).value, p)
                          for p in line.positions if status[p] is Status.PUBLISHED]  # fmt: skip
            if candidates:  # none only for a line of one cell
                status[min(candidates)[2]] = Status.SECONDARY
                changed = changed_any = True
    return changed_any


def _opened_lines(table: Table, status: Mapping[Position, Status], position: Position) -> int:
    return sum(
        1
        for line in table.lines()
        if line.additive
        and position in line.positions
        and not any(status[p] in HIDDEN for p in line.positions)
    )


def _stabilise(tables: Sequence[Table], statuses: list[dict[Position, Status]]) -> None:
    changed = True
    while changed:
        changed = False
        for table, status in zip(tables, statuses, strict=True):
            changed |= _complete_lines(table, status)
        by_id: dict[CellId, Status] = {}
        for table, status in zip(tables, statuses, strict=True):
            for cell in table.cells():
                st, current = status[cell.position], by_id.get(cell.cell_id)
                if st in HIDDEN and (current is None or _RANK[st] > _RANK[current]):
                    by_id[cell.cell_id] = st
        for table, status in zip(tables, statuses, strict=True):
            for cell in table.cells():
                target = by_id.get(cell.cell_id)
                if target is not None and status[cell.position] != target:
                    status[cell.position] = target
                    changed = True


def _tied_open(tables: Sequence[Table], statuses: Sequence[Mapping[Position, Status]]) -> list[int]:
    """Indices of tables whose tied breakdown must be withheld but still shows a cell."""
    hidden = {
        c.cell_id
        for t, st in zip(tables, statuses, strict=True)
        for c in t.cells()
        if st[c.position] in HIDDEN
    }
    out = []
    for i, (t, st) in enumerate(zip(tables, statuses, strict=True)):
        own = [c.position for c in t.cells() if c.kind is not CellKind.GRAND_TOTAL]
        if not t.breakdown_needs or all(st[p] in HIDDEN for p in own):
            continue
        if not hidden.isdisjoint(t.breakdown_needs) or any(st[p] in HIDDEN for p in own):
            out.append(i)
    return out


def _withhold_tied(tables: Sequence[Table], statuses: list[dict[Position, Status]]) -> bool:
    """Withhold the breakdown of every table whose tied cells are not all published."""
    changed = False
    for i in _tied_open(tables, statuses):
        status = statuses[i]
        for c in tables[i].cells():
            if c.kind is not CellKind.GRAND_TOTAL and status[c.position] not in HIDDEN:
                status[c.position] = Status.WITHHELD
                changed = True
    return changed


def _failures(
    tables: Sequence[Table], statuses: Sequence[Mapping[Position, Status]], policy: Policy
) -> list[tuple[CellId, Interval]]:
    bounds = [{p: 0 for p, s in st.items() if s in HIDDEN} for st in statuses]
    intervals = feasible_intervals(zip(tables, bounds, strict=True))
    status_of = {
        c.cell_id: st[c.position] for t, st in zip(tables, statuses, strict=True) for c in t.cells()
    }
    out: list[tuple[CellId, Interval]] = []
    for cid in sorted(intervals):
        iv, st = intervals[cid], status_of[cid]
        if iv.hi == 0:
            continue  # a hidden 0 pinned at 0 (say by a hidden zero total): tells of no one
        need = policy.required_width if st is Status.PRIMARY else 1
        if iv.width < need:
            out.append((cid, iv))
    return out


def _repair(
    tables: Sequence[Table], statuses: list[dict[Position, Status]], failing: Iterable[CellId]
) -> bool:
    """Hide one more cell for the first failing cell that can be helped, then re-audit.

    The cell hidden is the smallest published non-zero cell of the nearest lines (or
    relations), walking outwards from the failing cell through lines that share hidden
    cells. One cell per round: repairing every failing cell at once hides more than needed,
    since one complement often protects several cells.
    """
    groups = _groups(tables)
    for cid in failing:
        frontier, seen_ids, seen_groups = {cid}, {cid}, set()
        while frontier:
            candidates: list[tuple[int, int, Position]] = []
            reached: set[CellId] = set()
            for gi, group in enumerate(groups):
                if gi in seen_groups or frontier.isdisjoint(pid for _, _, pid in group):
                    continue
                seen_groups.add(gi)
                for ti, p, pid in group:
                    value, status = tables[ti].cell(p).value, statuses[ti][p]
                    if status is Status.PUBLISHED and value > 0:
                        candidates.append((value, ti, p))
                    elif status in HIDDEN and pid not in seen_ids:
                        reached.add(pid)
            if candidates:
                _, ti, pos = min(candidates)
                statuses[ti][pos] = Status.SECONDARY
                return True
            seen_ids |= reached
            frontier = reached
    return False


def _groups(tables: Sequence[Table]) -> list[list[tuple[int, Position, CellId]]]:
    """Every line of every table, then every relation, as ``(table, position, cell id)``."""
    out = [
        [(ti, p, table.cell(p).cell_id) for p in line.positions]
        for ti, table in enumerate(tables)
        for line in table.lines()
    ]
    where: dict[CellId, list[tuple[int, Position]]] = {}
    for ti, table in enumerate(tables):
        for cell in table.cells():
            where.setdefault(cell.cell_id, []).append((ti, cell.position))
    for table in tables:
        for relation in table.relations:
            out.append([(ti, p, cid) for cid, _ in relation.terms for ti, p in where.get(cid, ())])
    return out


def _describe(tables: Sequence[Table], cell_ids: Iterable[CellId]) -> str:
    wanted = set(cell_ids)
    where = [f"{t.key} {c.position}" for t in tables for c in t.cells() if c.cell_id in wanted]
    return "hidden cell could be recomputed: " + ", ".join(where)

