"""Use-cases of a case as a whole: create, read, edit the details, move through the workflow.

Imports SQLAlchemy, ``keyfiles``, ``audit``, ``auth`` and the case room's modules (sections
of a case — persons, contacts, interventions, deadlines — are in ``cases.entries``; lists,
search and the dashboard in ``cases.queries``). Every function takes an explicit session,
actor and the installation's keys, checks the permission and the office (``cases.access``),
records its audit event and flushes; the caller commits. When a function refuses with
``NotAllowed`` or ``CaseNotFound`` the session holds only the refusal's audit event: commit
it (the web layer does, ``guard.audit_denied``). On ``Invalid`` or ``CaseConflict`` roll back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.auth.models import Membership, UserRole
from fallstelle.auth.permissions import Permission, Role
from fallstelle.cases import access, numbers, sealing, statistics
from fallstelle.cases.errors import Invalid, NotAllowed
from fallstelle.cases.models import STATUSES, Case, CaseCounsellor
from fallstelle.cases.sections import (
    CaseDetails,
    Closure,
    Identity,
    Incident,
    Person,
    StatusChange,
)
from fallstelle.cases.work import CaseWork, EntryView, check_order
from fallstelle.clock import EARLIEST, today
from fallstelle.keyfiles import KeyMaterial

#: The workflow of reference/domain.md §2.10 (anfrage → in_beratung → intervention_laufend →
#: ruhend → abgeschlossen → wiederaufgenommen); closing needs reason and outcome.
TRANSITIONS: dict[str, frozenset[str]] = {
    "anfrage": frozenset({"in_beratung", "abgeschlossen"}),
    "in_beratung": frozenset({"intervention_laufend", "ruhend", "abgeschlossen"}),
    "intervention_laufend": frozenset({"in_beratung", "ruhend", "abgeschlossen"}),
    "ruhend": frozenset({"in_beratung", "intervention_laufend", "abgeschlossen"}),
    "abgeschlossen": frozenset({"wiederaufgenommen"}),
    "wiederaufgenommen": frozenset(
        {"in_beratung", "intervention_laufend", "ruhend", "abgeschlossen"}
    ),
}
START_STATUSES = ("anfrage", "in_beratung")


@dataclass
class NewCase:
    """The short form: what a counsellor knows after a first phone call."""

    office_id: int
    opened_on: dt.date
    details: CaseDetails
    status: str = "in_beratung"
    lead_counsellor_id: str | None = None
    co_counsellor_ids: list[str] = field(default_factory=list)
    person: Person | None = None
    identity: Identity | None = None
    incident: Incident | None = None


@dataclass
class CaseView:
    """A decrypted case: the clear row plus every section (see ``CaseWork``)."""

    case: Case
    details: CaseDetails
    entries: list[EntryView]
    identities: dict[uuid.UUID, Identity]

    def of_kind(self, kind: str) -> list[EntryView]:
        return [e for e in self.entries if e.kind == kind]


def check_day(name: str, value: dt.date, not_before: dt.date = EARLIEST) -> None:
    """Refuse a date before ``not_before`` or in the future.

    Raises:
        Invalid: ``name`` with ``date_range``.
    """
    if value < not_before or value > today():
        raise Invalid(name, "date_range")


def counsellors_of(session: Session, office_id: int) -> set[str]:
    """Return the user ids holding the counsellor role in ``office_id``."""
    return set(
        session.scalars(
            select(Membership.user_id)
            .join(UserRole, UserRole.user_id == Membership.user_id)
            .where(Membership.office_id == office_id, UserRole.role == Role.COUNSELLOR.value)
        )
    )


def start_case(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    new: NewCase,
    *,
    counsellors: set[str] | None = None,
) -> CaseWork:
    """Check a new case, create its key and number, and return it open for its sections.

    The one way a case comes into being (the page's short form, the import, the demo):
    permission and office, start status, opening date, counsellors of the office, the
    details' codes — all checked before a case number is spent. The caller adds sections,
    calls ``work.save`` and records ``case.create``. ``counsellors`` may be passed in by a
    caller creating many cases of one office.

    Raises:
        NotAllowed: the actor may not write cases, or not in this office.
        Invalid: a field breaks a rule (unknown code, date out of range, unknown counsellor).
    """
    access.require(session, actor, Permission.CASE_WRITE, "case.create")
    if new.office_id not in actor.office_ids:
        access.audit(session, actor, "case.create", outcome="denied", reason="other_office")
        raise NotAllowed("office")
    if new.status not in START_STATUSES:
        raise Invalid("status", "choice")
    check_day("opened_on", new.opened_on)
    if counsellors is None:
        counsellors = counsellors_of(session, new.office_id)
    lead = new.lead_counsellor_id or actor.user_id
    if lead not in counsellors:
        raise Invalid("lead_counsellor_id", "choice")
    co = sorted(set(new.co_counsellor_ids) - {lead})
    if not set(co) <= counsellors:
        raise Invalid("co_counsellor_ids", "choice")
    details = replace(
        new.details,
        stat_record_id=statistics.new_record_id(),
        closure=None,
        history=[StatusChange(new.status, new.opened_on, actor.user_id or "")],
    )
    case = Case(
        id=uuid.uuid4(),
        office_id=new.office_id,
        case_number="",
        lead_counsellor_id=lead,
        status=new.status,
        opened_on=new.opened_on,
        dek_version=1,
        payload=b"",
        co_counsellors=[CaseCounsellor(user_id=u) for u in co],
    )
    cipher = sealing.new_case_key(keys.keyring, case)  # bound to office and counsellors
    work = CaseWork(session, case, cipher, details, keys, fresh=True)
    check_order(details, today(), work.vocabulary.known, "")  # before a number is spent
    case.case_number = numbers.allocate(session, new.office_id, new.opened_on.year)
    session.add(case)
    return work


def create_case(session: Session, actor: Actor, keys: KeyMaterial, new: NewCase) -> Case:
    """Open a case: allocate its number, create its key, seal it, write its statistics.

    Raises:
        NotAllowed: the actor may not write cases, or not in this office.
        Invalid: a field breaks a rule (unknown code, date out of range, unknown counsellor).
    """
    work = start_case(session, actor, keys, new)
    if new.person is not None:
        person_id = work.put(new.person)
        if new.identity is not None:
            work.put_identity(person_id, new.identity)
    if new.incident is not None:
        work.put(new.incident)
    work.save(actor)
    access.audit(session, actor, "case.create", str(work.case.id))
    return work.case


def get_case(session: Session, actor: Actor, keys: KeyMaterial, case_id: uuid.UUID) -> CaseView:
    """Decrypt a case for display and record the read (ARCHITECTURE.md, data flow 2).

    Raises:
        NotAllowed: the actor may not read cases.
        CaseNotFound: no such case, or not visible to the actor.
    """
    case = access.require_case(
        session, actor, Permission.CASE_READ, case_id, "case.read", reading=True
    )
    # A read: plain rows, no copy of the sections for the change history.
    work = CaseWork.open_for(session, actor, case, keys, "case.read", reading=True)
    access.audit(session, actor, "case.read", str(case.id))
    return CaseView(case, work.details, list(work.entries.values()), dict(work.identities))


_OPENED = "fallstelle.cases.opened"


def lock_and_open(
    session: Session, actor: Actor, keys: KeyMaterial, case_id: uuid.UUID, action: str
) -> CaseWork:
    """Check ``case:write`` and the office, lock the case row and decrypt the case.

    Raises:
        NotAllowed, CaseNotFound: see ``access.require_case``.
    """
    case = access.require_case(session, actor, Permission.CASE_WRITE, case_id, action)
    # FOR UPDATE (PostgreSQL): a second writer waits here and then sees the new version, so
    # a stale form becomes a clean CaseConflict before anything is written. The lock is taken
    # on the row alone: a case read earlier in this session carries its co-counsellors joined
    # in, and PostgreSQL refuses FOR UPDATE over the nullable side of that outer join.
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    session.refresh(case)
    return CaseWork.open_for(session, actor, case, keys, action)


def hand_over(session: Session, work: CaseWork) -> None:
    """Keep an opened case for the next :func:`open_for_write` of this session (once)."""
    session.info[(_OPENED, work.case.id)] = work


def open_for_write(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    action: str,
) -> CaseWork:
    """Lock the case row, check the form's version and decrypt the case for a change.

    A case the request already opened (``cases.page.open_for_change``) is taken as it is:
    checked, locked and decrypted once per request.

    Raises:
        NotAllowed, CaseNotFound: see ``access.require_case``.
        CaseConflict: the case changed since the form was loaded.
    """
    work = session.info.pop((_OPENED, case_id), None)
    if not isinstance(work, CaseWork):
        work = lock_and_open(session, actor, keys, case_id, action)
    work.check_version(version)
    return work


def update_details(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    details: CaseDetails,
) -> Case:
    """Replace the case's own sections (request, goals, narrative, consents, legal hold).

    The statistical link, the workflow history and the closure are not the form's to set.
    Withdrawing consent to statistics deletes the statistical record.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid.
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    work.details = replace(
        details,
        stat_record_id=work.details.stat_record_id,
        history=work.details.history,
        closure=work.details.closure,
    )
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="details")
    return work.case


def set_counsellors(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    lead_id: str,
    co: dict[str, int],
) -> Case:
    """Set the lead counsellor and the co-counsellors with their shares (percent).

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid (not a counsellor of the office,
        a share outside 0–100).
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    counsellors = counsellors_of(session, work.case.office_id)
    if lead_id not in counsellors:
        raise Invalid("lead_counsellor_id", "choice")
    co = {u: s for u, s in co.items() if u != lead_id}
    if not set(co) <= counsellors:
        raise Invalid("co_counsellor_ids", "choice")
    if any(not 0 <= s <= 100 for s in co.values()):
        raise Invalid("share", "range")
    before = sealing.binding_of(work.case)
    work.case.lead_counsellor_id = lead_id
    work.case.co_counsellors = [CaseCounsellor(user_id=u, share=s) for u, s in sorted(co.items())]
    sealing.rebind(keys.keyring, work.case, before)  # the hand-over re-wraps the key
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="counsellors")
    return work.case


def change_status(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    status: str,
    on: dt.date,
    closure: Closure | None = None,
) -> Case:
    """Move the case along the workflow; closing records reason and outcome.

    Reopening clears the closing date but keeps the closure in the history.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict.
        Invalid: ``status`` is not reachable from the current one (``transition``), a
            closure without reason or outcome (``closure.reason`` / ``closure.outcomes``:
            ``required``), a date before the opening or in the future.
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.status")
    apply_status(work, actor, status, on, closure)
    work.save(actor)
    access.audit(session, actor, "case.status", str(case_id), reason=status)
    return work.case


def apply_status(
    work: CaseWork,
    actor: Actor,
    status: str,
    on: dt.date,
    closure: Closure | None = None,
    *,
    day_field: str = "on",
) -> None:
    """Move an open case one step along the workflow (in memory; the caller saves).

    Raises:
        Invalid: see :func:`change_status`; the date's field is named ``day_field``.
    """
    case = work.case
    if status not in STATUSES or status not in TRANSITIONS[case.status]:
        raise Invalid("status", "transition")
    check_day(day_field, on, case.opened_on)
    if status == "abgeschlossen":
        if closure is None:
            raise Invalid("closure.reason", "required")
        check_order(closure, today(), work.vocabulary.known, "closure.")
        work.details.closure = closure
        case.closed_on = on
    elif case.status == "abgeschlossen":
        work.details.closure = None
        case.closed_on = None
    work.details.history.append(StatusChange(status, on, actor.user_id or "", closure))
    case.status = status
