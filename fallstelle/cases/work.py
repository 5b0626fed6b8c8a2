"""A case opened for reading or changing: its row, its key, its decrypted sections.

Imports SQLAlchemy, ``keyfiles``, ``auth`` models and the case room's modules. Services open a
:class:`CaseWork`, change the sections in memory, and call :meth:`CaseWork.save`, which
validates, seals every changed payload, derives the clear workflow columns (next deadline,
next follow-up, last contact, legal hold), writes the change history (``cases.history``),
rewrites the statistical record and bumps the row version —
all in the caller's transaction, so a case change and its record commit together.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, literal_column, null, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from fallstelle import crypto
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import User
from fallstelle.cases import access, history, payload, sealing, statistics
from fallstelle.cases.errors import CaseConflict, CaseKeyRefused, Invalid
from fallstelle.cases.models import Case, CaseEntry, CaseIdentity
from fallstelle.cases.sections import (
    KINDS,
    CaseDetails,
    Contact,
    Deadline,
    Entry,
    FollowUp,
    Identity,
    Incident,
    Intervention,
)
from fallstelle.catalogue import vocab
from fallstelle.clock import today
from fallstelle.db import as_utc, utcnow
from fallstelle.keyfiles import KeyMaterial


@dataclass
class EntryView:
    id: uuid.UUID
    kind: str
    data: Entry


def check_order(data: object, today_: dt.date, known: payload.CodeCheck, prefix: str) -> None:
    """Validate a section: its fields, then the rules between fields (an end before a start).

    Raises:
        Invalid: see ``payload.validate``; ``before_start`` for an end before its start.
    """
    payload.validate(data, known, today_, prefix)
    pairs: tuple[tuple[str, str], ...] = ()
    if isinstance(data, Incident):
        pairs = (("date_from", "date_to"),)
    elif isinstance(data, Intervention):
        pairs = (("started_on", "completed_on"),)
    for start, end in pairs:
        first, last = getattr(data, start), getattr(data, end)
        if first is not None and last is not None and last < first:
            raise Invalid(f"{prefix}{end}", "before_start")


def index_bits(session: Session, office_id: int) -> int:
    """Return the blind-index length for a new row of this office (its number of cases).

    Counted once per transaction (a bulk import writes many rows; the length changes only
    when the office's size doubles or so, and any stored length still matches a search).
    """
    cached = session.info.get((_BITS, office_id))
    if isinstance(cached, int):
        return cached
    rows = session.scalar(select(func.count()).where(Case.office_id == office_id)) or 0
    bits = crypto.blind_index_bits(rows)
    session.info[(_BITS, office_id)] = bits
    return bits


_BITS = "fallstelle.cases.index_bits"
_E, _I = CaseEntry.__table__.c, CaseIdentity.__table__.c
class _Person(NamedTuple):
    """A person's sealed row as read with the entries (:data:`_READ_SEALED`)."""

    person_id: uuid.UUID
    payload: bytes


#: A case that is only read: its sealed rows as plain values, by a Core statement built once
#: (a statement built per call, its cache key and the ORM's execution path cost more than
#: the query; issue 15). Entries and persons come in one statement (one round trip less per
#: case page): a person's row has no kind; entries come in the order they were made.
_READ_SEALED = union_all(
    select(_E.id, _E.kind, _E.payload, _E.created_at.label("made")).where(
        _E.case_id == bindparam("case_id")
    ),
    select(_I.person_id, null(), _I.payload, null()).where(_I.case_id == bindparam("case_id")),
).order_by(literal_column("made"))


class CaseWork:
    """The decrypted state of one case inside one transaction."""

    def __init__(
        self,
        session: Session,
        case: Case,
        cipher: sealing.CaseCipher,
        details: CaseDetails,
        keys: KeyMaterial,
        *,
        fresh: bool = False,
    ) -> None:
        self.session = session
        self.case = case
        self.cipher = cipher
        self.details = details
        self.keys = keys
        self.entries: dict[uuid.UUID, EntryView] = {}
        self.identities: dict[uuid.UUID, Identity] = {}
        self._rows: dict[uuid.UUID, CaseEntry] = {}
        self._identity_rows: dict[uuid.UUID, CaseIdentity] = {}
        self.vocabulary = vocab.load(session, case.office_id)
        #: The sections as opened (None for a new case: its creation is in the audit log).
        self.before: history.Snapshot | None = None
        #: Why a section is removed; written to the history with the removal.
        self.reason = ""
        #: Opened only to be read (``open(reading=True)``): :meth:`save` refuses.
        self.reading = False
        #: A case just begun (``service.start_case``) and not saved yet: it has no
        #: statistical record to look up, and its first save may leave the flush to the caller.
        self.fresh = fresh

    @classmethod
    def open(
        cls, session: Session, case: Case, keys: KeyMaterial, *, reading: bool = False
    ) -> CaseWork:
        """Unwrap the case's key and decrypt every section.

        ``reading=True`` (a read that changes nothing, e.g. the case page): the rows are read
        as plain values, not kept as ORM objects, and no copy of the sections is taken for
        the change history; such a case cannot be saved.

        Raises:
            CaseKeyRefused: the key is not bound to the row's office and counsellors.
            CryptoError: a wrong key or a payload that does not belong to this case/row.
        """
        cipher = sealing.open_case_key(keys.keyring, case)
        details = cipher.open(CaseDetails, sealing.CASES, str(case.id), case.payload)
        work = cls(session, case, cipher, details, keys)
        work.reading = reading
        entries: Sequence[Any]
        people: Sequence[Any]
        if reading:
            rows = session.execute(_READ_SEALED, {"case_id": case.id}).all()
            entries = [row for row in rows if row.kind is not None]
            people = [_Person(row.id, row.payload) for row in rows if row.kind is None]
        else:
            entries = list(
                session.scalars(
                    select(CaseEntry)
                    .where(CaseEntry.case_id == case.id)
                    .order_by(CaseEntry.created_at)
                )
            )
            people = list(
                session.scalars(select(CaseIdentity).where(CaseIdentity.case_id == case.id))
            )
        for row in entries:
            row_id = sealing.entry_row_id(row.kind, row.id)
            data = cipher.open(KINDS[row.kind], sealing.ENTRIES, row_id, row.payload)
            if not reading:
                work._rows[row.id] = row
            work.entries[row.id] = EntryView(row.id, row.kind, data)
        for ident in people:
            if not reading:
                work._identity_rows[ident.person_id] = ident
            work.identities[ident.person_id] = cipher.open(
                Identity, sealing.IDENTITIES, str(ident.person_id), ident.payload
            )
        if not reading:
            work.before = work.snapshot()
        return work

    def snapshot(self) -> history.Snapshot:
        """Every section as JSON values (for the change history)."""
        sections = {("details", ""): history.details_values(self.details)}
        for e in self.entries.values():
            sections[(e.kind, str(e.id))] = history.as_values(e.data)
        for person_id, identity in self.identities.items():
            sections[("identity", str(person_id))] = history.as_values(identity)
        return history.Snapshot(sections)

    @classmethod
    def open_for(
        cls,
        session: Session,
        actor: Actor,
        case: Case,
        keys: KeyMaterial,
        action: str,
        *,
        reading: bool = False,
    ) -> CaseWork:
        """Open a case the actor passed the access check for; audit a key refusal.

        Raises:
            CaseKeyRefused: the key is not bound to the row's office and counsellors (the
                refusal is recorded as ``action`` denied with reason ``binding``).
        """
        try:
            return cls.open(session, case, keys, reading=reading)
        except CaseKeyRefused:
            access.audit(session, actor, action, str(case.id), outcome="denied", reason="binding")
            raise

    def of_kind(self, kind: str) -> list[EntryView]:
        return [e for e in self.entries.values() if e.kind == kind]

    def entry(self, entry_id: uuid.UUID, kind: str) -> EntryView:
        """Return an entry of this case.

        Raises:
            Invalid: no entry of that kind with that id in this case.
        """
        found = self.entries.get(entry_id)
        if found is None or found.kind != kind:
            raise Invalid(kind, "unknown_entry")
        return found

    def put(self, data: Entry, entry_id: uuid.UUID | None = None) -> uuid.UUID:
        """Validate and seal an entry (new when ``entry_id`` is None).

        Raises:
            Invalid: the entry breaks a rule, or ``entry_id`` is not an entry of this kind.
        """
        kind = next(k for k, cls in KINDS.items() if isinstance(data, cls))
        check_order(data, today(), self.vocabulary.known, f"{kind}.")
        assigns = isinstance(data, FollowUp) and self.reassigns(data, entry_id)
        if assigns and data.assignee_id not in self.case.counsellor_ids:  # type: ignore[union-attr]
            raise Invalid(f"{kind}.assignee_id", "not_case_counsellor")  # only they can read it
        if entry_id is None:
            row = CaseEntry(id=uuid.uuid4(), case_id=self.case.id, kind=kind, payload=b"")
            self.session.add(row)
            self._rows[row.id] = row
        else:
            self.entry(entry_id, kind)
            row = self._rows[entry_id]
            row.updated_at = utcnow()
        row.payload = self.cipher.seal(sealing.ENTRIES, sealing.entry_row_id(kind, row.id), data)
        self.entries[row.id] = EntryView(row.id, kind, data)
        return row.id

    def reassigns(self, data: FollowUp, entry_id: uuid.UUID | None) -> bool:
        """Whether ``data`` gives the follow-up to someone new (kept assignees stay valid
        even after they left the case: the task list then falls back to the lead)."""
        before = self.entries.get(entry_id) if entry_id is not None else None
        old = before.data.assignee_id if before and isinstance(before.data, FollowUp) else ""
        return bool(data.assignee_id) and data.assignee_id != old

    def remove(self, entry_id: uuid.UUID, kind: str) -> None:
        """Delete an entry (and a person's identifying data with it).

        Raises:
            Invalid: not an entry of this kind in this case.
        """
        self.entry(entry_id, kind)
        if entry_id in self._identity_rows:
            self.remove_identity(entry_id)
            self.session.flush()  # before the entry, whose deletion would cascade to it
        self.session.delete(self._rows.pop(entry_id))
        del self.entries[entry_id]

    def remove_identity(self, person_id: uuid.UUID) -> None:
        """Delete a person's identifying data (and its blind indexes), if there is any."""
        ident = self._identity_rows.pop(person_id, None)
        if ident is not None:
            self.session.delete(ident)
            del self.identities[person_id]

    def put_identity(self, person_id: uuid.UUID, identity: Identity) -> None:
        """Seal a person's identifying data and refresh its blind indexes.

        Raises:
            Invalid: a field is too long, or ``person_id`` is not a person of this case.
        """
        self.entry(person_id, "person")
        check_order(identity, today(), self.vocabulary.known, "identity.")
        row = self._identity_rows.get(person_id)
        if row is None:
            row = CaseIdentity(person_id=person_id, case_id=self.case.id, payload=b"")
            self.session.add(row)
            self._identity_rows[person_id] = row
        indexer = sealing.BlindIndexer(self.keys.blind_index_root, self.case.office_id)
        bits = index_bits(self.session, self.case.office_id)
        row.email_bidx = indexer.index("email", identity.email, bits)
        prefixes = sealing.PrefixIndexer(self.keys.blind_index_root, self.case.office_id)
        for field in sealing.PREFIXES:
            for column, value in prefixes.columns(field, getattr(identity, field), bits).items():
                setattr(row, column, value)
        row.payload = self.cipher.seal(sealing.IDENTITIES, str(person_id), identity)
        self.identities[person_id] = identity

    def conflict(self) -> CaseConflict:
        """Return the conflict error naming who last changed the case and when."""
        name = None
        if self.case.updated_by is not None:
            name = self.session.scalar(
                select(User.display_name).where(User.id == self.case.updated_by)
            )
        return CaseConflict(self.case.updated_by, name, as_utc(self.case.updated_at))

    def check_version(self, version: int) -> None:
        """Raises: CaseConflict when the form's version is not the row's."""
        if self.case.version != version:
            raise self.conflict()

    def save(self, actor: Actor, *, flush: bool = True) -> None:
        """Seal the details, derive the clear columns, rewrite the statistics, flush.

        ``flush=False``: only for the first save of a new case (no version to conflict with):
        its rows stay pending for the caller's next flush, so a bulk loader
        (``intake.bulk``) writes many cases with one INSERT per table instead of one each.

        Raises:
            Invalid: the details break a rule.
            CaseConflict: another transaction changed the case meanwhile.
        """
        if self.reading:
            raise RuntimeError("a case opened for reading cannot be saved")
        if not flush and not self.fresh:
            raise RuntimeError("only a new case's first save may leave the flush to the caller")
        check_order(self.details, today(), self.vocabulary.known, "")
        # One UPDATE per change: no autoflush half-way (each would bump the version).
        with self.session.no_autoflush:
            self._derive(actor)
            if self.before is not None:
                after = self.snapshot()
                history.record(self.session, self.cipher, actor, self.before, after, self.reason)
                self.before = after
        self.fresh = False
        if not flush:
            return
        try:
            self.session.flush()
        except StaleDataError:
            # Fallback only: writers lock the row (service.open_for_write) or, on SQLite,
            # the whole database, so the version check normally catches the conflict first.
            raise CaseConflict(None, None, utcnow()) from None

    def _derive(self, actor: Actor) -> None:
        case = self.case
        case.payload = self.cipher.seal(sealing.CASES, str(case.id), self.details)
        deadlines = [e.data for e in self.of_kind("deadline") if isinstance(e.data, Deadline)]
        due = [d.due_on for d in deadlines if d.open and d.due_on is not None]
        case.next_deadline_on = min(due, default=None)
        follow = [e.data for e in self.of_kind("follow_up") if isinstance(e.data, FollowUp)]
        case.next_follow_up_on = min(
            (f.due_on for f in follow if f.done_on is None and f.due_on is not None), default=None
        )
        contacts = [e.data for e in self.of_kind("contact") if isinstance(e.data, Contact)]
        case.last_contact_on = max((c.on for c in contacts if c.on is not None), default=None)
        case.legal_hold = self.details.legal_hold
        statistics.rewrite(
            self.session,
            office_id=case.office_id,
            opened_on=case.opened_on,
            closed_on=case.closed_on,
            details=self.details,
            entries=[e.data for e in self.entries.values()],
            new=self.fresh,
        )
        case.updated_at = utcnow()
        case.updated_by = actor.user_id
