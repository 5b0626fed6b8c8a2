"""The release register: every number this installation has ever shown, as sums of base cells.

Owns what a shown number *is* (a linear form over base cells), storing it
(``release_register``) and reading the whole register back. Imports SQLAlchemy, the
``reports`` models, tables, disclosure and aggregate modules and the statistics model;
never the case rows, never ``crypto``.

A **base cell** is one fact of ``statistical_counts`` for one office, quarter and counting
unit (``(office, quarter, unit, fact)``, frozen, :mod:`.frozen`). Every cell of every table
is a sum of base cells: the cell id names the offices (``stellen``), the period
(``zeitraum``), the unit and the categories, and the category names the facts
(``code:merkmal=religion``, ``col:gender=…`` for every gender in "weitere", the
``kontakte=…`` values of a bin, ``anzahl:merkmal=k`` for k ≥ 2 in "two or more"). "Running
at the end of the period" is the extra base cell ``(office, last quarter, "laufend", "n")``,
tied to the others by ``R(q) = R(q−1) + new(q) − closed(q)`` (:mod:`.union_check`).
Facts that do not occur in the selection are left out of the sum: the check treats them as
known zeros, which only makes the attacker stronger.

**Versions** (:mod:`.versions`): each entry records the revision of every frozen office
quarter it read (``revisions``); :func:`load` reads every entry over the version of the base
cells it read, and entries made before their quarters were frozen as legacy versions of
their own (:mod:`.register_versions`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fallstelle.auth.models import Office
from fallstelle.cases.models.stats import CROSSED
from fallstelle.reports import frozen
from fallstelle.reports.aggregate import BINS, coarse_gender
from fallstelle.reports.aggregate_builder import NONE_CODE
from fallstelle.reports.disclosure import Status, Suppressed
from fallstelle.reports.frozen import RUNNING as RUNNING  # the one definition, re-exported
from fallstelle.reports.frozen import Var as Var
from fallstelle.reports.models import FrozenCount, RegisterEntry
from fallstelle.reports.periods import Period
from fallstelle.reports.periods import parse as parse_period
from fallstelle.reports.tables import CellId

#: offices × quarters × unit × facts, with a coefficient
Term = tuple[tuple[int, ...], tuple[str, ...], str, tuple[str, ...], int]

#: Table dimensions that are single-valued record columns (``col:<column>=<value>``).
COLUMNS = {
    "anfrage": "request_type",
    "zugangsweg": "access_route",
    "altersgruppe": "age_band",
    "geschlecht": "gender",
    "kreis": "kreis",
    "agg_relevanz": "agg_relevance",
    "abschlussgrund": "closure_reason",
}
CODED = frozenset({*CROSSED, "kontakt_kanal"})


@dataclass(frozen=True)
class Shown:
    """One number a release showed: a sum of base cells, published or hidden."""

    cell_id: CellId
    terms: tuple[Term, ...]
    value: int | None  # None: hidden
    #: what a reader knows of a hidden number: at least 0 since zeros are hidden wherever
    #: anything is (``disclosure`` rule 1); entries made before that recorded 1
    lower: int = 0
    primary: bool = False

    def expand(self) -> dict[Var, int]:
        out: dict[Var, int] = {}
        for offices, quarters, unit, facts, coef in self.terms:
            for o in offices:
                for q in quarters:
                    for f in facts:
                        key = (o, q, unit, f)
                        out[key] = out.get(key, 0) + coef
        return {v: c for v, c in out.items() if c}

    def to_json(self) -> list[object]:
        return [[list(p) for p in self.cell_id], [[list(o), list(q), u, list(f), c]
                for o, q, u, f, c in self.terms], self.value, self.lower, self.primary]  # fmt: skip

    @classmethod
    def from_json(cls, item: list[object]) -> Shown:
        cid, terms, value, lower, primary = item
        return cls(
            tuple((str(a), str(b)) for a, b in cid),  # type: ignore[attr-defined]
            tuple((tuple(o), tuple(q), u, tuple(f), c) for o, q, u, f, c in terms),  # type: ignore[attr-defined]
            value,  # type: ignore[arg-type]
            int(lower),  # type: ignore[call-overload]
            bool(primary),
        )


class _Facts:
    """The facts that occur in a selection, per unit (to expand "all values of …")."""

    def __init__(self, session: Session, offices: Sequence[int], period: Period) -> None:
        f = FrozenCount
        rows = session.execute(
            select(f.unit, f.fact)
            .where(f.office_id.in_(offices), f.quarter.in_(period.quarters))
            .distinct()
        )
        self.by_unit: dict[str, list[str]] = {}
        for unit, fact in rows:
            self.by_unit.setdefault(unit, []).append(fact)

    def matching(self, unit: str, prefix: str, keep: object) -> tuple[str, ...]:
        cut = len(prefix)
        return tuple(sorted(
            f for f in self.by_unit.get(unit, ()) if f.startswith(prefix) and keep(f[cut:])  # type: ignore[operator]
        ))  # fmt: skip


def _bin_of(measure: str, value: int) -> int:
    edges = [b[0] for b in BINS[measure][:-1]]
    return next((i for i, e in enumerate(edges) if value <= e), len(edges))


def _facts(pairs: dict[str, str], unit: str, facts: _Facts) -> tuple[str, ...] | None:
    """The facts a cell sums, from its category pairs (None: a cell this module cannot read)."""
    if not pairs:
        return ("n",)
    coded = sorted((d for d in pairs if d in CODED), key=lambda d: (d not in CROSSED, d))
    if len(pairs) == 2 and len(coded) == 2:
        a, b = sorted(coded, key=CROSSED.index)
        return (f"pair:{a}*{b}={pairs[a]}*{pairs[b]}",)
    if len(pairs) != 1:
        return None
    ((dim, code),) = pairs.items()
    if dim in CODED:
        return (f"code:{dim}={code}",)
    if dim == "merkmale_je_fall":
        if code == "mehrere":
            return facts.matching(unit, "anzahl:merkmal=", lambda v: int(v) >= 2)
        return ("anzahl:merkmal=" + ("1" if code == "eines" else "0"),)
    if dim in COLUMNS:
        column = COLUMNS[dim]
        if code == NONE_CODE:
            return (f"col:{column}=",)
        if dim == "geschlecht":
            return facts.matching(
                unit, f"col:{column}=", lambda v: bool(v) and coarse_gender(v) == code
            )
        return (f"col:{column}={code}",)
    if dim in BINS:
        index = int(code.rsplit("-", 1)[1])
        return facts.matching(unit, f"{dim}=", lambda v: _bin_of(dim, int(v)) == index)
    return None


def shown_numbers(
    session: Session, release: Sequence[Suppressed], offices: Sequence[int], period: Period
) -> list[Shown]:
    """Return every cell of a suppressed release as a :class:`Shown` (each cell id once).

    Raises:
        ValueError: a cell this module cannot express in base cells (a new table kind).
    """
    facts = _Facts(session, offices, period)
    query = select(Office.code, Office.id).where(Office.id.in_(offices))
    codes = {code: office for code, office in session.execute(query)}
    out: dict[CellId, Shown] = {}
    for pub in release:
        lower = pub.lower_bounds()
        for cell in pub.table.cells():
            if cell.cell_id in out:
                continue
            pairs = dict(cell.cell_id)
            ids = tuple(int(x) for x in pairs.pop("stellen").split(","))
            when = parse_period(pairs.pop("zeitraum"))
            unit = pairs.pop("einheit")
            quarters = when.quarters
            if "office" in pairs:
                ids = (codes[pairs.pop("office")],)
            if "quartal" in pairs:
                quarters = (pairs.pop("quartal"),)
            if unit == RUNNING:
                terms: tuple[Term, ...] = ((ids, (quarters[-1],), RUNNING, ("n",), 1),)
            else:
                found = _facts(pairs, unit, facts)
                if found is None:
                    raise ValueError(f"cell {cell.cell_id} is not a sum of base cells")
                terms = ((ids, quarters, unit, found, 1),) if found else ()
            status = pub.status[cell.position]
            hidden = pub.is_hidden(cell.position)
            out[cell.cell_id] = Shown(
                cell.cell_id,
                terms,
                None if hidden else cell.value,
                lower.get(cell.position, 0),
                status is Status.PRIMARY,
            )
    return list(out.values())


def _pack(shown: Sequence[Shown]) -> bytes:
    return zlib.compress(json.dumps([s.to_json() for s in shown], separators=(",", ":")).encode())


def digest(shown: Sequence[Shown]) -> str:
    """A fingerprint of what was shown (equal releases have equal fingerprints)."""
    items = sorted(json.dumps(s.to_json(), separators=(",", ":")) for s in shown)
    return hashlib.sha256("\n".join(items).encode()).hexdigest()


def record(
    session: Session,
    *,
    shown: Sequence[Shown],
    kind: str,
    actor_id: str | None,
    actor_role: str,
    period: str,
    office_ids: Sequence[int],
    template: str,
    k: int,
    release_id: uuid.UUID | None = None,
    revisions: Mapping[int, Mapping[str, int]] | None = None,
) -> RegisterEntry:
    """Add one entry to the register (flushes, never commits).

    ``revisions``: the revisions (other than 0) of the frozen office quarters the numbers
    read; by default those current now of ``office_ids``.
    """
    if revisions is None:
        revisions = frozen.revisions(session, office_ids)
    entry = RegisterEntry(
        id=uuid.uuid4(),
        actor_id=actor_id,
        actor_role=actor_role,
        kind=kind,
        release_id=release_id,
        period=period,
        office_ids=",".join(str(i) for i in office_ids),
        template=template,
        k=k,
        digest=digest(shown),
        n_cells=len(shown),
        n_hidden=sum(1 for s in shown if s.value is None),
        cells=_pack(shown),
        revisions=json.dumps(
            {str(o): dict(r) for o, r in revisions.items() if r}, sort_keys=True
        ),
    )
    session.add(entry)
    session.flush()
    return entry


def load(session: Session) -> list[Shown]:
    """Return every number the register holds, each over the version of the base cells it
    read (:func:`fallstelle.reports.register_versions.load_versions`)."""
    from fallstelle.reports.register_versions import load_versions  # it imports this module

    return load_versions(session).shown


def hidden_ids(shown: Iterable[Shown]) -> set[CellId]:
    """The cell ids some release hid."""
    return {s.cell_id for s in shown if s.value is None}


@dataclass(frozen=True)
class EntryRow:
    """One register entry as the auditor sees it (no cells)."""

    created_at: object
    actor_id: str | None
    actor_role: str
    kind: str
    template: str
    offices: tuple[str, ...]
    period: str
    n_cells: int
    n_hidden: int
    digest: str


def entries(session: Session, page: int = 1, per_page: int = 50) -> tuple[list[EntryRow], int]:
    """One page of the register's entries, newest first, and how many there are in all."""
    r = RegisterEntry
    total = session.scalar(select(func.count()).select_from(r)) or 0
    rows = list(session.execute(
        select(r.created_at, r.actor_id, r.actor_role, r.kind, r.template, r.office_ids,
               r.period, r.n_cells, r.n_hidden, r.digest)
        .order_by(r.created_at.desc(), r.id).limit(per_page).offset((max(page, 1) - 1) * per_page)
    ))  # fmt: skip
    ids = {int(i) for row in rows for i in row.office_ids.split(",") if i}
    found = session.execute(select(Office.id, Office.code).where(Office.id.in_(ids)))
    codes = {oid: code for oid, code in found}
    return [
        EntryRow(row.created_at, row.actor_id, row.actor_role, row.kind, row.template,
                 tuple(codes.get(int(i), i) for i in row.office_ids.split(",") if i), row.period,
                 row.n_cells, row.n_hidden, row.digest)
        for row in rows
    ], total  # fmt: skip


def by_var(shown: Iterable[Shown]) -> Mapping[CellId, dict[Var, int]]:
    return {s.cell_id: s.expand() for s in shown}
