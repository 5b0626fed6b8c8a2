"""Changes to a case: contact, intervention, deadline, status, details and consents, and
documents. Each is one small form on the case page (routes on ``cases.bp``).

Bad input shows the case page again with the message next to the field (400); a stale version
shows it with who changed the case and when, and the user's input kept (409).
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
from fallstelle.cases.errors import CaseConflict, Invalid
from fallstelle.cases.models import STATUSES
from fallstelle.cases.sections import (
    Closure,
    Consent,
    Contact,
    Intervention,
)
from fallstelle.catalogue import vocab
from fallstelle.clock import today
from fallstelle.runtime import commit, db_session, get_store
from fallstelle.web.case_forms import (
    AttachmentForm,
    ContactForm,
    DeadlineForm,
    DetailsForm,
    InterventionForm,
    StatusForm,
)
from fallstelle.web.cases import (
    Page,
    bp,
    call,
    consent_choices,
    form_field,
    office_of,
    page_language,
    render_case,
    rules_in_force,
    signed_in_actor,
)
from fallstelle.web.guard import audit_denied, require


def form_version(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        abort(400)


def change(case_id: uuid.UUID, key: str, form: Any, work: Callable[[], object]) -> Page:
    """Run one change of a case; on bad input or a stale version show the page again."""
    try:
        call(work)
    except Invalid as invalid:
        db_session().rollback()
        form.fail(form_field(invalid.field), invalid.code)
        return render_case(case_id, {key: form}, 400)
    except CaseConflict as conflict:
        db_session().rollback()
        audit_denied("case.conflict", "stale_version")
        return render_case(case_id, {key: form}, 409, conflict)
    commit()
    flash(_("Saved."), "info")
    return redirect(url_for("cases.show", case_id=case_id, _anchor=key))


def posted(case_id: uuid.UUID, key: str, form: Any) -> Page | None:
    if form.validate_on_submit():
        return None
    return render_case(case_id, {key: form}, 400)


@bp.post("/<uuid:case_id>/kontakt")
@require(Permission.CASE_WRITE)
def add_contact(case_id: uuid.UUID) -> Page:
    form = ContactForm(prefix="contact")
    form.fill(db_session(), office_of(case_id))
    if (page := posted(case_id, "contact", form)) is not None:
        return page
    contact = Contact(
        on=form.on.data,
        minutes=form.minutes.data or 0,
        channel=form.channel.data or None,
        counterpart=form.counterpart.data or None,
        note=form.note.data or "",
    )
    return change(
        case_id,
        "contact",
        form,
        lambda: entries.add_contact(
            db_session(),
            signed_in_actor(),
            get_store().keys,
            case_id,
            form_version(form.version.data),
            contact,
        ),
    )


@bp.post("/<uuid:case_id>/intervention")
@require(Permission.CASE_WRITE)
def add_intervention(case_id: uuid.UUID) -> Page:
    form = InterventionForm(prefix="intervention")
    form.fill(db_session(), office_of(case_id), [(form.meets_deadline.data or "", "")])
    if (page := posted(case_id, "intervention", form)) is not None:
        return page
    item = Intervention(
        code=form.code.data or None,
        started_on=form.started_on.data,
        result=form.result.data or None,
        note=form.note.data or "",
    )
    meets = parse_uuid(form.meets_deadline.data)
    return change(
        case_id,
        "intervention",
        form,
        lambda: entries.add_intervention(
            db_session(),
            signed_in_actor(),
            get_store().keys,
            case_id,
            form_version(form.version.data),
            item,
            meets_deadline_id=meets,
        ),
    )


@bp.post("/<uuid:case_id>/frist")
@require(Permission.CASE_WRITE)
def add_deadline(case_id: uuid.UUID) -> Page:
    form = DeadlineForm(prefix="deadline")
    form.rule_code.choices = [(r.code, r.code) for r in rules_in_force(db_session())]
    if (page := posted(case_id, "deadline", form)) is not None:
        return page
    return change(
        case_id,
        "deadline",
        form,
        lambda: entries.add_deadline(
            db_session(),
            signed_in_actor(),
            get_store().keys,
            case_id,
            form_version(form.version.data),
            form.rule_code.data or "",
            form.starts_on.data,
            form.note.data or "",
        ),
    )


@bp.post("/<uuid:case_id>/angaben")
@require(Permission.CASE_WRITE)
def update_details(case_id: uuid.UUID) -> Page:
    """Request, narrative, AGG relevance, legal hold; record or withdraw a consent."""
    session, actor, keys = db_session(), signed_in_actor(), get_store().keys
    form = DetailsForm(prefix="details")
    current = call(lambda: service.get_case(session, actor, keys, case_id)).details
    words = vocab.load(session, office_of(case_id))
    form.fill(session, office_of(case_id), consent_choices(current, words, page_language()))
    if (page := posted(case_id, "details", form)) is not None:
        return page
    consents = [replace(k) for k in current.consents]
    if form.consent_kind.data:
        consents.append(
            Consent(
                kind=form.consent_kind.data,
                given_on=form.consent_on.data,
                text_version=form.consent_version.data or "",
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
    return change(
        case_id,
        "details",
        form,
        lambda: service.update_details(
            session, actor, keys, case_id, form_version(form.version.data), changed
        ),
    )


@bp.post("/<uuid:case_id>/dokument")
@require(Permission.CASE_WRITE)
def add_attachment(case_id: uuid.UUID) -> Page:
    form = AttachmentForm(prefix="attachment")
    if (page := posted(case_id, "attachment", form)) is not None:
        return page
    upload = form.file.data
    content = upload.read(attachments.MAX_BYTES + 1)
    return change(
        case_id,
        "attachment",
        form,
        lambda: attachments.add(
            db_session(),
            signed_in_actor(),
            get_store().keys,
            _files(),
            case_id,
            form_version(form.version.data),
            upload.filename or "",
            content,
        ),
    )


@bp.get("/<uuid:case_id>/dokument/<uuid:entry_id>")
@require(Permission.CASE_READ)
def attachment(case_id: uuid.UUID, entry_id: uuid.UUID) -> BaseResponse:
    found = call(
        lambda: attachments.read(
            db_session(), signed_in_actor(), get_store().keys, _files(), case_id, entry_id
        )
    )
    commit()  # the read is logged before the file leaves
    return send_file(
        io.BytesIO(found.content),
        mimetype=found.media_type,
        as_attachment=True,
        download_name=found.filename,
        max_age=0,
    )


def _files() -> Path:
    return get_store().settings.data_dir / "attachments"


@bp.post("/<uuid:case_id>/status")
@require(Permission.CASE_WRITE)
def change_status(case_id: uuid.UUID) -> Page:
    form = StatusForm(prefix="status")
    form.fill(db_session(), office_of(case_id), [(s, s) for s in STATUSES])
    if (page := posted(case_id, "status", form)) is not None:
        return page
    closure = None
    if form.status.data == "abgeschlossen":
        closure = Closure(
            reason=form.reason.data or None,
            outcomes=form.outcomes.data or [],
            counterpart_response=form.counterpart_response.data or None,
        )
    return change(
        case_id,
        "status",
        form,
        lambda: service.change_status(
            db_session(),
            signed_in_actor(),
            get_store().keys,
            case_id,
            form_version(form.version.data),
            form.status.data or "",
            form.on.data or today(),
            closure,
        ),
    )


def parse_uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        abort(400)
