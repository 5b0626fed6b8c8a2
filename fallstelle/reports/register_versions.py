"""Reading the release register back over versions of the base cells (issue 10).

Owns :func:`load_versions` and the marks of legacy entries (``register_legacy``). Imports
SQLAlchemy, the ``reports`` models and :mod:`.frozen`, :mod:`.union_check`, :mod:`.register`,
:mod:`.versions`; never the case rows, never ``crypto``.

Each register entry records the revisions of the frozen office quarters it read. A number
that read an older revision than the current one is a sum over that revision's base cells
(``"2026-Q1@0"``, running counts ``"2026-Q4@2026-Q1.0"``, :mod:`.versions`). An entry whose
numbers contradict the true values of the versions it read — made before its quarters were
frozen, by an installation that ran with the check off and edited cases afterwards — is read
over base cells of its own (``"2026-Q1@L<id>"``): the identities hold within them, nothing
ties them to the frozen counts, their true values are unknown (no targets). One that is not
even consistent on its own (with the check off, the cells named the facts of the frozen
counts, not of the live ones shown) keeps only which cells it hid: they stay hidden in later
releases, its published numbers are left out of the check. Such entries are marked in
``register_legacy`` when a check reads them, so that the reports page and the auditor's
register page can say so without reading the whole register.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fallstelle.db import utcnow
from fallstelle.reports import frozen, versions
from fallstelle.reports.models import RegisterEntry, RegisterLegacy
from fallstelle.reports.register import RUNNING, Shown, Term, Var
from fallstelle.reports.tables import CellId
from fallstelle.reports.union_check import Program

Revisions = Mapping[int, Mapping[str, int]]


@dataclass(frozen=True)
class Loaded:
    """The register as the check reads it."""

    shown: list[Shown]
    #: entries whose numbers contradict the frozen counts they read (read as legacy versions)
    legacy: list[uuid.UUID]
    #: legacy entries whose numbers are not even a sum of counts of their own (their cells
    #: name facts of another time): only which cells they hid is kept
    unreadable: list[uuid.UUID]


def _versioned(s: Shown, read: Revisions, current: Revisions) -> Shown:
    """``s`` over the revisions it read: an older one names itself in the quarter."""
    terms: list[Term] = []
    for offices, quarters, unit, facts, coef in s.terms:
        for o in offices:
            mine, now = read.get(o, {}), current.get(o, {})
            old = {q: mine.get(q, 0) for q in mine.keys() | now.keys()
                   if mine.get(q, 0) != now.get(q, 0)}  # fmt: skip
            if unit == RUNNING:
                tagged = tuple(versions.tag(q, versions.state_label(
                    {qq: r for qq, r in old.items() if qq <= q})) for q in quarters)  # fmt: skip
            else:
                tagged = tuple(versions.tag(q, str(old[q]) if q in old else None) for q in quarters)
            terms.append(((o,), tagged, unit, facts, coef))
    return Shown(s.cell_id, tuple(terms), s.value, s.lower, s.primary)


def _legacy(s: Shown, label: str) -> Shown:
    terms = tuple((o, tuple(versions.tag(q, label) for q in qs), u, f, c)
                  for o, qs, u, f, c in s.terms)  # fmt: skip
    return Shown(s.cell_id, terms, s.value, s.lower, s.primary)


def _consistent(shown: Iterable[Shown], truth: Mapping[Var, int]) -> bool:
    """Whether the true counts satisfy every number (its published value; a hidden number at
    least its lower bound)."""
    for s in shown:
        value = sum(truth.get(x, 0) * c for x, c in s.expand().items())
        if (s.value is not None and value != s.value) or (s.value is None and value < s.lower):
            return False
    return True


#: Decoded register entries by digest, per process. An entry never changes and its digest is
#: the SHA-256 of what it holds, so a decoded copy stays right; decoding (zlib + JSON +
#: ``Shown``) was half of every check's register load (~30 ms per entry of a funding report).
_DECODED: dict[str, tuple[Shown, ...]] = {}
_DECODED_MAX = 5000


def _decoded(session: Session, digests: set[str]) -> dict[str, tuple[Shown, ...]]:
    """The entries with these digests, decoded; only those not decoded before are read."""
    missing = digests - _DECODED.keys()
    if missing:
        query = select(RegisterEntry.digest, RegisterEntry.cells).where(
            RegisterEntry.digest.in_(missing)
        )
        for dig, blob in session.execute(query):
            if len(_DECODED) >= _DECODED_MAX:
                _DECODED.clear()
            _DECODED[dig] = tuple(Shown.from_json(i) for i in json.loads(zlib.decompress(blob)))
    return {d: _DECODED[d] for d in digests if d in _DECODED}


def load_versions(session: Session) -> Loaded:
    """Every number the register holds, each distinct shown number once, over the version of
    the base cells it read (:mod:`.versions`); entries that contradict the frozen counts are
    read as legacy versions of their own, named in :attr:`Loaded.legacy` and marked
    (:func:`mark`; flushes)."""
    current = frozen.revisions(session)
    seen: set[tuple[str, str]] = set()
    entries: list[tuple[uuid.UUID, list[Shown], list[Shown]]] = []
    r = RegisterEntry
    query = select(r.id, r.digest, r.revisions).order_by(r.created_at, r.id)
    rows = list(session.execute(query).tuples())
    decoded = _decoded(session, {dig for _, dig, _ in rows})
    for entry_id, dig, revs in rows:
        if (dig, revs) in seen:
            continue
        seen.add((dig, revs))
        items = list(decoded[dig])
        read = {int(o): m for o, m in json.loads(revs or "{}").items()}
        offices = {o for s in items for t in s.terms for o in t[0]}
        if any(read.get(o) or current.get(o) for o in offices):
            entries.append((entry_id, items, [_versioned(s, read, current) for s in items]))
        else:
            entries.append((entry_id, items, items))
    wanted = {v for _, _, tagged in entries for s in tagged for v in s.expand()}
    truth = frozen.truth(session, wanted) if wanted else {}
    out: dict[tuple[CellId, int | None, tuple[Term, ...]], Shown] = {}
    legacy: list[uuid.UUID] = []
    unreadable: list[uuid.UUID] = []
    for entry_id, items, tagged in entries:
        if not _consistent(tagged, truth):
            legacy.append(entry_id)
            tagged = [_legacy(s, versions.LEGACY + entry_id.hex[:8]) for s in items]
            if not Program(tagged, {}).feasible():  # no counts of its own fit: keep what it hid
                unreadable.append(entry_id)
                tagged = [Shown(s.cell_id, s.terms, None, 0, s.primary) for s in tagged
                          if s.value is None]  # fmt: skip
        for s in tagged:
            out.setdefault((s.cell_id, s.value, s.terms), s)
    loaded = Loaded(list(out.values()), legacy, unreadable)
    mark(session, loaded)
    return loaded


def mark(session: Session, loaded: Loaded) -> None:
    """Remember the legacy entries a check read (entries already marked stay)."""
    found = set(loaded.legacy)
    if not found:
        return
    known = set(session.scalars(select(RegisterLegacy.entry_id)))
    rows = [{"entry_id": e, "found_at": utcnow(), "unreadable": e in loaded.unreadable}
            for e in sorted(found - known)]  # fmt: skip
    if not rows:
        return
    # two concurrent checks may find the same entry: the second insert does nothing
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(RegisterLegacy).values(rows).on_conflict_do_nothing())


def legacy_count(session: Session) -> int:
    """How many register entries a check has read as legacy versions (made before freezing)."""
    return session.scalar(select(func.count()).select_from(RegisterLegacy)) or 0
