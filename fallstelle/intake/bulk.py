"""Create a whole case at once — sections, entries and its status history — for import and demo.

Imports SQLAlchemy, ``keyfiles``, ``auth`` and the case room's modules. The same rules and
the same machinery as the one-step services (``cases.service.create_case``, the entry
services of ``cases.entries``, ``change_status``): permission and office checked, every
section validated by ``check_order``, the case number from ``numbers.allocate``, a fresh
case key from ``sealing``, every payload sealed by ``CaseWork``, the statistical record
written by ``CaseWork.save``, and one ``case.create`` audit event per case (its ``reason``
names the source: ``import`` or ``demo``). The difference is cost: one ``CaseWork`` per case
instead of one per entry, so ten thousand demo cases take a minute or two, not an hour.

Like the services it flushes and never commits; on ``Invalid`` the caller rolls back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import FrozenResult, Result
from sqlalchemy.orm import ORMExecuteState, Session

from fallstelle.auth.actor import Actor
from fallstelle.auth.models import Membership, UserRole
from fallstelle.auth.permissions import Permission, Role
from fallstelle.cases import access, entries, numbers, sealing, statistics
from fallstelle.cases.errors import Invalid, NotAllowed
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
    StatusChange,
)
from fallstelle.cases.service import START_STATUSES, TRANSITIONS
from fallstelle.cases.work import CaseWork, check_order
from fallstelle.catalogue import deadlines
from fallstelle.catalogue.models import VocabTerm
from fallstelle.clock import EARLIEST, today
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


def counsellors_of(session: Session, office_id: int) -> set[str]:
    """Return the user ids holding the counsellor role in ``office_id``."""
    return set(
        session.scalars(
            select(Membership.user_id)
            .join(UserRole, UserRole.user_id == Membership.user_id)
            .where(Membership.office_id == office_id, UserRole.role == Role.COUNSELLOR.value)
        )
    )


def reuse_vocabulary(session: Session) -> None:
    """Read each vocabulary query once for the lifetime of ``session`` (a batch of cases).

    Every ``CaseWork`` loads the office's vocabulary (about 340 rows); a batch session that
    creates hundreds of cases would read it hundreds of times. An import or a demo run adds
    no terms, so the first result of each distinct ``vocab_terms`` query (its SQL and its
    bound values, as in SQLAlchemy's dogpile caching example) is kept and replayed. Only
    for sessions that create cases in bulk and change no vocabulary.
    """
    cache: dict[object, FrozenResult[Any]] = {}

    def replay(state: ORMExecuteState) -> Result[Any] | None:
        if not state.is_select or VocabTerm not in {m.class_ for m in state.all_mappers}:
            return None
        statement: Any = state.statement
        cache_key = statement._generate_cache_key()
        if cache_key is None:
            return None
        key = (cache_key.key, tuple(repr(b.effective_value) for b in cache_key.bindparams))
        if key not in cache:
            cache[key] = state.invoke_statement().freeze()
        return cache[key]()

    event.listen(session, "do_orm_execute", replay)


def _check_day(name: str, value: dt.date, not_before: dt.date = EARLIEST) -> None:
    if value < not_before or value > today():
        raise Invalid(name, "date_range")


def deadline_entry(
    spec: DeadlineSpec, rules: list[deadlines.Rule], incidents: list[Incident], prefix: str
) -> Deadline:
    """Compute a deadline as ``entries.add_deadline`` does.

    Raises:
        Invalid: no start date given or derivable (``required``), no rule in force (``no_rule``).
    """
    starts_on = spec.starts_on
    known = [r for r in rules if r.code == spec.rule_code]
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
    rule = deadlines.rule_in_force(rules, spec.rule_code, starts_on)
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
        note=spec.note,
    )


def _apply_steps(work: CaseWork, steps: list[StatusStep], actor: Actor) -> None:
    """Walk the workflow as ``service.change_status`` does, step by step."""
    case = work.case
    for step in steps:
        if step.status not in TRANSITIONS[case.status]:
            raise Invalid("status", "transition")
        _check_day("status_on", step.on, case.opened_on)
        if step.status == "abgeschlossen":
            if step.closure is None:
                raise Invalid("closure.reason", "required")
            check_order(step.closure, today(), work.vocabulary.known, "closure.")
            work.details.closure = step.closure
            case.closed_on = step.on
        elif case.status == "abgeschlossen":
            work.details.closure = None
            case.closed_on = None
        work.details.history.append(
            StatusChange(step.status, step.on, actor.user_id or "", step.closure)
        )
        case.status = step.status


def create_whole_case(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    whole: WholeCase,
    *,
    source: str,
    counsellors: set[str] | None = None,
    rules: list[deadlines.Rule] | None = None,
) -> Case:
    """Open a case with all its sections and entries and walk it to its status.

    ``counsellors`` and ``rules`` may be passed in by a caller creating many cases (they
    are the office's counsellors and the deadline rules, as the services would query them).

    Raises:
        NotAllowed: the actor may not write cases, or not in this office.
        Invalid: a field breaks a rule (``field`` is dotted: ``contact.on``, ``closure.reason``).
    """
    access.require(session, actor, Permission.CASE_WRITE, "case.create")
    if whole.office_id not in actor.office_ids:
        access.audit(session, actor, "case.create", outcome="denied", reason="other_office")
        raise NotAllowed("office")
    if whole.start_status not in START_STATUSES:
        raise Invalid("status", "choice")
    _check_day("opened_on", whole.opened_on)
    if counsellors is None:
        counsellors = counsellors_of(session, whole.office_id)
    lead = whole.lead_counsellor_id or actor.user_id
    if lead not in counsellors:
        raise Invalid("lead_counsellor_id", "choice")
    for contact in whole.contacts:
        contact.counsellor_id = contact.counsellor_id or lead
        if contact.counsellor_id not in counsellors:
            raise Invalid("contact.counsellor_id", "choice")
    for intervention in whole.interventions:
        intervention.counsellor_id = intervention.counsellor_id or lead
    case_id = uuid.uuid4()
    cipher, wrapped = sealing.new_case_key(keys.keyring, case_id)
    details = replace(
        whole.details,
        stat_record_id=statistics.new_record_id(),
        closure=None,
        history=[StatusChange(whole.start_status, whole.opened_on, actor.user_id or "")],
    )
    case = Case(
        id=case_id,
        office_id=whole.office_id,
        case_number="",
        lead_counsellor_id=lead,
        status=whole.start_status,
        opened_on=whole.opened_on,
        dek_wrapped=wrapped,
        dek_kid=keys.keyring.primary.hex(),
        payload=b"",
        co_counsellors=[],
    )
    work = CaseWork(session, case, cipher, details, keys)  # loads the vocabulary: query first
    check_order(details, today(), work.vocabulary.known, "")  # before a number is spent
    case.case_number = numbers.allocate(session, whole.office_id, whole.opened_on.year)
    session.add(case)
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
        known_rules = rules if rules is not None else entries.rules(session)
        for spec in whole.deadlines:
            work.put(deadline_entry(spec, known_rules, whole.incidents, "deadline."))
    _apply_steps(work, whole.steps, actor)
    work.save(actor)
    access.audit(session, actor, "case.create", str(case.id), reason=source)
    return case
