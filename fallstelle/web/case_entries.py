"""Entries of a case added from its page: persons, incidents, follow-ups, and a
counsellor's own due date for a deadline (with the reason). Routes on ``cases.bp``; each
works as the changes of ``web.case_edits`` do (one opening of the case, one savepoint)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from fallstelle.auth.permissions import Permission
from fallstelle.cases import entries
from fallstelle.cases.errors import Invalid
from fallstelle.cases.sections import FollowUp, Identity, Incident, Person
from fallstelle.clock import today
from fallstelle.messages import MESSAGES
from fallstelle.web.case_edits import open_page, parse_uuid, submit
from fallstelle.web.case_form_pages import assignee_choices
from fallstelle.web.case_forms import (
    AssignForm,
    FollowUpForm,
    IncidentForm,
    OverrideForm,
    PersonForm,
)
from fallstelle.web.cases import Page, bp
from fallstelle.web.guard import require
from fallstelle.web.i18n import select_locale
from fallstelle.web.pipeline import context


@bp.post("/<uuid:case_id>/person")
@require(Permission.CASE_WRITE)
def add_person(case_id: uuid.UUID) -> Page:
    ctx, page = context(), open_page(case_id)
    form = PersonForm(prefix="person")
    form.fill(page.vocabulary, select_locale())

    def change(version: int) -> object:
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
        return entries.save_person(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version, person, identity
        )

    return submit(page, "person", form, change, adds=True)


@bp.post("/<uuid:case_id>/wiedervorlage")
@require(Permission.CASE_WRITE)
def add_follow_up(case_id: uuid.UUID) -> Page:
    ctx, page = context(), open_page(case_id)
    form = FollowUpForm(prefix="follow_up")
    form.assignee_id.choices = assignee_choices(page)

    def change(version: int) -> object:
        item = FollowUp(due_on=form.due_on.data, note=form.note.data or "",
                        assignee_id=form.assignee_id.data or "")  # fmt: skip
        return entries.save_entry(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version, item
        )

    return submit(page, "follow_up", form, change, adds=True)


@bp.post("/<uuid:case_id>/wiedervorlage/<uuid:entry_id>/erledigt")
@require(Permission.CASE_WRITE)
def follow_up_done(case_id: uuid.UUID, entry_id: uuid.UUID) -> Page:
    """Mark a follow-up as done today (from the case page or the home page's task list).

    Marking done cannot contradict a colleague's change, so it runs against the current
    version (like an addition); a follow-up that is gone or not one is a 404.
    """
    ctx, page = context(), open_page(case_id)
    found = next((e for e in page.view.of_kind("follow_up") if e.id == entry_id), None)
    if found is None or not isinstance(found.data, FollowUp):
        abort(404)
    if found.data.done_on is None:
        done = replace(found.data, done_on=today())
        ctx.attempt(lambda: entries.save_entry(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, page.view.case.version,
            done, entry_id,
        ))  # fmt: skip
    if request.form.get("next") == "home":  # the task list: the message is shown there
        flash(_("Follow-up marked as done."), "info")
        return redirect(url_for("auth.home"))
    flash(_("Follow-up marked as done."), "saved:fristen")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="fristen"))


@bp.post("/<uuid:case_id>/frist-aendern")
@require(Permission.CASE_WRITE)
def override_deadline(case_id: uuid.UUID) -> Page:
    ctx, page = context(), open_page(case_id)
    form = OverrideForm(prefix="override")
    form.deadline.validate_choice = False  # the service checks the entry belongs to the case

    def change(version: int) -> object:
        deadline_id = parse_uuid(form.deadline.data)
        if deadline_id is None:
            abort(400)
        return entries.override_deadline(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version, deadline_id,
            form.due_on.data, form.reason.data or "",
        )  # fmt: skip

    return submit(page, "override", form, change)


@bp.post("/<uuid:case_id>/vorfall")
@require(Permission.CASE_WRITE)
def add_incident(case_id: uuid.UUID) -> Page:
    ctx, page = context(), open_page(case_id)
    form = IncidentForm(prefix="incident")
    form.fill(page.vocabulary, select_locale())

    def change(version: int) -> object:
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
        return entries.add_incident(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version, item
        )

    return submit(page, "incident", form, change, adds=True)


@bp.post("/<uuid:case_id>/wiedervorlage/<uuid:entry_id>/uebergeben")
@require(Permission.CASE_WRITE)
def assign_follow_up(case_id: uuid.UUID, entry_id: uuid.UUID) -> Page:
    """Hand a follow-up to another counsellor of the case (home page or case page).

    Like marking done it runs against the current version; a choice outside the case's
    counsellors is refused by the service with a message where the form was.
    """
    ctx, page = context(), open_page(case_id)
    form = AssignForm()
    home = form.next.data == "home"
    back = redirect(url_for("auth.home") if home else
                    url_for("cases.show", case_id=case_id, _anchor="fristen"))  # fmt: skip
    if not form.validate_on_submit():
        abort(400)
    try:
        ctx.attempt(lambda: entries.assign_follow_up(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, page.view.case.version,
            entry_id, form.assignee_id.data or "",
        ))  # fmt: skip
    except Invalid as invalid:
        if invalid.code == "unknown_entry":
            abort(404)
        flash(str(MESSAGES.get(invalid.code, invalid.code)), "error")
        return back
    name = page.staff.get(form.assignee_id.data or page.view.case.lead_counsellor_id, "")
    flash(_("Follow-up handed over to %(name)s.", name=name), "info" if home else "saved:fristen")
    return back
