"""Sign-in (password, then 2FA code), sign-out, enrolment links, own password, home page.

Views stay thin: they parse the form, call one ``fallstelle.auth`` function and render; the
pipeline commits every step's audit event with it, refusals (401, 429) included. The
enrolment links change data when opened (``pipeline.writes``).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from fallstelle import crypto
from fallstelle.auth import login, throttle, totp
from fallstelle.auth.errors import AuthRefused, Invalid
from fallstelle.auth.permissions import Permission
from fallstelle.db import utcnow
from fallstelle.runtime import get_store
from fallstelle.web.forms import (
    ChangePasswordForm,
    CodeForm,
    FirstAdminForm,
    LoginForm,
    NewPasswordForm,
)
from fallstelle.web.guard import (
    current_actor,
    public,
    request_id,
    require,
    session_problem_message,
)
from fallstelle.web.pipeline import context, db_session, writes
from fallstelle.web.sessions import ServerSession

bp = Blueprint("auth", __name__)
Page = str | BaseResponse | tuple[str, int]


def auth_request() -> login.Request:
    store = get_store()
    pepper = store.keys.pepper
    client = throttle.client_key(
        crypto.derive_key(pepper, "client-address"), request.remote_addr or "unknown"
    )
    return login.Request(
        pepper=pepper,
        rounds=store.settings.bcrypt_rounds,
        now=utcnow(),
        client_key=client,
        request_id=request_id(),
    )


def _server_session() -> ServerSession:
    current = session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(current, ServerSession)  # noqa: S101
    return current


def _refusal_message(reason: str) -> str:
    if reason == "throttled":
        return str(_("Too many failed attempts. Please wait one minute and try again."))
    if reason in ("wrong_code", "reused_code"):
        return str(_("The code is not correct or was already used. Please wait for the next code."))
    return str(_("Username or password is wrong."))


@bp.route("/anmelden", methods=["GET", "POST"], endpoint="login")
@public
def login_view() -> Page:
    if current_actor() is not None:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            uid = login.check_password(
                db_session(), auth_request(), form.username.data or "", form.password.data or ""
            )
        except AuthRefused as refused:
            flash(_refusal_message(refused.reason), "error")
            status = 429 if refused.reason == "throttled" else 401
        else:
            _server_session().regenerate()
            session.clear()
            session.update(uid=uid, stage="password")
            return redirect(url_for("auth.login_code"))
    elif (problem := session_problem_message()) is not None:
        flash(problem, "info")
    return render_template("auth/login.html", form=form), status


@bp.route("/anmelden/code", methods=["GET", "POST"])
@public
def login_code() -> Page:
    uid = session.get("uid")
    if not uid or session.get("stage") != "password":
        return redirect(url_for("auth.login"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            login.check_code(db_session(), auth_request(), uid, form.code.data or "")
        except AuthRefused as refused:
            if refused.reason == "disabled":
                _server_session().destroy()
                return redirect(url_for("auth.login"))
            flash(_refusal_message(refused.reason), "error")
            status = 429 if refused.reason == "throttled" else 401
        else:
            _server_session().regenerate()
            session.update(stage="full")
            return redirect(url_for("auth.home"))
    return render_template("auth/code.html", form=form), status


@bp.post("/abmelden")
@require(Permission.ACCOUNT_SELF)
def logout() -> BaseResponse:
    context().audit("auth.logout")
    _server_session().destroy()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/")
@require(Permission.ACCOUNT_SELF)
def home() -> str:
    actor = current_actor()
    board = None
    if actor is not None and actor.can(Permission.CASE_READ):
        from fallstelle.web.cases import dashboard

        board = dashboard(actor)
    return render_template("home.html", board=board)


@bp.route("/einrichten/<token>", methods=["GET", "POST"])
@public
@writes
def enrol(token: str) -> Page:
    req = auth_request()
    try:
        link = login.open_link(db_session(), req, token)
    except AuthRefused as refused:
        return _link_refused(refused.reason)
    first_admin = link.purpose == login.PURPOSE_FIRST_ADMIN and link.user_id is None
    form = FirstAdminForm() if first_admin else NewPasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.repeat.data:
            form.fail("repeat", "mismatch")
        else:
            try:
                context().attempt(
                    lambda: login.set_password_from_link(
                        db_session(),
                        req,
                        token,
                        form.password.data or "",
                        username=(form.username.data or "") if first_admin else "",
                        display_name=(form.display_name.data or "") if first_admin else "",
                    )
                )
            except Invalid as invalid:
                form.fail(invalid.field, invalid.code)
            else:
                return redirect(url_for("auth.enrol_code", token=token))
    return render_template("auth/enrol.html", form=form, first_admin=first_admin)


@bp.route("/einrichten/<token>/code", methods=["GET", "POST"])
@public
@writes
def enrol_code(token: str) -> Page:
    req = auth_request()
    try:
        user, secret = login.pending_secret(db_session(), req, token)
    except AuthRefused as refused:
        if refused.reason == "enrolment_incomplete":
            return redirect(url_for("auth.enrol", token=token))
        return _link_refused(refused.reason)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            uid = login.confirm_enrolment(db_session(), req, token, form.code.data or "")
        except AuthRefused:
            flash(_("The code is not correct. Please check the time on your device."), "error")
            status = 401
        else:
            _server_session().regenerate()
            session.clear()
            session.update(uid=uid, stage="full")
            flash(_("Your account is ready."), "info")
            return redirect(url_for("auth.home"))
    uri = totp.provisioning_uri(secret, user.username)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "auth/enrol_code.html",
        form=form,
        qr=Markup(totp.qr_svg(uri)),  # noqa: S704 - SVG made locally by segno from our own URI
        secret=grouped,
        username=user.username,
    ), status


def _link_refused(reason: str) -> tuple[str, int]:
    messages = {
        "expired_link": _("This link has expired. Please ask your administrator for a new one."),
        "used_link": _(
            "This link has already been used. Please ask your administrator for a new one."
        ),
    }
    text = messages.get(
        reason, _("This link is not valid. Please ask your administrator for a new one.")
    )
    return render_template(
        "auth/link_invalid.html", text=text
    ), 410 if reason != "unknown_link" else 404


@bp.route("/konto/passwort", methods=["GET", "POST"])
@require(Permission.ACCOUNT_SELF)
def change_password() -> Page:
    form = ChangePasswordForm()
    actor = current_actor()
    assert actor is not None and actor.user_id is not None  # noqa: S101 - guarded
    if form.validate_on_submit():
        if form.password.data != form.repeat.data:
            form.fail("repeat", "mismatch")
        else:
            own = _server_session()
            try:
                login.change_password(
                    db_session(),
                    auth_request(),
                    actor.user_id,
                    form.current.data or "",
                    form.password.data or "",
                    keep_session=own.raw_id or "",
                )
            except Invalid as invalid:
                form.fail(invalid.field if invalid.field != "new" else "password", invalid.code)
            else:
                own.regenerate()
                flash(_("Your password has been changed. Other sessions were signed out."), "info")
                return redirect(url_for("auth.home"))
    return render_template("auth/password.html", form=form)
