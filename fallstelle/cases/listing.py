"""The case list: filters, sort orders, keyset pages and the Kreis filter (issues 14, 15).

Imports SQLAlchemy, ``keyfiles``, ``auth`` and the case room's modules. The list shows only
clear workflow columns and always passes through ``access.visible_clause``.

* **Keyset pages.** A page is "the next 50 after this row" (``after``) or "the 50 before this
  row" (``before``), the row named by its sort key (a cursor in the URL), never ``OFFSET``:
  page 200 costs what page 1 costs, and a case added or closed between two pages neither
  repeats a row nor skips one. The id breaks ties, so two offices' equal case numbers too.
* **A bounded count.** The list says how many cases match up to :data:`COUNT_CAP` and "more
  than …" beyond: counting all 100,000 visible cases on every page was most of its time.
* **The Kreis filter.** A case's Kreis (of its persons and incidents) is encrypted, and a
  clear or blind-indexed copy would be plaintext in effect (about three values per office),
  so the filter narrows by the clear filters first and then opens the candidates in list
  order, only as many as fill the page, at most :data:`KREIS_CAP` candidates per request —
  beyond that it asks to narrow by year, status or counsellor first. Every case opened for
  the filter is recorded as a read (``case.read``, reason ``list_filter``), like the due list.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access, sealing
from fallstelle.cases.errors import CaseKeyRefused, Invalid
from fallstelle.cases.models import OPEN_STATUSES, STATUSES, Case, CaseCounsellor, CaseEntry
from fallstelle.cases.queries import SUMMARY_COLUMNS, CaseSummary
from fallstelle.cases.sections import KINDS, Incident, Person
from fallstelle.keyfiles import KeyMaterial

PER_PAGE = 50
COUNT_CAP = 1000  # the list counts this far, then says "more than 1,000"
KREIS_CAP = 2000  # the Kreis filter opens at most this many candidates' persons and incidents
KREIS_BATCH = 100  # candidates opened per round until the page is full


@dataclass(frozen=True)
class Key:
    """One sort key of the list: a clear column, its direction; NULLs always last."""

    column: InstrumentedAttribute[object]
    descending: bool
    nullable: bool = False

    def ordered(self, backwards: bool) -> ColumnElement[object]:
        down = self.descending != backwards
        term = self.column.desc() if down else self.column.asc()
        if self.nullable:
            term = term.nulls_first() if backwards else term.nulls_last()
        return term

    def beyond(self, value: object, backwards: bool) -> ColumnElement[bool]:
        """Rows after ``value`` in the walking direction (NULLs sort last)."""
        col = self.column
        if value is None:  # the NULLs come last: nothing after them, everything before
            return col.is_not(None) if backwards else false()
        down = self.descending != backwards
        term = col < value if down else col > value
        return or_(term, col.is_(None)) if self.nullable and not backwards else term

    def equal(self, value: object) -> ColumnElement[bool]:
        return self.column.is_(None) if value is None else self.column == value


# Sort orders of the case list; the id breaks every tie, so pages never overlap.
ORDERS: dict[str, tuple[Key, ...]] = {
    "opened": (Key(Case.opened_on, True), Key(Case.case_number, True), Key(Case.id, True)),
    "number": (Key(Case.case_number, True), Key(Case.id, True)),
    "deadline": (Key(Case.next_deadline_on, False, True), Key(Case.case_number, False),
                 Key(Case.id, False)),
    "contact": (Key(Case.last_contact_on, True, True), Key(Case.case_number, False),
                Key(Case.id, False)),
}  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """The clear filters of the list, and the Kreis (a code of the ``kreis`` vocabulary)."""

    status: str | None = None
    counsellor_id: str | None = None
    year: int | None = None
    overdue_on: dt.date | None = None
    kreis: str | None = None


@dataclass(frozen=True)
class Page:
    """One page: its rows, the count (``None`` under the Kreis filter), the neighbours' cursors."""

    items: list[CaseSummary]
    total: int | None
    capped: bool = False  # more than COUNT_CAP cases match
    after: str | None = None  # cursor of the next page
    before: str | None = None  # cursor of the previous page
    too_many: bool = False  # the Kreis filter refused: more than KREIS_CAP candidates


def cursor_of(order: str, summary: CaseSummary) -> str:
    """The URL word naming a row's place in ``order``: its sort key, ``~``-separated."""
    values = [getattr(summary, key.column.key) for key in ORDERS[order]]
    return "~".join("" if v is None else str(v) for v in values)


def _parse(order: str, cursor: str) -> list[object]:
    parts = cursor.split("~")
    keys = ORDERS[order]
    if len(parts) != len(keys):
        raise Invalid("cursor", "format")
    values: list[object] = []
    try:
        for key, part in zip(keys, parts, strict=True):
            if part == "" and key.nullable:
                values.append(None)
            elif key.column.key == "id":
                values.append(uuid.UUID(part))
            elif key.column.key == "case_number":
                values.append(part[:16])
            else:
                values.append(dt.date.fromisoformat(part))
    except ValueError:
        raise Invalid("cursor", "format") from None
    return values


def _beyond(keys: Sequence[Key], values: Sequence[object], backwards: bool) -> ColumnElement[bool]:
    """The rows after the cursor in the walking direction (lexicographic over the keys)."""
    parts = []
    for i, key in enumerate(keys):
        parts.append(and_(*[k.equal(v) for k, v in zip(keys, values[:i], strict=False)],
                          key.beyond(values[i], backwards)))  # fmt: skip
    first, value = keys[0], values[0]
    if first.nullable or value is None:
        return or_(*parts)
    # A redundant bound on the first key: the index range starts at the cursor.
    down = first.descending != backwards
    return and_(first.column <= value if down else first.column >= value, or_(*parts))


def _filtered(actor: Actor, filters: Filters) -> Select[Any]:
    query = select(*SUMMARY_COLUMNS).where(access.visible_clause(actor))
    if filters.status is not None:
        query = query.where(Case.status == filters.status)
    if filters.counsellor_id is not None:
        who = filters.counsellor_id
        shares = select(CaseCounsellor.case_id).where(CaseCounsellor.user_id == who)
        led = select(Case.id).where(Case.lead_counsellor_id == who)
        # One id set from two indexes: "lead = x OR id IN shares" walked every visible case.
        query = query.where(Case.id.in_(union_all(led, shares)))
    if filters.year is not None:
        first, last = dt.date(filters.year, 1, 1), dt.date(filters.year, 12, 31)
        query = query.where(Case.opened_on >= first, Case.opened_on <= last)
    if filters.overdue_on is not None:
        on = filters.overdue_on
        query = query.where(
            Case.status.in_(OPEN_STATUSES),
            (Case.next_deadline_on < on) | (Case.next_follow_up_on < on),
        )
    return query


def _count(session: Session, query: Select[Any], cap: int) -> int:
    """How many rows ``query`` has, counted up to ``cap + 1``."""
    limited = query.with_only_columns(Case.id).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0


def list_cases(
    session: Session,
    actor: Actor,
    keys: KeyMaterial | None = None,
    filters: Filters = Filters(),
    *,
    order: str = "opened",
    after: str | None = None,
    before: str | None = None,
    per_page: int = PER_PAGE,
) -> Page:
    """Return one page of the cases the actor may see, in ``order`` (one of :data:`ORDERS`),
    after the row ``after`` or before the row ``before`` names (:func:`cursor_of`), or the
    first page. ``filters.overdue_on``: only open cases whose deadline or follow-up is
    before that day; ``filters.kreis`` needs ``keys`` (see the module docstring).

    Raises:
        NotAllowed: the actor may not read cases.
        Invalid: unknown status, order or Kreis filter without keys; a malformed cursor.
    """
    access.require(session, actor, Permission.CASE_READ, "case.list")
    if filters.status is not None and filters.status not in STATUSES:
        raise Invalid("status", "choice")
    if not 1 <= per_page <= 200:
        raise Invalid("page", "range")
    if order not in ORDERS or (filters.kreis and keys is None):
        raise Invalid("order", "choice")
    query = _filtered(actor, filters)
    counted = _count(session, query, KREIS_CAP if filters.kreis else COUNT_CAP)
    access.audit(session, actor, "case.list")
    if filters.kreis and counted > KREIS_CAP:
        return Page([], None, too_many=True)
    walk = _Walk(session, actor, keys, filters.kreis, order, query)
    cursor, backwards = (before, True) if before else (after, False)
    rows, more = walk.page(_parse(order, cursor) if cursor else None, backwards, per_page)
    if backwards and not more:  # nothing before the first page: show the first page
        rows, more = walk.page(None, False, per_page)
        cursor, backwards = None, False
    if backwards:
        rows.reverse()
    total = None if filters.kreis else min(counted, COUNT_CAP)
    has_next, has_prev = (True, more) if backwards else (more, cursor is not None)
    return Page(
        rows, total, capped=counted > COUNT_CAP and not filters.kreis,
        after=cursor_of(order, rows[-1]) if has_next and rows else None,
        before=cursor_of(order, rows[0]) if has_prev and rows else None,
    )  # fmt: skip


@dataclass
class _Walk:
    """Walks the filtered rows from a cursor; under the Kreis filter, opens them batch-wise."""

    session: Session
    actor: Actor
    keys: KeyMaterial | None
    kreis: str | None
    order: str
    query: Select[Any]

    def _rows(self, values: list[object] | None, backwards: bool, n: int) -> list[CaseSummary]:
        keys = ORDERS[self.order]
        query = self.query if values is None else self.query.where(_beyond(keys, values, backwards))
        query = query.order_by(*[k.ordered(backwards) for k in keys]).limit(n)
        return [CaseSummary(*row) for row in self.session.execute(query)]

    def page(
        self, values: list[object] | None, backwards: bool, per_page: int
    ) -> tuple[list[CaseSummary], bool]:
        """Up to ``per_page`` rows beyond the cursor, and whether there are more."""
        if not self.kreis:
            rows = self._rows(values, backwards, per_page + 1)
            return rows[:per_page], len(rows) > per_page
        found: list[CaseSummary] = []
        for _ in range(-(-KREIS_CAP // KREIS_BATCH)):
            batch = self._rows(values, backwards, KREIS_BATCH)
            matching = self._in_kreis([r.id for r in batch])
            found += [r for r in batch if r.id in matching]
            if len(found) > per_page or len(batch) < KREIS_BATCH:
                break
            values = _parse(self.order, cursor_of(self.order, batch[-1]))
        return found[:per_page], len(found) > per_page

    def _in_kreis(self, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """The cases among ``ids`` with a person or incident in the Kreis (each opened case
        is recorded as a read, reason ``list_filter``)."""
        if self.keys is None:  # list_cases refuses a Kreis filter without keys
            raise Invalid("kreis", "keys")
        cases = {
            c.id: c
            for c in self.session.scalars(
                select(Case).where(Case.id.in_(ids), access.visible_clause(self.actor))
            )
        }
        rows = self.session.scalars(
            select(CaseEntry).where(
                CaseEntry.case_id.in_(list(cases)), CaseEntry.kind.in_(("person", "incident"))
            )
        )
        ciphers: dict[uuid.UUID, sealing.CaseCipher | None] = {}
        found: set[uuid.UUID] = set()
        for row in rows:
            if row.case_id not in ciphers:
                ciphers[row.case_id] = _open_key(self.keys, cases[row.case_id])
            cipher = ciphers[row.case_id]
            if cipher is None or row.case_id in found:
                continue
            data = cipher.open(KINDS[row.kind], sealing.ENTRIES,
                               sealing.entry_row_id(row.kind, row.id), row.payload)  # fmt: skip
            if isinstance(data, Person | Incident) and data.kreis == self.kreis:
                found.add(row.case_id)
        for case_id in sorted((i for i, c in ciphers.items() if c is not None), key=str):
            access.audit(self.session, self.actor, "case.read", str(case_id), reason="list_filter")
        return found


def _open_key(keys: KeyMaterial, case: Case) -> sealing.CaseCipher | None:
    try:
        return sealing.open_case_key(keys.keyring, case)
    except CaseKeyRefused:  # moved by a database write: never disclosed
        return None
