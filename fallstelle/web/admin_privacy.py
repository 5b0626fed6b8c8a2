"""An office's data protection on the admin pages: its law, the report logo, and the
privacy notice and consent texts, published as versions (issue 16). Staff read a version
by its link, e.g. from a consent on a case."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from fallstelle.auth import service as accounts
from fallstelle.auth.errors import Invalid
from fallstelle.auth.permissions import Permission
from fallstelle.catalogue import privacy, vocab
from fallstelle.clock import today
from fallstelle.web.forms import StrictForm
from fallstelle.web.guard import require
from fallstelle.web.i18n import select_locale
from fallstelle.web.pipeline import context

bp = Blueprint("privacy", __name__)
Page = str | BaseResponse | tuple[str, int]

LAW_CHOICES = [
    ("dsgvo", _l("GDPR and BDSG (most providers)")),
    ("kdg", _l("KDG (Catholic providers, e.g. Caritas, SKM, SkF)")),
    ("dsg_ekd", _l("DSG-EKD (Protestant providers, e.g. Diakonie)")),
]


class LawForm(StrictForm):
    law = SelectField(_l("Data-protection law of the provider"), choices=LAW_CHOICES)


class LogoForm(StrictForm):
    logo = FileField(_l("Logo for the reports (PNG or JPEG, at most 300 KB)"))
    remove = BooleanField(_l("Remove the logo"))


class TextForm(StrictForm):
    body = TextAreaField(
        _l("Wording of the new version"), validators=[DataRequired(), Length(max=20_000)]
    )


def _office(office_id: int) -> object:
    ctx = context()
    try:
        return accounts.get_office(ctx.session, ctx.require_actor(), office_id)
    except LookupError:
        abort(404)


def _kinds(office_id: int) -> list[tuple[str, str]]:
    """The texts an office keeps: one per kind of consent, the privacy notice first."""
    words = vocab.load(context().session, office_id)
    return words.choices("einwilligung", select_locale(), blank=False)


@bp.route("/verwaltung/stellen/<int:office_id>/datenschutz", methods=["GET", "POST"])
@require(Permission.OFFICE_MANAGE)
def settings(office_id: int) -> Page:
    """The office's law and logo, and the current version of each text."""
    ctx = context()
    office = _office(office_id)
    stored = privacy.settings_of(ctx.session, office_id)
    law_form = LawForm(prefix="law", data={"law": stored.law})
    logo_form = LogoForm(prefix="logo")
    status = 200
    if request.method == "POST":
        form = law_form if "law-law" in request.form else logo_form
        if form.validate_on_submit():
            try:
                ctx.attempt(lambda: _save(form, office_id))
            except Invalid as invalid:
                form.fail(invalid.field, invalid.code)
                status = 422
            else:
                flash(_("Saved."), "info")
                return redirect(url_for("privacy.settings", office_id=office_id))
        else:
            status = 422
    current = {t.kind: t for t in reversed(privacy.versions(ctx.session, office_id))}
    return render_template(
        "admin/privacy.html", office=office, law_form=law_form, logo_form=logo_form,
        has_logo=stored.logo is not None, kinds=_kinds(office_id), current=current,
        laws=privacy.LAWS,
    ), status  # fmt: skip


def _save(form: LawForm | LogoForm, office_id: int) -> None:
    ctx = context()
    if isinstance(form, LawForm):
        privacy.set_law(ctx.session, ctx.require_actor(), office_id, form.law.data or "")
        return
    upload = form.logo.data
    data = None if form.remove.data or upload is None else upload.read()
    if data == b"" and not form.remove.data:
        raise Invalid("logo", "required")
    privacy.set_logo(ctx.session, ctx.require_actor(), office_id, data)


@bp.get("/verwaltung/stellen/<int:office_id>/logo")
@require(Permission.OFFICE_MANAGE)
def logo(office_id: int) -> BaseResponse:
    stored = privacy.settings_of(context().session, office_id)
    if stored.logo is None:
        abort(404)
    return BaseResponse(stored.logo, mimetype=stored.logo_type or "application/octet-stream")


@bp.route("/verwaltung/stellen/<int:office_id>/datenschutz/<kind>", methods=["GET", "POST"])
@require(Permission.OFFICE_MANAGE)
def text(office_id: int, kind: str) -> Page:
    """Every version of one text, and a form that publishes the next one."""
    ctx = context()
    office = _office(office_id)
    labels = dict(_kinds(office_id))
    if kind not in labels:
        abort(404)
    law = privacy.settings_of(ctx.session, office_id).law
    latest = privacy.current(ctx.session, office_id, kind)
    form = TextForm(
        data={"body": latest.body if latest is not None else privacy.template(kind, law)}
    )
    status = 200
    if form.validate_on_submit():
        try:
            published = ctx.attempt(
                lambda: privacy.publish(
                    ctx.session, ctx.require_actor(), office_id, kind, form.body.data or "",
                    today(),
                )
            )  # fmt: skip
        except Invalid as invalid:
            form.fail(invalid.field, invalid.code)
            status = 422
        else:
            flash(_("Version %(label)s published.", label=published.label), "info")
            return redirect(url_for("privacy.text", office_id=office_id, kind=kind))
    elif request.method == "POST":
        status = 422
    history = [t for t in privacy.versions(ctx.session, office_id) if t.kind == kind]
    return render_template(
        "admin/privacy_text.html", office=office, kind=kind, kind_label=labels[kind],
        form=form, history=history, law=privacy.LAWS[law], from_template=latest is None,
        laws=privacy.LAWS,
    ), status  # fmt: skip


@bp.get("/datenschutztexte/<int:text_id>")
@require(Permission.ACCOUNT_SELF)
def show(text_id: int) -> str:
    """One published version, for the office's staff (a consent names the version shown)."""
    ctx = context()
    try:
        found = privacy.readable(ctx.session, ctx.require_actor(), text_id)
    except LookupError:
        abort(404)
    labels = dict(_kinds(found.office_id))
    return render_template(
        "privacy_text.html", text=found, kind_label=labels.get(found.kind, found.kind),
        law=privacy.LAWS[found.law],
    )  # fmt: skip
