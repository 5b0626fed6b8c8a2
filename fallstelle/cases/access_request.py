"""The person's right of access (GDPR Art. 15; § 17 KDG; § 19 DSG-EKD): everything a case
stores about one person, as data (JSON) and as a German document (the web layer renders the
PDF), with purposes, recipients, retention and the person's rights (issue 13).

Imports SQLAlchemy, ``auth``, the catalogue and the case room's modules. The export is driven
by the case's schema: every field of every section dataclass (``cases.sections``) is
exported, with a German label from :data:`LABELS`, unless :data:`WITHHELD` names it with the
reason; a test walks the dataclasses and fails on a field in neither. Other persons of the
case (the other side, witnesses) are not exported: their identifying data is theirs (Art.
15 (4)); the person's own attributes and identifying data are. Recording a request adds a
deadline one month after it (Art. 12 (3)), so it shows on the dashboard like every deadline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access, payload, retention
from fallstelle.cases.errors import Invalid
from fallstelle.cases.models import Case
from fallstelle.cases.retention import Periods, Plan
from fallstelle.cases.sections import (
    KINDS,
    CaseDetails,
    Closure,
    Consent,
    Deadline,
    Identity,
    StatusChange,
)
from fallstelle.cases.service import open_for_write
from fallstelle.cases.work import CaseWork
from fallstelle.catalogue import deadlines, rule_admin, vocab
from fallstelle.clock import today
from fallstelle.keyfiles import KeyMaterial

#: The rule code of the deadline a request adds (no catalogue rule: Art. 12 (3) is fixed).
RULE = "dsgvo_art15"

#: German labels of every exported field ("Class.field"); a new field needs one here.
LABELS: dict[str, str] = {
    "CaseDetails.request_type": "Art der Anfrage",
    "CaseDetails.access_route": "Zugangsweg",
    "CaseDetails.initiated_by": "Kontakt aufgenommen durch",
    "CaseDetails.client_goals": "Anliegen",
    "CaseDetails.client_goals_text": "Anliegen (eigene Worte)",
    "CaseDetails.agg_relevance": "Relevanz nach dem AGG",
    "CaseDetails.language": "Sprache",
    "CaseDetails.interpreter": "Sprachmittlung",
    "CaseDetails.power_of_attorney_on": "Vollmacht erteilt am",
    "CaseDetails.narrative": "Schilderung",
    "CaseDetails.legal_hold": "Löschsperre (laufendes Verfahren)",
    "CaseDetails.legal_hold_reason": "Grund der Löschsperre",
    "CaseDetails.legal_hold_review_on": "Löschsperre überprüfen am",
    "CaseDetails.consents": "Einwilligungen",
    "CaseDetails.closure": "Abschluss",
    "CaseDetails.history": "Verlauf des Falls",
    "Consent.kind": "Einwilligung in",
    "Consent.given_on": "Erteilt am",
    "Consent.text_version": "Fassung des Einwilligungstextes",
    "Consent.scope": "Umfang",
    "Consent.withdrawn_on": "Widerrufen am",
    "Closure.reason": "Abschlussgrund",
    "Closure.outcomes": "Erreichte Wirkungen",
    "Closure.counterpart_response": "Reaktion der Gegenseite",
    "Closure.note": "Notiz zum Abschluss",
    "StatusChange.status": "Status",
    "StatusChange.on": "Datum",
    "StatusChange.by": "Berater*in",
    "StatusChange.closure": "Abschluss",
    "Person.role": "Rolle",
    "Person.person_type": "Art der Person",
    "Person.age_band": "Altersgruppe",
    "Person.gender": "Geschlecht",
    "Person.gender_text": "Geschlecht (Selbstbeschreibung)",
    "Person.kreis": "Kreis / kreisfreie Stadt",
    "Identity.first_name": "Vorname",
    "Identity.surname": "Nachname",
    "Identity.phone": "Telefon",
    "Identity.email": "E-Mail",
    "Identity.address": "Anschrift",
    "Identity.note": "Notiz zur Erreichbarkeit",
    "Incident.date_from": "Datum (von)",
    "Incident.date_to": "Datum (bis)",
    "Incident.date_precision": "Genauigkeit des Datums",
    "Incident.knowledge_date": "Kenntnis erlangt am",
    "Incident.rejection_received_on": "Ablehnung erhalten am",
    "Incident.kreis": "Ort (Kreis / kreisfreie Stadt)",
    "Incident.online": "Online",
    "Incident.life_domains": "Lebensbereiche",
    "Incident.grounds": "Diskriminierungsmerkmale",
    "Incident.forms": "Formen der Diskriminierung",
    "Incident.agg_forms": "Rechtliche Form nach § 3 AGG",
    "Incident.levels": "Ebene",
    "Incident.intersectional": "Mehrdimensional",
    "Incident.actor_type": "Verursachende Seite",
    "Incident.actor_institution": "Institution",
    "Incident.witnesses": "Zeug*innen",
    "Incident.evidence": "Beweise / Indizien",
    "Incident.prior_steps": "Bisher unternommene Schritte",
    "Incident.client_account": "Schilderung der ratsuchenden Person",
    "Incident.counsellor_assessment": "Einschätzung der Beratung",
    "Contact.on": "Datum",
    "Contact.minutes": "Dauer (Minuten)",
    "Contact.prep_minutes": "Vor- und Nachbereitung (Minuten)",
    "Contact.channel": "Weg",
    "Contact.counterpart": "Mit wem",
    "Contact.counsellor_id": "Berater*in",
    "Contact.interpreter": "Sprachmittlung",
    "Contact.note": "Notiz",
    "Intervention.code": "Intervention",
    "Intervention.started_on": "Begonnen am",
    "Intervention.completed_on": "Abgeschlossen am",
    "Intervention.counsellor_id": "Berater*in",
    "Intervention.result": "Ergebnis",
    "Intervention.note": "Notiz",
    "Deadline.rule_code": "Frist",
    "Deadline.rule_valid_from": "Fassung der Fristregel vom",
    "Deadline.start_event": "Fristbeginn durch",
    "Deadline.starts_on": "Beginnt am",
    "Deadline.computed_due_on": "Berechnetes Fristende",
    "Deadline.override_due_on": "Eigenes Fristende",
    "Deadline.override_reason": "Grund für das eigene Fristende",
    "Deadline.met_on": "Gewahrt am",
    "Deadline.note": "Notiz",
    "FollowUp.due_on": "Wiedervorlage am",
    "FollowUp.note": "Notiz",
    "FollowUp.done_on": "Erledigt am",
    "FollowUp.assignee_id": "Zuständig (Berater*in)",
    "FollowUp.assigned_by_id": "Übergeben von",
    "Attachment.filename": "Dateiname",
    "Attachment.media_type": "Dateiart",
    "Attachment.size": "Größe (Byte)",
    "Attachment.uploaded_on": "Hochgeladen am",
}

#: Fields not exported, with the reason (internal links and server names, not data about
#: the person).
WITHHELD: dict[str, str] = {
    "CaseDetails.stat_record_id": "random link to the anonymous statistical record",
    "Intervention.deadline_id": "internal link between entries",
    "Deadline.met_by_intervention_id": "internal link between entries",
    "Attachment.file_id": "server file name",
    "Attachment.sha256": "checksum of the file",
}

SECTION_TITLES = {
    "details": "Angaben zum Fall",
    "person": "Angaben zu Ihrer Person",
    "identity": "Ihre Kontaktdaten",
    "incident": "Vorfall",
    "contact": "Kontakte",
    "intervention": "Interventionen",
    "deadline": "Fristen",
    "follow_up": "Wiedervorlagen",
    "attachment": "Dokumente",
}

_BOOL = {True: "ja", False: "nein"}


@dataclass
class Item:
    field: str
    label: str
    value: Any  # JSON value
    text: str  # German, for the document


@dataclass
class Section:
    kind: str
    title: str
    entries: list[list[Item]] = field(default_factory=list)


@dataclass
class AccessExport:
    """What is stored about one person of a case, and what the person must be told."""

    case_number: str
    office_id: int
    created_on: dt.date
    opened_on: dt.date
    closed_on: dt.date | None
    sections: list[Section]
    retention: Plan
    periods: Periods

    def as_json(self) -> dict[str, Any]:
        return {
            "case_number": self.case_number,
            "created_on": self.created_on.isoformat(),
            "opened_on": self.opened_on.isoformat(),
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
            "sections": {
                s.kind: [{i.field: i.value for i in entry} for entry in s.entries]
                for s in self.sections
            },
            "retention": {
                "identifying_data_removed_on": _iso(self.retention.identifying_on),
                "case_file_deleted_on": _iso(self.retention.case_on),
                "legal_hold": self.retention.legal_hold,
                "identifying_months": self.periods.identifying_months,
                "case_years": self.periods.case_years,
            },
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f"{type(value).__name__}.{f.name}" not in WITHHELD}  # fmt: skip
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Texts:
    def __init__(
        self, words: vocab.Vocabulary, names: dict[str, str], rules: dict[str, str] | None = None
    ) -> None:
        self.words, self.names, self.rules = words, names, rules or {}

    def text(self, meta: Any, name: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "–"
        if isinstance(value, bool):
            return _BOOL[value]
        if isinstance(value, dt.date):
            return value.strftime("%d.%m.%Y")
        if name.endswith("counsellor_id") or name in ("by", "assignee_id", "assigned_by_id"):
            return self.names.get(str(value), "Berater*in")
        if name == "rule_code":
            return self.rules.get(str(value), str(value))
        if name == "start_event":
            return deadlines.START_EVENTS.get(str(value), str(value))
        vocabulary = meta.get("vocab")
        if isinstance(value, list):
            return "; ".join(self.text(meta, name, v) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return ", ".join(
                f"{i.label}: {i.text}" for i in self.items(value) if i.text != "–"
            )
        if vocabulary:
            return self.words.label(vocabulary, str(value), "de")
        return str(value)

    def items(self, obj: object) -> list[Item]:
        out = []
        for f in dataclasses.fields(obj):  # type: ignore[arg-type]
            key = f"{type(obj).__name__}.{f.name}"
            if key in WITHHELD:
                continue
            value = getattr(obj, f.name)
            out.append(Item(f.name, LABELS.get(key, f.name), _json(value),
                            self.text(f.metadata, f.name, value)))  # fmt: skip
        return out


def build(
    work: CaseWork,
    person_id: uuid.UUID,
    names: dict[str, str],
    periods: retention.Periods,
    rules: dict[str, str] | None = None,
) -> AccessExport:
    """Collect what the case stores about one of its persons (``rules``: deadline rule
    code → its name).

    Raises:
        Invalid: ``person_id`` is not a person of this case.
    """
    person = work.entry(person_id, "person").data
    texts = _Texts(work.vocabulary, names, rules)
    sections = [Section("details", SECTION_TITLES["details"], [texts.items(work.details)])]
    sections.append(Section("person", SECTION_TITLES["person"], [texts.items(person)]))
    identity = work.identities.get(person_id)
    if identity is not None:
        sections.append(Section("identity", SECTION_TITLES["identity"], [texts.items(identity)]))
    for kind in KINDS:
        if kind == "person":
            continue  # other persons' data is theirs
        rows = [texts.items(e.data) for e in work.of_kind(kind)]
        if rows:
            sections.append(Section(kind, SECTION_TITLES[kind], rows))
    case: Case = work.case
    return AccessExport(
        case_number=case.case_number, office_id=case.office_id, created_on=today(),
        opened_on=case.opened_on, closed_on=case.closed_on, sections=sections,
        retention=retention.plan(case, periods), periods=periods,
    )  # fmt: skip


def export(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    names: dict[str, str],
) -> AccessExport:
    """Return the access export for one person of a case; the export is audited.

    Raises:
        NotAllowed, CaseNotFound: see ``access.require_case``.
        Invalid: not a person of this case.
    """
    case = access.require_case(session, actor, Permission.CASE_READ, case_id, "case.access_export")
    work = CaseWork.open(session, case, keys)
    rules = deadlines.rule_names(rule_admin.rules(session))
    found = build(work, person_id, names, retention.periods_of(session, case.office_id), rules)
    access.audit(session, actor, "case.access_export", str(case_id))
    return found


def record_request(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    received_on: dt.date,
) -> uuid.UUID:
    """Record an access request: a deadline one month after it was received.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid (a date in the future or before the
        case was opened).
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    if received_on > today() or received_on < work.case.opened_on:
        raise Invalid("received_on", "date_range")
    due = retention.add_months(received_on, 1)
    deadline_id = work.put(Deadline(
        rule_code=RULE, start_event="antrag_eingang", starts_on=received_on,
        computed_due_on=due, note="Auskunftsersuchen (Art. 15 DSGVO)",
    ))  # fmt: skip
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="access_request")
    return deadline_id


#: Every section dataclass an export walks (the test checks each field of each).
SCHEMA: tuple[type, ...] = (CaseDetails, Consent, Closure, StatusChange, Identity,
                            *KINDS.values())  # fmt: skip


#: The section class of each history section (``cases.history``).
SECTION_CLASSES: dict[str, type] = {
    "details": CaseDetails, "identity": Identity, "consent": Consent, **KINDS,
}  # fmt: skip


def describe(
    section: str, values: dict[str, Any], words: vocab.Vocabulary, names: dict[str, str],
    rules: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """German label and readable value of each field in ``values`` (a history row's before
    or after; ``rules``: deadline rule code → its name); a value that no longer fits the
    schema is shown as stored."""
    cls = SECTION_CLASSES.get(section)
    if cls is None:
        return [(k, str(v)) for k, v in values.items()]
    try:
        obj: object = payload.from_dict(cls, values)
    except Invalid:
        return [(k, str(v)) for k, v in values.items()]
    shown = {i.field: i for i in _Texts(words, names, rules).items(obj)}
    return [(shown[k].label, shown[k].text) for k in values if k in shown]
