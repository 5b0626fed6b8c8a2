"""A case's retention and the person's rights, each on its own page (issue 13): the legal
hold, deleting a case opened by mistake, erasure on request (Art. 17, with a fresh
two-factor code), and the access export (Art. 15, JSON and a German PDF). Routes on
``cases.bp``, linked from ``cases/_entry_actions.html`` (``case_actions``). Every change runs
one service call as ``web.case_corrections`` does; the erasures redirect to the case list,
because the case is gone.
"""

from __future__ import annotations

import io
import json
import uuid

from flask import abort, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from fallstelle.auth import login
from fallstelle.auth import service as accounts
from fallstelle.auth.errors import AuthRefused
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access_request, deletion, deletion_warnings, retention
from fallstelle.cases import page as case_page
from fallstelle.cases.erasure import Register
from fallstelle.cases.errors import Invalid
from fallstelle.clock import today
from fallstelle.db import utcnow
from fallstelle.reports.pdf import REPORTS_DIR
from fallstelle.reports.pdf_worker import html_to_pdf
from fallstelle.web.auth import auth_request
from fallstelle.web.case_corrections import page_for, run_change, shown
from fallstelle.web.cases import Page, bp
from fallstelle.web.guard import require
from fallstelle.web.lifecycle_forms import (
    AccessRequestForm,
    EarlyDeleteForm,
    ErasureForm,
    LegalHoldForm,
)
from fallstelle.web.pipeline import context


def _register() -> Register:
    return Register.open(context().store.settings.keys_dir)


@bp.route("/<uuid:case_id>/sperre", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def legal_hold(case_id: uuid.UUID) -> Page:
    """Set or lift a legal hold, with its reason and a date to review it."""
    ctx, page = context(), page_for(case_id)
    d = page.view.details
    if request.method == "POST":
        form = LegalHoldForm(prefix="hold")
    else:
        form = LegalHoldForm(formdata=None, prefix="hold", hold=d.legal_hold,
                             reason=d.legal_hold_reason, review_on=d.legal_hold_review_on,
                             version=str(page.view.case.version))  # fmt: skip

    def change(version: int) -> object:
        return retention.set_legal_hold(
            ctx.session, ctx.require_actor(), ctx.keys, case_id, version,
            bool(form.hold.data), form.reason.data or "", form.review_on.data,
        )  # fmt: skip

    done, status = run_change(page, form, change, "overview")
    if done is not None:
        return done
    return shown(page, "cases/legal_hold.html", status, form=form)


@bp.route("/<uuid:case_id>/loeschen", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def delete_early(case_id: uuid.UUID) -> Page:
    """Delete a case opened by mistake: a reason and the typed case number confirm it."""
    ctx, page = context(), page_for(case_id)
    form = EarlyDeleteForm(prefix="delete")
    if request.method == "GET":
        form.version.data = str(page.view.case.version)
    number = page.view.case.case_number

    def change(version: int) -> object:
        return deletion.delete_opened_by_mistake(
            ctx.session, ctx.require_actor(), ctx.keys, _register(), ctx.store.settings.data_dir
            / "attachments", case_id, version, form.case_number.data or "",
            form.reason.data or "",
        )  # fmt: skip

    done, status = run_change(page, form, change, url_for("cases.index"),
                              _("Case %(number)s has been deleted.", number=number))  # fmt: skip
    if done is not None:
        return done
    return shown(page, "cases/delete.html", status, form=form)


@bp.route("/<uuid:case_id>/loeschen-auf-antrag", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def erase_on_request(case_id: uuid.UUID) -> Page:
    """Erase the case, or one person's data, because the person asked (Art. 17)."""
    ctx, page = context(), page_for(case_id)
    actor = ctx.require_actor()
    form = ErasureForm(prefix="erase")
    persons = [
        (str(e.id), _("Identifying data of %(name)s", name=_person_name(page, e.id)))
        for e in page.view.of_kind("person") if e.id in page.view.identities
    ]  # fmt: skip
    form.what.choices = [("", "–"), ("case", _("The whole case")), *persons]
    if request.method == "GET":
        form.version.data = str(page.view.case.version)
    number = page.view.case.case_number
    if form.is_submitted() and form.validate():
        try:  # outside the savepoint: a wrong code is recorded and counted against the user
            login.check_code(ctx.session, auth_request(), actor.user_id or "",
                             form.code.data or "", action="auth.step_up")  # fmt: skip
        except AuthRefused:
            form.code.errors = [_("The code is not valid. Use a new code from your app.")]
            return shown(page, "cases/erase.html", 400, form=form)

    def change(version: int) -> object:
        what = form.what.data or ""
        if what == "case":
            return deletion.erase_on_request(
                ctx.session, actor, ctx.keys, _register(),
                ctx.store.settings.data_dir / "attachments", case_id, version,
                form.case_number.data or "",
            )  # fmt: skip
        if (form.case_number.data or "").strip() != number:
            raise Invalid("case_number", "mismatch")
        deletion.erase_person(ctx.session, actor, ctx.keys, case_id, version, uuid.UUID(what))
        return None

    gone = form.what.data == "case"
    back = url_for("cases.index") if gone else "persons"
    message = (_("Case %(number)s has been erased.", number=number) if gone
               else _("The person's identifying data has been erased."))  # fmt: skip
    done, status = run_change(page, form, change, back, message)
    if done is not None:
        return done
    return shown(page, "cases/erase.html", status, form=form)


def _person_name(page: case_page.CasePage, person_id: uuid.UUID) -> str:
    who = page.view.identities.get(person_id)
    name = f"{who.first_name} {who.surname}".strip() if who else ""
    return name or _("a person without a name")


@bp.route("/<uuid:case_id>/auskunft", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def access_request_page(case_id: uuid.UUID) -> Page:
    """Record an access request (a one-month deadline) and download the export."""
    ctx, page = context(), page_for(case_id)
    form = AccessRequestForm(prefix="access")
    if request.method == "GET":
        form.version.data = str(page.view.case.version)

    def change(version: int) -> object:
        return access_request.record_request(ctx.session, ctx.require_actor(), ctx.keys,
                                             case_id, version, form.received_on.data)  # fmt: skip

    done, status = run_change(page, form, change, "deadline")
    if done is not None:
        return done
    persons = [(e.id, _person_name(page, e.id)) for e in page.view.of_kind("person")]
    return shown(page, "cases/access_request.html", status, form=form, persons=persons)


@bp.get("/<uuid:case_id>/auskunft/<uuid:person_id>.<fmt>")
@require(Permission.CASE_READ)
def access_export(case_id: uuid.UUID, person_id: uuid.UUID, fmt: str) -> BaseResponse:
    """The Art. 15 export of one person: ``json`` or ``pdf``; the export is audited and
    committed before the first byte leaves (the pipeline)."""
    if fmt not in ("json", "pdf"):
        abort(404)
    ctx = context()
    actor = ctx.require_actor()
    names = accounts.staff_names(ctx.session, actor, actor.office_ids)
    try:
        export = access_request.export(ctx.session, actor, ctx.keys, case_id, person_id, names)
    except Invalid:
        abort(404)
    stem = f"Auskunft-{export.case_number}"
    if fmt == "json":
        body = json.dumps(export.as_json(), ensure_ascii=False, indent=2).encode("utf-8")
        return send_file(io.BytesIO(body), mimetype="application/json", as_attachment=True,
                         download_name=f"{stem}.json", max_age=0)  # fmt: skip
    html = render_template("cases/access_export.html", export=export)
    pdf = html_to_pdf(html, root=REPORTS_DIR, title=f"Auskunft nach Art. 15 DSGVO – {stem}",
                      created=utcnow().isoformat())  # fmt: skip
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{stem}.pdf", max_age=0)  # fmt: skip


#: The home page names the soonest deletions and counts the rest: a demo or a long-unrun
#: retention job can make thousands due at once (a 800 KB home page at 10,000 cases) ...
SHOWN_WARNINGS = 10
#: ... and counts them up to here, then says "more than": counting the 56,000 due at
#: 100,000 demo cases was the slowest part of the home page (issue 15).
COUNTED_WARNINGS = 1000


@bp.app_template_global("retention_warnings")
def retention_warnings() -> tuple[list[deletion_warnings.Upcoming], int, int]:
    """The soonest deletions of the signed-in counsellor's cases due within 30 days, how
    many there are in all, counted up to :data:`COUNTED_WARNINGS` + 1, and that cap (home
    page)."""
    ctx = context()
    actor = ctx.actor
    if actor is None:
        return [], 0, COUNTED_WARNINGS
    shown = deletion_warnings.upcoming(ctx.session, actor, today(), limit=SHOWN_WARNINGS)
    if len(shown) < SHOWN_WARNINGS:
        return shown, len(shown), COUNTED_WARNINGS
    total = deletion_warnings.count_upcoming(ctx.session, actor, today(), cap=COUNTED_WARNINGS)
    return shown, total, COUNTED_WARNINGS
