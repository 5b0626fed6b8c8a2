"""Management's report page: choose period, offices and template, preview the published
tables on screen, then build, store and download the PDF or CSV. Never a case. Per frozen
quarter (Berichtsstand), a confirmation page takes over its counts as they are now (a
revision, :func:`fallstelle.reports.service.revise`).

Every preview, generation and download is audited (in the report service) and committed
before anything is shown or sent. Previews and builds share one per-user rate limit (REL-11,
``web.ratelimit``): past it, the page comes back with 429 and nothing is aggregated or stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from fallstelle.auth import ratelimit
from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.reports import frozen, register_versions, revisions
from fallstelle.reports import service as reports
from fallstelle.reports.disclosure import DisclosureError, Policy
from fallstelle.reports.pdf import ReportRenderError
from fallstelle.reports.periods import BadPeriod
from fallstelle.reports.protect import ReleaseRefused
from fallstelle.web.forms import ConfirmForm, MultiCheckboxField, StrictForm
from fallstelle.web.guard import current_actor, require
from fallstelle.web.pipeline import context, db_session
from fallstelle.web.ratelimit import Headers, refusal

bp = Blueprint("reports", __name__, url_prefix="/berichte")
Page = str | BaseResponse | tuple[str, int] | tuple[str, int, Headers]
T = TypeVar("T")
TEMPLATES = [("funding", _l("Funding report (Sachbericht)")), ("campaign", _l("Campaign report"))]


class ReportForm(StrictForm):
    period = StringField(
        _l("Period"), validators=[DataRequired(), Length(max=7)], render_kw={"placeholder": "2026"}
    )
    offices = MultiCheckboxField(_l("Offices"), coerce=int)
    template = SelectField(_l("Report"), choices=TEMPLATES)


def _actor() -> Actor:
    actor = current_actor()
    assert actor is not None  # noqa: S101 - the guard ran
    return actor


def _form(actor: Actor) -> ReportForm:
    form = ReportForm()
    names = accounts.office_names(db_session(), actor.report_offices)
    form.offices.choices = sorted(names.items(), key=lambda item: item[1])
    if not form.is_submitted():
        form.offices.data = sorted(names)
    return form


def _attempt(form: ReportForm, work: Callable[[], T]) -> T | None:
    """Run a report step; a refusal becomes a message next to the right field."""
    try:
        return context().attempt(work)
    except reports.NotAllowed:
        raise  # 403 (web.errors), its audit event kept
    except BadPeriod:
        form.fail("period", "period_format")
    except reports.NoCases:
        form.fail("period", "no_cases")
    except reports.UnknownOffice:
        form.fail("offices", "office_required")
    except ReleaseRefused:
        form.fail("template", "release_refused")
    except reports.RegisterContradiction:
        form.fail("template", "register_contradiction")
    except (DisclosureError, ReportRenderError, reports.ReportError):
        form.fail("template", "report_failed")
    return None


def _page(
    form: ReportForm, preview: object = None, status: int = 200, headers: Headers | None = None
) -> tuple[str, int, Headers]:
    releases = reports.list_releases(db_session(), _actor())
    quarters = frozen.overview(db_session(), _actor().report_offices)
    names = accounts.office_names(
        db_session(), {i for r in releases for i in r.office_ids} | {q.office_id for q in quarters}
    )
    legacy = register_versions.legacy_count(db_session()) if quarters else 0
    page = render_template("reports/index.html", form=form, preview=preview, releases=releases,
                           office_names=names, frozen=quarters, legacy=legacy)  # fmt: skip
    return page, status, headers or {}


@bp.get("")
@require(Permission.REPORT_GENERATE)
def index() -> Page:
    return _page(_form(_actor()))


def _submit(step: Callable[..., T]) -> tuple[ReportForm, T | None, Headers | None]:
    """Validate the form and run one report step (preview or build) with its choices,
    unless the user is past the rate limit: then the third value is the 429's headers."""
    actor = _actor()
    form = _form(actor)
    if not form.validate_on_submit():
        return form, None, None
    if (refused := refusal(ratelimit.REPORT)) is not None:
        return form, None, refused
    result = _attempt(
        form,
        lambda: step(
            db_session(),
            actor,
            period=form.period.data or "",
            office_ids=form.offices.data or [],
            template=form.template.data or "funding",
        ),
    )
    return form, result, None


@bp.post("/vorschau")
@require(Permission.REPORT_GENERATE)
def preview() -> Page:
    form, view, refused = _submit(reports.preview)
    if refused is not None:
        return _page(form, status=429, headers=refused)
    return _page(form, view) if view is not None else _page(form, status=400)


@bp.post("/erstellen")
@require(Permission.REPORT_GENERATE)
def build() -> Page:
    form, stored, refused = _submit(reports.build_release)
    if refused is not None:
        return _page(form, status=429, headers=refused)
    if stored is None:
        return _page(form, status=400)
    flash(_("The report has been created and stored. It can be downloaded below."), "info")
    return redirect(url_for("reports.index"))


@bp.get("/<uuid:release_id>.<any(pdf, csv):kind>")
@require(Permission.REPORT_GENERATE)
def download(release_id: uuid.UUID, kind: str) -> Response:
    try:
        data = reports.download(db_session(), _actor(), release_id, kind)
    except reports.ReleaseDamaged:
        abort(500)  # its audit event (outcome error) is kept by the pipeline
    # The pipeline commits the download's audit event before the bytes leave.
    mimetype = "application/pdf" if kind == "pdf" else "text/csv"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="bericht-{release_id}.{kind}"'},
    )


@bp.route("/berichtsstand/<int:office_id>/<quarter>", methods=["GET", "POST"])
@require(Permission.REPORT_GENERATE)
def revise(office_id: int, quarter: str) -> Page:
    """Take over a frozen quarter's counts as they are now: a confirmation page (GET), then
    the change (POST with the CSRF token); audited as ``report.revise``."""
    actor, session = _actor(), db_session()
    try:
        planned = context().attempt(
            lambda: revisions.revision_preview(session, actor, office_id, quarter)
        )
    except (revisions.NotFrozen, BadPeriod):
        abort(404)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            done = context().attempt(lambda: revisions.revise(session, actor, office_id, quarter))
        except revisions.NothingToRevise:
            flash(_("Nothing has changed in this quarter since it was frozen."), "info")
            return redirect(url_for("reports.index"))
        flash(_("The new reporting status of this quarter has been taken over (revision "
                "%(n)s). Later reports show its counts as they are now.", n=done.revision),
              "info")  # fmt: skip
        return redirect(url_for("reports.index"))
    name = accounts.office_names(session, {office_id}).get(office_id, str(office_id))
    return render_template("reports/revise.html", form=form, planned=planned, office=name,
                           k=Policy().k)  # fmt: skip
