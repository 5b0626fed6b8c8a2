"""Use-cases on the sections of a case: persons, incidents, contacts, interventions,
deadlines, follow-ups and attachment metadata.

Imports SQLAlchemy, ``keyfiles``, ``auth`` and the case room's modules. Same contract as
``cases.service``: explicit session, actor and keys; permission and office checked; the
form's case version checked (a stale one is ``CaseConflict``); one audit event; flush only.
Every change rewrites the statistical record and the clear workflow columns (``CaseWork.save``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.cases import access
from fallstelle.cases.errors import Invalid
from fallstelle.cases.models import Case
from fallstelle.cases.sections import (
    KINDS,
    Contact,
    Deadline,
    Entry,
    FollowUp,
    Identity,
    Incident,
    Intervention,
    Person,
)
from fallstelle.cases.service import open_for_write
from fallstelle.catalogue import deadlines, rule_admin
from fallstelle.keyfiles import KeyMaterial


def _kind(data: Entry) -> str:
    return next(k for k, cls in KINDS.items() if isinstance(data, cls))


def save_entry(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    data: Entry,
    entry_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add a section row (``entry_id`` None) or replace one; return its id.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid.
    """
    kind = _kind(data)
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    reason = f"{kind}_save"
    if isinstance(data, FollowUp) and work.reassigns(data, entry_id):
        data = replace(data, assigned_by_id=actor.user_id or "")
        reason = "follow_up_assign"  # names the case and the kind, never the note
    new_id = work.put(data, entry_id)
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason=reason)
    return new_id


def assign_follow_up(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    entry_id: uuid.UUID,
    assignee_id: str,
) -> None:
    """Give an open follow-up to a counsellor of the case ("übergeben an"); empty gives it
    back to the lead. The web runs it against the current version (like an addition: it
    touches only this follow-up). Audited as ``case.update`` with reason ``follow_up_assign``.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid: ``assignee_id`` is not a counsellor
        of the case (``not_case_counsellor``), or ``entry_id`` is not a follow-up of it.
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    found = work.entry(entry_id, "follow_up").data
    if not isinstance(found, FollowUp):  # pragma: no cover - entry() checked the kind
        raise Invalid("follow_up", "unknown_entry")
    if found.assignee_id == assignee_id:
        return
    work.put(replace(found, assignee_id=assignee_id, assigned_by_id=actor.user_id or ""), entry_id)
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="follow_up_assign")


def save_person(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    person: Person,
    identity: Identity | None,
    person_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add or change a person: pseudonymous attributes and (apart) identifying data.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid.
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    new_id = work.put(person, person_id)
    if identity is not None:
        work.put_identity(new_id, identity)
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="person_save")
    return new_id


def add_incident(
    session: Session, actor: Actor, keys: KeyMaterial, case_id: uuid.UUID, version: int,
    incident: Incident,
) -> uuid.UUID:  # fmt: skip
    """Add an incident with its categories.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid.
    """
    return save_entry(session, actor, keys, case_id, version, incident)


def add_contact(
    session: Session, actor: Actor, keys: KeyMaterial, case_id: uuid.UUID, version: int,
    contact: Contact,
) -> uuid.UUID:  # fmt: skip
    """Log a contact (date, minutes, channel, with whom, note); the actor is the default counsellor.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid.
    """
    if not contact.counsellor_id and actor.user_id:
        contact.counsellor_id = actor.user_id
    return save_entry(session, actor, keys, case_id, version, contact)


def add_intervention(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    intervention: Intervention,
    meets_deadline_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Record an intervention; optionally mark a deadline as met by it (a written claim).

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid (also: unknown deadline).
    """
    if not intervention.counsellor_id and actor.user_id:
        intervention.counsellor_id = actor.user_id
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    new_id = work.put(intervention)
    if meets_deadline_id is not None:
        deadline = work.entry(meets_deadline_id, "deadline").data
        assert isinstance(deadline, Deadline)  # noqa: S101 - entry() checked the kind
        deadline.met_by_intervention_id = str(new_id)
        deadline.met_on = intervention.started_on
        work.put(deadline, meets_deadline_id)
        intervention.deadline_id = str(meets_deadline_id)
        work.put(intervention, new_id)
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="intervention_save")
    return new_id


def compute_deadline(
    rules: Sequence[deadlines.Rule],
    rule_code: str,
    starts_on: dt.date | None,
    incidents: Sequence[Incident],
    note: str = "",
    prefix: str = "",
) -> Deadline:
    """Compute a deadline from the rule in force and the dates entered.

    Without ``starts_on`` the start comes from the last incident's dates (the rule's start
    event, e.g. receipt of the rejection for § 15 (4) AGG).

    Raises:
        Invalid: ``rule_code`` unknown or not in force on the start date (``no_rule``), no
            start date given or derivable (``starts_on``: ``required``); fields get
            ``prefix``.
    """
    known = [r for r in rules if r.code == rule_code]
    if starts_on is None and incidents and known:
        last = incidents[-1]
        starts_on = deadlines.start_from_dates(
            known[-1].start_event,
            knowledge=last.knowledge_date,
            rejection_received=last.rejection_received_on,
            claim_arose=last.date_to or last.date_from,
        )
    if starts_on is None:
        raise Invalid(f"{prefix}starts_on", "required")
    rule = deadlines.rule_in_force(list(rules), rule_code, starts_on)
    if rule is None:
        raise Invalid(f"{prefix}rule_code", "no_rule")
    return Deadline(
        rule_code=rule.code,
        rule_valid_from=rule.valid_from,
        start_event=rule.start_event,
        starts_on=starts_on,
        computed_due_on=deadlines.due_date(
            starts_on, rule.amount, rule.unit, from_year_end=rule.from_year_end
        ),
        note=note,
    )


def add_deadline(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    rule_code: str,
    starts_on: dt.date | None = None,
    note: str = "",
) -> uuid.UUID:
    """Add a deadline computed from the rule in force and the dates entered.

    Without ``starts_on`` the start comes from the case's incident dates (the rule's start
    event, e.g. receipt of the rejection for § 15 (4) AGG).

    Raises:
        NotAllowed, CaseNotFound, CaseConflict.
        Invalid: ``rule_code`` unknown or not in force on the start date (``no_rule``), no
            start date given or derivable (``starts_on``: ``required``).
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    incidents = [e.data for e in work.of_kind("incident") if isinstance(e.data, Incident)]
    deadline = compute_deadline(rule_admin.rules(session), rule_code, starts_on, incidents, note)
    new_id = work.put(deadline)
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="deadline_save")
    return new_id


def override_deadline(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    deadline_id: uuid.UUID,
    due_on: dt.date | None,
    reason: str,
) -> Case:
    """Set (or with ``due_on`` None clear) a counsellor's own due date; a reason is required.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid (``override_reason``: ``required``).
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    deadline = work.entry(deadline_id, "deadline").data
    assert isinstance(deadline, Deadline)  # noqa: S101 - entry() checked the kind
    if due_on is not None and not reason.strip():
        raise Invalid("deadline.override_reason", "required")
    deadline.override_due_on = due_on
    deadline.override_reason = reason.strip() if due_on is not None else ""
    work.put(deadline, deadline_id)
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="deadline_override")
    return work.case
