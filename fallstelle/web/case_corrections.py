"""Correcting and removing what was entered on a case (issue 13): one page per entry to
correct it, one to remove it with a reason (GOV.UK "check and change" pattern), the same for
a consent record and the case's details, and the case's change history. Routes on
``cases.bp``; each change opens the case once (``cases.page.open_for_change``) and runs one
``cases.corrections`` call in a savepoint, as ``web.case_edits`` does. The links to these
pages are in ``cases/_entry_actions.html``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fallstelle.auth.permissions import Permission
from fallstelle.cases import corrections, history, service
from fallstelle.cases import page as case_page
from fallstelle.cases.access_request import RULE as ACCESS_RULE
from fallstelle.cases.access_request import describe
from fallstelle.cases.entries import compute_deadline
from fallstelle.cases.errors import CaseConflict, Invalid
from fallstelle.cases.retention import add_months
from fallstelle.cases.sections import (
    Attachment,
    Consent,
    Contact,
    Deadline,
    Entry,
    FollowUp,
    Identity,
    Incident,
    Intervention,
    Person,
)
from fallstelle.web.case_edits import form_version, open_page
from fallstelle.web.case_form_pages import assignee_choices
from fallstelle.web.case_forms import ContactForm, IncidentForm, InterventionForm, PersonForm
from fallstelle.web.cases import Page, bp, form_field
from fallstelle.web.guard import audit_denied, require
from fallstelle.web.i18n import select_locale
from fallstelle.web.lifecycle_forms import (
    AttachmentEditForm,
    CaseDetailsEditForm,
    ConsentForm,
    DeadlineEditForm,
    FollowUpEditForm,
    RemoveForm,
)
from fallstelle.web.pipeline import context

SECTION_NAMES = {
    "person": _l("Person"),
    "identity": _l("Identifying data"),
    "incident": _l("Incident"),
    "contact": _l("Contact"),
    "intervention": _l("Intervention"),
    "deadline": _l("Deadline"),
    "follow_up": _l("Follow-up"),
    "attachment": _l("Document"),
    "consent": _l("Consent"),
    "details": _l("Case details"),
}
IDENTITY_FIELDS = ("first_name", "surname", "phone", "email")


@dataclass(frozen=True)
class Editor:
    """How one kind of entry is shown in a form and read back from it."""

    form: type[Any]
    values: Callable[[Any, Identity | None], dict[str, Any]]
    build: Callable[[Any, Any, Identity | None, case_page.CasePage], Entry]
    fill: Callable[[Any, case_page.CasePage, str], None] = lambda f, p, lang: None


def _person(form: Any, old: Person, _who: Identity | None, _p: case_page.CasePage) -> Entry:
    return replace(old, role=form.role.data or None, age_band=form.age_band.data or None,
                   gender=form.gender.data or None, kreis=form.kreis.data or None)  # fmt: skip


def _incident(form: Any, old: Incident, _who: Identity | None, _p: case_page.CasePage) -> Entry:
    return replace(
        old, date_from=form.date_from.data, rejection_received_on=form.rejection_received_on.data,
        grounds=form.grounds.data or [], life_domains=form.life_domains.data or [],
        forms=form.forms.data or [], actor_type=form.actor_type.data or None,
        actor_institution=form.actor_institution.data or "",
        client_account=form.client_account.data or "",
    )  # fmt: skip


def _contact(form: Any, old: Contact, _who: Identity | None, _p: case_page.CasePage) -> Entry:
    return replace(old, on=form.on.data, minutes=form.minutes.data or 0,
                   channel=form.channel.data or None, counterpart=form.counterpart.data or None,
                   note=form.note.data or "")  # fmt: skip


def _intervention(
    form: Any, old: Intervention, _who: Identity | None, _p: case_page.CasePage
) -> Entry:
    return replace(old, code=form.code.data or None, started_on=form.started_on.data,
                   result=form.result.data or None, note=form.note.data or "")  # fmt: skip


def _deadline(form: Any, old: Deadline, _who: Identity | None, page: case_page.CasePage) -> Entry:
    fresh = old
    if form.starts_on.data != old.starts_on and old.rule_code == ACCESS_RULE:
        fresh = replace(old, starts_on=form.starts_on.data,
                        computed_due_on=add_months(form.starts_on.data, 1))  # fmt: skip
    elif form.starts_on.data != old.starts_on:  # a new start: the rule computes it again
        fresh = compute_deadline(page.rules, old.rule_code, form.starts_on.data, [],
                                 prefix="deadline.")  # fmt: skip
    if form.override_due_on.data and not (form.override_reason.data or "").strip():
        raise Invalid("deadline.override_reason", "required")
    return replace(
        old, starts_on=fresh.starts_on, computed_due_on=fresh.computed_due_on,
        rule_valid_from=fresh.rule_valid_from, override_due_on=form.override_due_on.data,
        override_reason=(form.override_reason.data or "") if form.override_due_on.data else "",
        met_on=form.met_on.data, note=form.note.data or "",
    )  # fmt: skip


def _follow_up(form: Any, old: FollowUp, _who: Identity | None, _p: case_page.CasePage) -> Entry:
    return replace(old, due_on=form.due_on.data, note=form.note.data or "",
                   done_on=form.done_on.data, assignee_id=form.assignee_id.data or "")  # fmt: skip


def _attachment(
    form: Any, old: Attachment, _who: Identity | None, _p: case_page.CasePage
) -> Entry:
    return replace(old, filename=(form.filename.data or "").strip())


def _fields(data: object, *names: str) -> dict[str, Any]:
    return {n: getattr(data, n) for n in names}


EDITORS: dict[str, Editor] = {
    "person": Editor(
        PersonForm,
        lambda d, who: {**_fields(d, "role", "age_band", "gender", "kreis"),
                        **_fields(who or Identity(), *IDENTITY_FIELDS)},
        _person,
        lambda f, p, lang: f.fill(p.vocabulary, lang),
    ),
    "incident": Editor(
        IncidentForm,
        lambda d, _w: _fields(d, "date_from", "rejection_received_on", "grounds", "life_domains",
                              "forms", "actor_type", "actor_institution", "client_account"),
        _incident,
        lambda f, p, lang: f.fill(p.vocabulary, lang),
    ),
    "contact": Editor(
        ContactForm,
        lambda d, _w: _fields(d, "on", "minutes", "channel", "counterpart", "note"),
        _contact,
        lambda f, p, lang: f.fill(p.vocabulary, lang),
    ),
    "intervention": Editor(
        InterventionForm,
        lambda d, _w: _fields(d, "code", "started_on", "result", "note"),
        _intervention,
        lambda f, p, lang: f.fill(p.vocabulary, lang, []),
    ),
    "deadline": Editor(
        DeadlineEditForm,
        lambda d, _w: _fields(d, "starts_on", "override_due_on", "override_reason", "met_on",
                              "note"),
        _deadline,
    ),
    "follow_up": Editor(
        FollowUpEditForm, lambda d, _w: _fields(d, "due_on", "note", "done_on", "assignee_id"),
        _follow_up, lambda f, p, _lang: setattr(f.assignee_id, "choices", assignee_choices(p)),
    ),
    "attachment": Editor(AttachmentEditForm, lambda d, _w: _fields(d, "filename"), _attachment),
}  # fmt: skip


def _editor(kind: str) -> Editor:
    found = EDITORS.get(kind)
    if found is None:
        abort(404)
    return found


def page_for(case_id: uuid.UUID) -> case_page.CasePage:
    """The case for a form page: read (GET) or opened for the change (POST)."""
    if request.method == "POST":
        return open_page(case_id)
    ctx = context()
    return case_page.load(ctx.session, ctx.require_actor(), ctx.keys, case_id)


def _entry(page: case_page.CasePage, kind: str, entry_id: uuid.UUID) -> Any:
    found = [e for e in page.view.of_kind(kind) if e.id == entry_id]
    if not found:
        abort(404)
    return found[0].data


def run_change(
    page: case_page.CasePage, form: Any, change: Callable[[int], object], back: str,
    done: str | None = None,
) -> tuple[Page | None, int]:  # fmt: skip
    """Run ``change`` for a valid form; the response to send, or None and the page's status.

    Success flashes ``done`` (default "Saved.") and goes back to the case page at ``back``,
    or to ``back`` itself when it is a path.
    """
    if not form.is_submitted():
        return None, 200
    if not form.validate_on_submit():
        return None, 400
    version = form_version(form.version.data)
    try:
        context().attempt(lambda: change(version))
    except Invalid as invalid:
        form.fail(form_field(invalid.field), invalid.code)
        return None, 400
    except CaseConflict as conflict:
        audit_denied("case.conflict", "stale_version")
        form.form_errors.append(
            _("This case was changed in the meantime by %(name)s. Nothing was saved: check "
              "the case and try again.", name=conflict.changed_by_name or _("someone else"))
        )  # fmt: skip
        return None, 409
    flash(done or _("Saved."), "info")
    if back.startswith("/"):
        return redirect(back), 200
    return redirect(url_for("cases.show", case_id=page.case_id, _anchor=back)), 200


def shown(page: case_page.CasePage, template: str, status: int, **values: Any) -> Page:
    ctx = context()
    page.record_read(ctx.session, ctx.require_actor())
    return render_template(template, page=page, view=page.view, names=page.staff,
                           sections=SECTION_NAMES, **values), status  # fmt: skip


@bp.route("/<uuid:case_id>/eintrag/<kind>/<uuid:entry_id>", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def edit_entry(case_id: uuid.UUID, kind: str, entry_id: uuid.UUID) -> Page:
    """Correct one entry of a case on its own page."""
    editor = _editor(kind)
    ctx, page, lang = context(), page_for(case_id), select_locale()
    old = _entry(page, kind, entry_id)
    who = page.view.identities.get(entry_id)
    if request.method == "POST":
        form = editor.form(prefix="entry")
    else:
        form = editor.form(formdata=None, prefix="entry", **editor.values(old, who))
        form.version.data = str(page.view.case.version)
    editor.fill(form, page, lang)
    if "meets_deadline" in form:
        del form["meets_deadline"]  # a correction keeps the deadline link as it is

    def change(version: int) -> object:
        data = editor.build(form, old, who, page)
        identity = None
        if kind == "person":
            identity = replace(who or Identity(), **{
                n: (form[n].data or "").strip() for n in IDENTITY_FIELDS})  # fmt: skip
        return corrections.correct(ctx.session, ctx.require_actor(), ctx.keys, case_id,
                                   version, entry_id, data, identity)  # fmt: skip

    done, status = run_change(page, form, change, kind)
    if done is not None:
        return done
    return shown(page, "cases/entry_edit.html", status, form=form, kind=kind,
                  entry_id=entry_id)  # fmt: skip


@bp.route("/<uuid:case_id>/eintrag/<kind>/<uuid:entry_id>/entfernen", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def remove_entry(case_id: uuid.UUID, kind: str, entry_id: uuid.UUID) -> Page:
    """Remove a wrong entry after a second confirmation, with a reason."""
    _editor(kind)
    ctx, page = context(), page_for(case_id)
    old = _entry(page, kind, entry_id)
    form = RemoveForm(prefix="remove")
    if request.method == "GET":
        form.version.data = str(page.view.case.version)

    def change(version: int) -> object:
        return corrections.remove(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version, kind, entry_id,
            form.reason.data or "", attachments_dir=ctx.store.settings.data_dir / "attachments",
        )  # fmt: skip

    done, status = run_change(page, form, change, kind)
    if done is not None:
        return done
    values = describe(kind, history.as_values(old), page.vocabulary, page.staff)
    if kind == "person" and entry_id in page.view.identities:
        who = history.as_values(page.view.identities[entry_id])
        values += describe("identity", who, page.vocabulary, page.staff)
    return shown(page, "cases/entry_remove.html", status, form=form, kind=kind,
                  values=values, action=url_for("cases.remove_entry", case_id=case_id,
                                                kind=kind, entry_id=entry_id))  # fmt: skip


def _consent(page: case_page.CasePage, index: int) -> Consent:
    consents = page.view.details.consents
    if not 0 <= index < len(consents):
        abort(404)
    return consents[index]


@bp.route("/<uuid:case_id>/einwilligung/<int:index>", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def edit_consent(case_id: uuid.UUID, index: int) -> Page:
    """Correct a consent record (the date, the text version, a withdrawal)."""
    ctx, page = context(), page_for(case_id)
    old = _consent(page, index)
    if request.method == "POST":
        form = ConsentForm(prefix="consent")
    else:
        form = ConsentForm(formdata=None, prefix="consent", kind=old.kind, given_on=old.given_on,
                           text_version=old.text_version, withdrawn_on=old.withdrawn_on,
                           version=str(page.view.case.version))  # fmt: skip
    form.fill(page.vocabulary, select_locale())

    def change(version: int) -> object:
        fixed = replace(old, kind=form.kind.data or None, given_on=form.given_on.data,
                        text_version=form.text_version.data or "",
                        withdrawn_on=form.withdrawn_on.data)  # fmt: skip
        return corrections.correct_consent(ctx.session, ctx.require_actor(), ctx.keys,
                                           case_id, version, index, fixed)  # fmt: skip

    done, status = run_change(page, form, change, "consent")
    if done is not None:
        return done
    return shown(page, "cases/entry_edit.html", status, form=form, kind="consent",
                  entry_id=None)  # fmt: skip


@bp.route("/<uuid:case_id>/einwilligung/<int:index>/entfernen", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def remove_consent(case_id: uuid.UUID, index: int) -> Page:
    """Remove a consent record entered by mistake (a withdrawal is a correction instead)."""
    ctx, page = context(), page_for(case_id)
    old = _consent(page, index)
    form = RemoveForm(prefix="remove")
    if request.method == "GET":
        form.version.data = str(page.view.case.version)

    def change(version: int) -> object:
        return corrections.remove_consent(ctx.session, ctx.require_actor(), ctx.keys, case_id,
                                          version, index, form.reason.data or "")  # fmt: skip

    done, status = run_change(page, form, change, "consent")
    if done is not None:
        return done
    return shown(page, "cases/entry_remove.html", status, form=form, kind="consent",
                  values=describe("consent", history.as_values(old), page.vocabulary,
                                  page.staff),
                  action=url_for("cases.remove_consent", case_id=case_id, index=index))  # fmt: skip


@bp.route("/<uuid:case_id>/angaben/bearbeiten", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def edit_details(case_id: uuid.UUID) -> Page:
    """Correct the case's own details (request, how the person came, goals, narrative)."""
    ctx, page = context(), page_for(case_id)
    old = page.view.details
    names = ("request_type", "access_route", "initiated_by", "agg_relevance", "language",
             "client_goals_text", "narrative")  # fmt: skip
    if request.method == "POST":
        form = CaseDetailsEditForm(prefix="entry")
    else:
        form = CaseDetailsEditForm(formdata=None, prefix="entry", **_fields(old, *names),
                                   version=str(page.view.case.version))  # fmt: skip
    form.fill(page.vocabulary, select_locale())

    def change(version: int) -> object:
        values: dict[str, Any] = {
            n: form[n].data or (None if n in names[:4] else "") for n in names
        }
        fixed = replace(old, **values)
        return service.update_details(ctx.session, ctx.require_actor(), ctx.keys, case_id,
                                      version, fixed)  # fmt: skip

    done, status = run_change(page, form, change, "overview")
    if done is not None:
        return done
    return shown(page, "cases/entry_edit.html", status, form=form, kind="details",
                  entry_id=None)  # fmt: skip
