"""The encrypted sections of a case as typed dataclasses (reference/domain.md §2.2–2.9).

Imports ``cases.payload`` and the standard library. Each dataclass is the plaintext of one
encrypted payload: :class:`CaseDetails` of the ``cases`` row, the others of one
``case_entries`` row each (``KINDS`` maps the entry kind to its class), and
:class:`Identity` of a ``case_identities`` row. Field names follow the reference's ids;
vocabulary names are those of ``cases.vocab_seed``.
"""

# ruff: noqa: RUF009 - the defaults are dataclasses.field() made by cases.payload's helpers

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fallstelle.cases import payload
from fallstelle.cases.payload import LONG, code, codes, day, number, text


@dataclass
class Consent:
    """What the person agreed to, when, under which text version; and a withdrawal."""

    kind: str | None = code("einwilligung", required=True)
    given_on: dt.date | None = day(required=True)
    text_version: str = text(40)
    scope: str = text()
    withdrawn_on: dt.date | None = day()


@dataclass
class Closure:
    """The outcome recorded when a case is closed (§2.7); reason and effects required."""

    reason: str | None = code("abschlussgrund", required=True)
    outcomes: list[str] = field(
        default_factory=list, metadata={"vocab": "wirkung", "required": True}
    )
    counterpart_response: str | None = code("reaktion")
    note: str = text(LONG)


@dataclass
class StatusChange:
    """One step of the workflow, kept so that reopening never loses the history."""

    status: str = ""
    on: dt.date | None = None
    by: str = ""
    closure: Closure | None = None


@dataclass
class CaseDetails:
    """The case's own sections (payload of the ``cases`` row)."""

    request_type: str | None = code("anfrage", required=True)
    access_route: str | None = code("zugangsweg")
    initiated_by: str | None = code("kontakt_durch")
    client_goals: list[str] = codes("anliegen")
    client_goals_text: str = text(LONG)
    agg_relevance: str | None = code("agg_relevanz")
    language: str = text(16)
    interpreter: str | None = code("sprachmittlung")
    power_of_attorney_on: dt.date | None = day()
    narrative: str = text(LONG)
    legal_hold: bool = False
    legal_hold_reason: str = text(1000)
    legal_hold_review_on: dt.date | None = day(future=True)
    consents: list[Consent] = field(default_factory=list)
    closure: Closure | None = None
    history: list[StatusChange] = field(default_factory=list)
    #: The random id of this case's statistical record: the only link between the two.
    stat_record_id: str = ""

    def statistics_withdrawn(self) -> bool:
        """Whether the person withdrew consent to anonymised statistics."""
        return any(c.kind == "statistik" and c.withdrawn_on for c in self.consents)


@dataclass
class Person:
    """Pseudonymous attributes of a person in the case (never a birth date)."""

    role: str | None = code("rolle", required=True)
    person_type: str | None = code("personenart")
    age_band: str | None = code("altersgruppe")
    gender: str | None = code("geschlecht")
    gender_text: str = text(100)  # self-description: never in statistics
    kreis: str | None = code("kreis")


@dataclass
class Identity:
    """Identifying data of a person: deleted early, searchable by blind index only."""

    first_name: str = text(100)
    surname: str = text(100)
    phone: str = text(40)
    email: str = text(200)
    address: str = text(500)
    note: str = text(2000)


@dataclass
class Incident:
    """One incident with its categories (§2.4)."""

    date_from: dt.date | None = day()
    date_to: dt.date | None = day()
    date_precision: str | None = code("datumsgenauigkeit")
    knowledge_date: dt.date | None = day()
    rejection_received_on: dt.date | None = day()
    kreis: str | None = code("kreis")
    online: bool = False
    life_domains: list[str] = codes("lebensbereich")
    grounds: list[str] = codes("merkmal")
    forms: list[str] = codes("form")
    agg_forms: list[str] = codes("agg_form")
    levels: list[str] = codes("ebene")
    intersectional: bool = False
    actor_type: str | None = code("akteur")
    actor_institution: str = text()
    witnesses: str | None = code("zeug_innen")
    evidence: list[str] = codes("beweise")
    prior_steps: str = text(LONG)
    client_account: str = text(LONG)
    counsellor_assessment: str = text(LONG)


@dataclass
class Contact:
    """One contact or session (§2.5)."""

    on: dt.date | None = day(required=True)
    minutes: int = number(24 * 60)
    prep_minutes: int = number(24 * 60)
    channel: str | None = code("kontakt_kanal", required=True)
    counterpart: str | None = code("kontakt_mit")
    counsellor_id: str = text(36)
    interpreter: str | None = code("sprachmittlung")
    note: str = text(LONG)


@dataclass
class Intervention:
    """One intervention, two-level code, dated, with its result (§2.6)."""

    code: str | None = payload.code("intervention", required=True)
    started_on: dt.date | None = day(required=True)
    completed_on: dt.date | None = day()
    counsellor_id: str = text(36)
    result: str | None = payload.code("intervention_ergebnis")
    deadline_id: str = text(36)
    note: str = text(LONG)


@dataclass
class Deadline:
    """A legal deadline computed from a rule; overridable with a reason (§2.9)."""

    rule_code: str = text(40)
    rule_valid_from: dt.date | None = None
    start_event: str = text(40)
    starts_on: dt.date | None = day(required=True)
    computed_due_on: dt.date | None = day(future=True)
    override_due_on: dt.date | None = day(future=True)
    override_reason: str = text(1000)
    met_by_intervention_id: str = text(36)
    met_on: dt.date | None = day()
    note: str = text(2000)

    @property
    def due_on(self) -> dt.date | None:
        """The date that counts: the override if there is one, else the computed date."""
        return self.override_due_on or self.computed_due_on

    @property
    def open(self) -> bool:
        return not self.met_by_intervention_id and self.met_on is None


@dataclass
class FollowUp:
    """A Wiedervorlage: look at the case again on ``due_on``.

    ``assignee_id``: the counsellor of the case (lead or co-counsellor) whose task list shows
    it; empty means the case's lead. ``assigned_by_id``: who gave it to them (issue 14). Both
    live in the encrypted payload, so assigning needs no schema change; the service
    (``cases.entries.save_follow_up``) checks the assignee is a counsellor of the case.
    """

    due_on: dt.date | None = day(future=True, required=True)
    note: str = text(2000)
    done_on: dt.date | None = day()
    assignee_id: str = text(36)
    assigned_by_id: str = text(36)


@dataclass
class Attachment:
    """Metadata of an encrypted file in the data directory (the file has a server name)."""

    file_id: str = text(64)
    filename: str = text(200)
    media_type: str = text(100)
    size: int = number(2**31)
    sha256: str = text(64)
    uploaded_on: dt.date | None = day()


Entry = Person | Incident | Contact | Intervention | Deadline | FollowUp | Attachment

KINDS: dict[str, type[Entry]] = {
    "person": Person,
    "incident": Incident,
    "contact": Contact,
    "intervention": Intervention,
    "deadline": Deadline,
    "follow_up": FollowUp,
    "attachment": Attachment,
}
