"""Rewrite a case's statistical record from its decrypted sections (ARCHITECTURE.md).

Imports SQLAlchemy, the case models, ``cases.sections`` and ``cases.stat_counts``. Called by
``cases.work`` in the same transaction as every change of a case. Only coarse values go in:
quarters, not dates; age band, gender category (never the self-description), Kreis, codes;
counts and minutes.
No narrative, no institution, no free text. When the person withdrew consent to statistics
the record is deleted; a case deleted at the end of retention leaves its record in place
(there is no foreign key that could cascade). Every rewrite moves the pre-counted facts
(:mod:`fallstelle.cases.stat_counts`) from the record's old values to its new ones.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from fallstelle.cases import stat_counts
from fallstelle.cases.models import StatisticalCode, StatisticalRecord
from fallstelle.cases.sections import CaseDetails, Contact, Incident, Intervention, Person

AFFECTED = ("betroffen_ratsuchend", "betroffen_nicht_ratsuchend")


def quarter(day: dt.date) -> str:
    """Return ``YYYY-Qn`` of a date: the finest time the record holds."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def new_record_id() -> str:
    """Return a random record id (uuid4): nothing about the case can be read from it."""
    return str(uuid.uuid4())


def _with_level_one(codes: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for code in codes:
        out.add(code)
        out.add(code.split(".", 1)[0])
    return out


def _main_person(persons: list[Person]) -> Person | None:
    for person in persons:
        if person.role in AFFECTED:
            return person
    return persons[0] if persons else None


def drop(session: Session, record_id: str) -> None:
    """Delete a statistical record and take it out of the counts (a case opened by mistake
    never happened, so it must not be counted either)."""
    record = session.get(StatisticalRecord, record_id)
    if record is not None:
        before = stat_counts.snapshot(record)
        session.delete(record)
        stat_counts.change(session, before, None)


def rewrite(
    session: Session,
    *,
    office_id: int,
    opened_on: dt.date,
    closed_on: dt.date | None,
    details: CaseDetails,
    entries: list[object],
    new: bool = False,
) -> None:
    """Write (or delete, after a withdrawal of consent) the record ``details`` links to.

    ``new``: the case was just begun, so its record (a fresh random id) cannot exist yet and
    is not looked up (one SELECT less per created case).
    """
    record = None if new else session.get(StatisticalRecord, details.stat_record_id)
    before = stat_counts.snapshot(record) if record is not None else None
    if details.statistics_withdrawn():
        if record is not None:
            session.delete(record)
            stat_counts.change(session, before, None)
        return
    if record is None:
        record = StatisticalRecord(id=details.stat_record_id, office_id=office_id)
        session.add(record)
    persons = [e for e in entries if isinstance(e, Person)]
    incidents = [e for e in entries if isinstance(e, Incident)]
    contacts = [e for e in entries if isinstance(e, Contact)]
    interventions = [e for e in entries if isinstance(e, Intervention)]
    person = _main_person(persons)
    kreis = next((i.kreis for i in incidents if i.kreis), None)
    record.office_id = office_id
    record.opened_quarter = quarter(opened_on)
    record.closed_quarter = quarter(closed_on) if closed_on else None
    record.request_type = details.request_type
    record.access_route = details.access_route
    record.agg_relevance = details.agg_relevance
    record.age_band = person.age_band if person else None
    record.gender = person.gender if person else None
    record.kreis = kreis or (person.kreis if person else None)
    closure = details.closure if closed_on else None
    record.closure_reason = closure.reason if closure else None
    record.counterpart_response = closure.counterpart_response if closure else None
    record.contact_count = len(contacts)
    record.minutes = sum(c.minutes + c.prep_minutes for c in contacts)
    wanted: set[tuple[str, str]] = set()
    for dimension, values in (
        ("merkmal", _with_level_one(g for i in incidents for g in i.grounds)),
        ("lebensbereich", _with_level_one(d for i in incidents for d in i.life_domains)),
        ("form", {f for i in incidents for f in i.forms}),
        ("akteur", {i.actor_type for i in incidents if i.actor_type}),
        ("intervention", _with_level_one(v.code for v in interventions if v.code)),
        ("kontakt_kanal", {c.channel for c in contacts if c.channel}),
        ("wirkung", set(closure.outcomes) if closure else set()),
    ):
        wanted |= {(dimension, value) for value in values}
    have = {(c.dimension, c.code): c for c in record.codes}
    record.codes = [c for key, c in have.items() if key in wanted] + [
        StatisticalCode(record_id=record.id, dimension=d, code=c)
        for d, c in sorted(wanted - set(have))
    ]
    stat_counts.change(session, before, stat_counts.snapshot(record))
