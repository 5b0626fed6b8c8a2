"""Create a whole case at once — sections, entries and its status history — for import and demo.

Imports SQLAlchemy, ``keyfiles``, ``auth``, the catalogue and the case room's services. No
rule of its own: the case is begun by ``cases.service.start_case`` (permission, office,
dates, counsellors, codes, number, key — as on the page), its deadlines computed by
``cases.entries.compute_deadline``, its workflow walked by ``cases.service.apply_status``;
``CaseWork`` seals every payload and ``CaseWork.save`` writes the statistical record, and one
``case.create`` audit event per case names the source (``import`` or ``demo``). The
difference is cost: one ``CaseWork`` per case instead of one per entry, and the catalogue
read once per process (``catalogue.cache``); the demo also leaves each case's flush to its
batch (``flush=False``), so 100,000 demo cases take about ten minutes on PostgreSQL.

Like the services it flushes and never commits; on ``Invalid`` the caller rolls back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.cases import access, entries, service
from fallstelle.cases.errors import Invalid
from fallstelle.cases.models import Case
from fallstelle.cases.sections import (
    CaseDetails,
    Closure,
    Contact,
    Deadline,
    Entry,
    FollowUp,
    Identity,
    Incident,
    Intervention,
    Person,
)
from fallstelle.cases.service import NewCase
from fallstelle.catalogue import deadlines, rule_admin
from fallstelle.keyfiles import KeyMaterial


@dataclass
class DeadlineSpec:
    """A deadline to compute from a rule (``starts_on`` None: from the incident dates)."""

    rule_code: str
    starts_on: dt.date | None = None
    note: str = ""


@dataclass
class StatusStep:
    """One step of the workflow after the opening; closing carries the closure."""

    status: str
    on: dt.date
    closure: Closure | None = None


@dataclass
class WholeCase:
    """Everything one case holds, as the import file or the demo generator describes it."""

    office_id: int
    opened_on: dt.date
    details: CaseDetails
    start_status: str = "in_beratung"
    lead_counsellor_id: str | None = None
    persons: list[tuple[Person, Identity | None]] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    deadlines: list[DeadlineSpec] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    steps: list[StatusStep] = field(default_factory=list)


def deadline_entry(
    spec: DeadlineSpec, rules: Sequence[deadlines.Rule], incidents: list[Incident], prefix: str
) -> Deadline:
    """Compute a deadline as ``entries.add_deadline`` does.

    Raises:
        Invalid: no start date given or derivable (``required``), no rule in force (``no_rule``).
    """
    return entries.compute_deadline(
        rules, spec.rule_code, spec.starts_on, incidents, spec.note, prefix
    )


def create_whole_case(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    whole: WholeCase,
    *,
    source: str,
    counsellors: set[str] | None = None,
    rules: Sequence[deadlines.Rule] | None = None,
    flush: bool = True,
) -> Case:
    """Open a case with all its sections and entries and walk it to its status.

    ``counsellors`` and ``rules`` may be passed in by a caller creating many cases (they
    are the office's counsellors and the deadline rules, as the services would query them).
    ``flush=False`` leaves the new rows pending for the caller's next flush (``CaseWork.save``):
    a caller creating many cases flushes them together, one INSERT per table for all.

    Raises:
        NotAllowed: the actor may not write cases, or not in this office.
        Invalid: a field breaks a rule (``field`` is dotted: ``contact.on``, ``closure.reason``).
    """
    start = NewCase(
        office_id=whole.office_id,
        opened_on=whole.opened_on,
        details=whole.details,
        status=whole.start_status,
        lead_counsellor_id=whole.lead_counsellor_id,
    )
    work = service.start_case(session, actor, keys, start, counsellors=counsellors)
    lead = work.case.lead_counsellor_id
    if counsellors is None:
        counsellors = service.counsellors_of(session, whole.office_id)
    for contact in whole.contacts:
        contact.counsellor_id = contact.counsellor_id or lead
        if contact.counsellor_id not in counsellors:
            raise Invalid("contact.counsellor_id", "choice")
    for intervention in whole.interventions:
        intervention.counsellor_id = intervention.counsellor_id or lead
    for person, identity in whole.persons:
        person_id = work.put(person)
        if identity is not None:
            work.put_identity(person_id, identity)
    for incident in whole.incidents:
        work.put(incident)
    sections: list[Entry] = [*whole.contacts, *whole.interventions, *whole.follow_ups]
    for entry in sections:
        work.put(entry)
    if whole.deadlines:
        known_rules = rules if rules is not None else rule_admin.rules(session)
        for spec in whole.deadlines:
            work.put(deadline_entry(spec, known_rules, whole.incidents, "deadline."))
    for step in whole.steps:
        service.apply_status(
            work, actor, step.status, step.on, step.closure, day_field="status_on"
        )
    work.save(actor, flush=flush)
    access.audit(session, actor, "case.create", str(work.case.id), reason=source)
    return work.case
