"""Administration pages: users and offices. An admin never sees or sets a password: new and
reset accounts get a one-time link, shown once."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from fallstelle.auth import service
from fallstelle.auth.actor import Actor
from fallstelle.auth.errors import Conflict, Invalid
from fallstelle.auth.login import enrolment_link
from fallstelle.auth.models import User
from fallstelle.auth.permissions import ROLE_LABELS_DE, Permission, Role
from fallstelle.db import utcnow
from fallstelle.web.forms import ConfirmForm, OfficeForm, UserForm
from fallstelle.web.guard import current_actor, require
from fallstelle.web.pipeline import context, db_session

bp = Blueprint("admin", __name__, url_prefix="/verwaltung")
Page = str | BaseResponse | tuple[str, int]


def signed_in_admin() -> Actor:
    actor = current_actor()
    assert actor is not None  # noqa: S101 - the guard ran
    return actor


def enrolment_url(token: str) -> str:
    # FALLSTELLE_BASE_URL, never the request's Host header: a forged Host would otherwise
    # put an attacker's address in front of a token the admin passes on (issue 11).
    return enrolment_link(context().runtime.settings.base_url, token)


def _version(form: UserForm | OfficeForm) -> int:
    try:
        return int(form.version.data or "")
    except ValueError:
        abort(400)


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=None)
    form.roles.choices = [(r.value, ROLE_LABELS_DE[r]) for r in Role]
    offices = service.list_offices(db_session(), signed_in_admin())
    form.offices.choices = [(o.id, f"{o.code} – {o.name}") for o in offices]
    if user is not None and request.method == "GET":
        form.display_name.data = user.display_name
        form.roles.data = [r.role for r in user.roles]
        form.offices.data = [m.office_id for m in user.memberships]
        form.active.data = user.active
        form.version.data = str(user.version)
    return form


@bp.get("/benutzer")
@require(Permission.USER_MANAGE)
def users() -> str:
    return render_template(
        "admin/users.html",
        users=service.list_users(db_session(), signed_in_admin()),
        role_labels=ROLE_LABELS_DE,
    )


@bp.route("/benutzer/neu", methods=["GET", "POST"])
@require(Permission.USER_MANAGE)
def user_new() -> Page:
    form = _user_form(None)
    if form.validate_on_submit():
        try:
            user, token = context().attempt(
                lambda: service.create_user(
                    db_session(),
                    signed_in_admin(),
                    utcnow(),
                    form.username.data or "",
                    form.display_name.data or "",
                    form.roles.data or [],
                    form.offices.data or [],
                )
            )
        except Invalid as invalid:
            form.fail(invalid.field, invalid.code)
        else:
            return render_template("admin/user_link.html", user=user, link=enrolment_url(token))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/benutzer/<user_id>", methods=["GET", "POST"])
@require(Permission.USER_MANAGE)
def user_edit(user_id: str) -> Page:
    try:
        user = service.get_user(db_session(), signed_in_admin(), user_id)
    except LookupError:
        abort(404)
    form = _user_form(user)
    status = 200
    if form.validate_on_submit():
        if user.active and not form.active.data and form.confirmed.data != "1":
            return _confirm_disable(user.username)
        try:
            context().attempt(
                lambda: service.update_user(
                    db_session(),
                    signed_in_admin(),
                    user_id,
                    _version(form),
                    display_name=form.display_name.data or "",
                    roles=form.roles.data or [],
                    office_ids=form.offices.data or [],
                    active=bool(form.active.data),
                )
            )
        except Invalid as invalid:
            form.fail(invalid.field, invalid.code)
        except Conflict:
            flash(
                _(
                    "Someone else changed this account in the meantime. Your input is shown "
                    "below; please check it and save again."
                ),
                "error",
            )
            form.version.data = str(
                service.get_user(db_session(), signed_in_admin(), user_id).version
            )
            status = 409
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("admin.users"))
    return render_template(
        "admin/user_form.html", form=form, user=user, confirm=ConfirmForm()
    ), status


def _confirm_disable(username: str) -> str:
    """Ask once more before an account is disabled (GOV.UK confirmation): the page repeats
    the input as hidden fields and posts it again with ``confirmed``; nothing changed yet."""
    hidden = [(name, value) for name, values in request.form.lists() for value in values]
    return render_template(
        "cases/confirm.html", hidden=hidden, confirmed="confirmed", back=request.path,
        question=_("Disable the account %(name)s? The person is signed out everywhere and can "
                   "no longer sign in until the account is activated again.", name=username),
        button=_("Yes, disable the account"),
    )  # fmt: skip


@bp.post("/benutzer/<user_id>/zuruecksetzen")
@require(Permission.USER_MANAGE)
def user_reset(user_id: str) -> Page:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        token = service.reset_user(db_session(), signed_in_admin(), utcnow(), user_id)
    except LookupError:
        abort(404)
    user = service.get_user(db_session(), signed_in_admin(), user_id)
    return render_template("admin/user_link.html", user=user, link=enrolment_url(token), reset=True)


@bp.post("/benutzer/<user_id>/abmelden")
@require(Permission.USER_MANAGE)
def user_end_sessions(user_id: str) -> BaseResponse:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.end_sessions(db_session(), signed_in_admin(), user_id)
    except LookupError:
        abort(404)
    flash(_("All sessions of this account have been ended."), "info")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.get("/stellen")
@require(Permission.OFFICE_MANAGE)
def offices() -> str:
    return render_template(
        "admin/offices.html", offices=service.list_offices(db_session(), signed_in_admin())
    )


@bp.route("/stellen/neu", methods=["GET", "POST"])
@require(Permission.OFFICE_MANAGE)
def office_new() -> Page:
    form = OfficeForm()
    if form.validate_on_submit():
        try:
            context().attempt(
                lambda: service.create_office(
                    db_session(),
                    signed_in_admin(),
                    form.code.data or "",
                    form.name.data or "",
                    form.provider.data or "",
                    form.case_visibility.data or "",
                    bool(form.counsellors_may_report.data),
                )
            )
        except Invalid as invalid:
            form.fail(invalid.field, invalid.code)
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("admin.offices"))
    return render_template("admin/office_form.html", form=form, office=None)


@bp.route("/stellen/<int:office_id>", methods=["GET", "POST"])
@require(Permission.OFFICE_MANAGE)
def office_edit(office_id: int) -> Page:
    try:
        office = service.get_office(db_session(), signed_in_admin(), office_id)
    except LookupError:
        abort(404)
    form = OfficeForm(obj=office if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(office.version)
    status = 200
    if form.validate_on_submit():
        try:
            context().attempt(
                lambda: service.update_office(
                    db_session(),
                    signed_in_admin(),
                    office_id,
                    _version(form),
                    name=form.name.data or "",
                    provider=form.provider.data or "",
                    case_visibility=form.case_visibility.data or "",
                    counsellors_may_report=bool(form.counsellors_may_report.data),
                )
            )
        except Invalid as invalid:
            form.fail(invalid.field, invalid.code)
        except Conflict:
            flash(
                _(
                    "Someone else changed this office in the meantime. Your input is shown "
                    "below; please check it and save again."
                ),
                "error",
            )
            status = 409
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("admin.offices"))
    return render_template("admin/office_form.html", form=form, office=office), status
