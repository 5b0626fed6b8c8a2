"""Changes to a case: contact, intervention, deadline, status, details and consents,
counsellors, and documents. Each is one small form on the case page (routes on ``cases.bp``).

Every change opens the case once (``cases.page.open_for_change``: checked, locked,
decrypted), validates the form, and runs the one service call in a savepoint
(``RequestContext.attempt``). Bad input shows the case page again with the message next to
the field (400); a stale version shows it with who changed the case and when, and the user's
input kept (409) — both from the case as it was opened, without a second decryption. The
pipeline commits.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from fallstelle.auth.permissions import Permission
from fallstelle.cases import attachments, entries, service
from fallstelle.cases import page as case_page
from fallstelle.cases.errors import CaseConflict, Invalid
from fallstelle.cases.models import STATUSES
from fallstelle.cases.sections import Closure, Consent, Contact, Intervention
from fallstelle.catalogue import privacy
from fallstelle.clock import today
from fallstelle.web.case_form_pages import (
    FORMS,
    consent_choices,
    counsellor_choices,
    deadline_choices,
    needs_confirmation,
    render_form,
)
from fallstelle.web.case_forms import (
    AttachmentForm,
    ContactForm,
    CounsellorsForm,
    DeadlineForm,
    DetailsForm,
    InterventionForm,
    StatusForm,
)
from fallstelle.web.cases import Page, bp, form_field
from fallstelle.web.guard import audit_denied, require
from fallstelle.web.i18n import select_locale
from fallstelle.web.pipeline import context


def form_version(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        abort(400)


def open_page(case_id: uuid.UUID, action: str = "case.update") -> case_page.CasePage:
    """Check, lock and decrypt the case for this request's change (once)."""
    ctx = context()
    return case_page.open_for_change(ctx.session, ctx.require_actor(), ctx.keys, case_id, action)


def submit(
    page: case_page.CasePage, key: str, form: Any, change: Callable[[int], object],
    *, adds: bool = False, confirm: Callable[[], Page | None] | None = None,
) -> Page:  # fmt: skip
    """Validate ``form`` and run ``change(version)``; on bad input or a stale version show the
    form's page again with the input as typed.

    ``adds``: the change only adds an entry (a contact, a document), which cannot contradict
    what someone else changed meanwhile — the case row is locked while it is added — so it
    runs against the current version: two counsellors logging contacts never conflict.
    ``confirm``: a confirmation page to show first, or None to go on.
    """
    if not form.validate_on_submit():
        return render_form(page, key, form, 400)
    asked = confirm() if confirm is not None else None
    if asked is not None:
        return asked
    version = form_version(form.version.data)  # present on every form, also for additions
    if adds:
        version = page.view.case.version
    try:
        context().attempt(lambda: change(version))
    except Invalid as invalid:
        form.fail(form_field(invalid.field), invalid.code)
        return render_form(page, key, form, 400)
    except CaseConflict as conflict:
        audit_denied("case.conflict", "stale_version")
        return render_form(page, key, form, 409, conflict)
    section = FORMS[key].section
    flash(_("Saved."), f"saved:{section}")  # shown in the section that changed
    return redirect(url_for("cases.show", case_id=page.case_id, _anchor=section))


@bp.post("/<uuid:case_id>/kontakt")
@require(Permission.CASE_WRITE)
def add_contact(case_id: uuid.UUID) -> Page:
    ctx, page = context(), open_page(case_id)
    form = ContactForm(prefix="contact")
    form.fill(page.vocabulary, select_locale())

    def change(version: int) -> object:
        contact = Contact(
            on=form.on.data,
            minutes=form.minutes.data or 0,
            channel=form.channel.data or None,
            counterpart=form.counterpart.data or None,
            note=form.note.data or "",
        )
        return entries.add_contact(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version, contact
        )

    return submit(page, "contact", form, change, adds=True)


@bp.post("/<uuid:case_id>/intervention")
@require(Permission.CASE_WRITE)
def add_intervention(case_id: uuid.UUID) -> Page:
    ctx, page = context(), open_page(case_id)
    form = InterventionForm(prefix="intervention")
    form.fill(page.vocabulary, select_locale(), [(form.meets_deadline.data or "", "")])

    def change(version: int) -> object:
        item = Intervention(
            code=form.code.data or None,
            started_on=form.started_on.data,
            result=form.result.data or None,
            note=form.note.data or "",
        )
        return entries.add_intervention(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version, item,
            meets_deadline_id=parse_uuid(form.meets_deadline.data),
        )  # fmt: skip

    return submit(page, "intervention", form, change, adds=True)


@bp.post("/<uuid:case_id>/frist")
@require(Permission.CASE_WRITE)
def add_deadline(case_id: uuid.UUID) -> Page:
    ctx, page = context(), open_page(case_id)
    form = DeadlineForm(prefix="deadline")
    deadline_choices(form, page, select_locale())

    def change(version: int) -> object:
        return entries.add_deadline(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version,
            form.rule_code.data or "", form.starts_on.data, form.note.data or "",
        )  # fmt: skip

    return submit(page, "deadline", form, change, adds=True)


@bp.post("/<uuid:case_id>/angaben")
@require(Permission.CASE_WRITE)
def update_details(case_id: uuid.UUID) -> Page:
    """Request, narrative, AGG relevance, legal hold; record or withdraw a consent."""
    ctx, page = context(), open_page(case_id)
    lang = select_locale()
    form = DetailsForm(prefix="details")
    form.fill(page.vocabulary, lang, consent_choices(page, lang))
    current = page.view.details

    def change(version: int) -> object:
        consents = [replace(k) for k in current.consents]
        if form.consent_kind.data:
            consents.append(
                Consent(
                    kind=form.consent_kind.data,
                    given_on=form.consent_on.data,
                    # The version shown: the one entered (an older paper form), else
                    # the office's current text of that kind (issue 16).
                    text_version=form.consent_version.data
                    or shown_version(page.office_id, form.consent_kind.data),
                )
            )
        if form.withdraw.data:
            index = int(form.withdraw.data)
            consents[index] = replace(consents[index], withdrawn_on=today())
        changed = replace(
            current,
            request_type=form.request_type.data or None,
            access_route=form.access_route.data or None,
            agg_relevance=form.agg_relevance.data or None,
            narrative=form.narrative.data or "",
            legal_hold=bool(form.legal_hold.data),
            consents=consents,
        )
        return service.update_details(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version, changed
        )

    def confirm() -> Page | None:
        if not form.withdraw.data:
            return None
        return needs_confirmation(
            form, _("Record the withdrawal of this consent? It cannot be undone; a withdrawn "
                    "consent to statistics removes the case from every future report."),
            _("Yes, record the withdrawal"),
        )  # fmt: skip

    return submit(page, "details", form, change, confirm=confirm)


@bp.post("/<uuid:case_id>/beratende")
@require(Permission.CASE_WRITE)
def set_counsellors(case_id: uuid.UUID) -> Page:
    """Hand the case to another lead counsellor and choose who shares it."""
    ctx, page = context(), open_page(case_id)
    form = CounsellorsForm(prefix="counsellors")
    form.fill(counsellor_choices(page))

    def change(version: int) -> object:
        lead = form.lead.data or ""
        shared = {uid: 0 for uid in form.co.data or [] if uid != lead}
        return service.set_counsellors(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version, lead, shared
        )

    return submit(page, "counsellors", form, change)


@bp.post("/<uuid:case_id>/dokument")
@require(Permission.CASE_WRITE)
def add_attachment(case_id: uuid.UUID) -> Page:
    ctx, page = context(), open_page(case_id)
    form = AttachmentForm(prefix="attachment")

    def change(version: int) -> object:
        upload = form.file.data
        content = upload.read(attachments.MAX_BYTES + 1)
        return attachments.add(
            ctx.session, ctx.require_actor(), ctx.keys, _files(), case_id, version,
            upload.filename or "", content,
        )  # fmt: skip

    return submit(page, "attachment", form, change, adds=True)


@bp.get("/<uuid:case_id>/dokument/<uuid:entry_id>")
@require(Permission.CASE_READ)
def attachment(case_id: uuid.UUID, entry_id: uuid.UUID) -> BaseResponse:
    ctx = context()
    found = attachments.read(
        ctx.session, ctx.require_actor(), ctx.keys, _files(), case_id, entry_id
    )
    # The pipeline commits the read's audit event before the file's first byte leaves.
    return send_file(
        io.BytesIO(found.content),
        mimetype=found.media_type,
        as_attachment=True,
        download_name=found.filename,
        max_age=0,
    )


def _files() -> Path:
    return context().store.settings.data_dir / "attachments"


@bp.post("/<uuid:case_id>/status")
@require(Permission.CASE_WRITE)
def change_status(case_id: uuid.UUID) -> Page:
    ctx, page = context(), open_page(case_id, "case.status")
    form = StatusForm(prefix="status")
    form.fill(page.vocabulary, select_locale(), [(s, s) for s in STATUSES])

    def change(version: int) -> object:
        closure = None
        if form.status.data == "abgeschlossen":
            closure = Closure(
                reason=form.reason.data or None,
                outcomes=form.outcomes.data or [],
                counterpart_response=form.counterpart_response.data or None,
            )
        return service.change_status(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version,
            form.status.data or "", form.on.data or today(), closure,
        )  # fmt: skip

    def confirm() -> Page | None:
        if form.status.data != "abgeschlossen" or not (form.reason.data and form.outcomes.data):
            return None  # nothing to confirm, or the service will say what is missing
        return needs_confirmation(
            form,
            _("Close this case? It becomes read-only until it is reopened."),
            _("Yes, close the case"),
        )

    return submit(page, "status", form, change, confirm=confirm)


def parse_uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        abort(400)


def shown_version(office_id: int, kind: str) -> str:
    """The label of the office's current text of ``kind`` ("" if none is published)."""
    text = privacy.current(context().session, office_id, kind)
    return text.label if text is not None else ""
