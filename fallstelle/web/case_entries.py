"""Entries of a case added from its page: persons, incidents, follow-ups, and a
counsellor's own due date for a deadline (with the reason). Routes on ``cases.bp``."""

from __future__ import annotations

import uuid

from flask import abort

from fallstelle.auth.permissions import Permission
from fallstelle.cases import entries
from fallstelle.cases.sections import FollowUp, Identity, Incident, Person
from fallstelle.runtime import db_session, get_store
from fallstelle.web.case_edits import change, form_version, parse_uuid, posted
from fallstelle.web.case_forms import FollowUpForm, IncidentForm, OverrideForm, PersonForm
from fallstelle.web.cases import Page, bp, office_of, signed_in_actor
from fallstelle.web.guard import require


@bp.post("/<uuid:case_id>/person")
@require(Permission.CASE_WRITE)
def add_person(case_id: uuid.UUID) -> Page:
    form = PersonForm(prefix="person")
    form.fill(db_session(), office_of(case_id))
    if (page := posted(case_id, "person", form)) is not None:
        return page
    person = Person(
        role=form.role.data or None,
        age_band=form.age_band.data or None,
        gender=form.gender.data or None,
        kreis=form.kreis.data or None,
    )
    values = {
        n: (getattr(form, n).data or "").strip()
        for n in ("first_name", "surname", "phone", "email")
    }
    identity = Identity(**values) if any(values.values()) else None
    return change(
        case_id,
        "person",
        form,
        lambda: entries.save_person(
            db_session(),
            signed_in_actor(),
            get_store().keys,
            case_id,
            form_version(form.version.data),
            person,
            identity,
        ),
    )


@bp.post("/<uuid:case_id>/wiedervorlage")
@require(Permission.CASE_WRITE)
def add_follow_up(case_id: uuid.UUID) -> Page:
    form = FollowUpForm(prefix="follow_up")
    if (page := posted(case_id, "follow_up", form)) is not None:
        return page
    item = FollowUp(due_on=form.due_on.data, note=form.note.data or "")
    return change(
        case_id,
        "follow_up",
        form,
        lambda: entries.save_entry(
            db_session(),
            signed_in_actor(),
            get_store().keys,
            case_id,
            form_version(form.version.data),
            item,
        ),
    )


@bp.post("/<uuid:case_id>/frist-aendern")
@require(Permission.CASE_WRITE)
def override_deadline(case_id: uuid.UUID) -> Page:
    form = OverrideForm(prefix="override")
    form.deadline.validate_choice = False  # the service checks the entry belongs to the case
    if (page := posted(case_id, "override", form)) is not None:
        return page
    deadline_id = parse_uuid(form.deadline.data)
    if deadline_id is None:
        abort(400)
    return change(
        case_id,
        "override",
        form,
        lambda: entries.override_deadline(
            db_session(),
            signed_in_actor(),
            get_store().keys,
            case_id,
            form_version(form.version.data),
            deadline_id,
            form.due_on.data,
            form.reason.data or "",
        ),
    )


@bp.post("/<uuid:case_id>/vorfall")
@require(Permission.CASE_WRITE)
def add_incident(case_id: uuid.UUID) -> Page:
    form = IncidentForm(prefix="incident")
    form.fill(db_session(), office_of(case_id))
    if (page := posted(case_id, "incident", form)) is not None:
        return page
    item = Incident(
        date_from=form.date_from.data,
        rejection_received_on=form.rejection_received_on.data,
        grounds=form.grounds.data or [],
        life_domains=form.life_domains.data or [],
        forms=form.forms.data or [],
        actor_type=form.actor_type.data or None,
        actor_institution=form.actor_institution.data or "",
        client_account=form.client_account.data or "",
    )
    return change(
        case_id,
        "incident",
        form,
        lambda: entries.add_incident(
            db_session(),
            signed_in_actor(),
            get_store().keys,
            case_id,
            form_version(form.version.data),
            item,
        ),
    )
