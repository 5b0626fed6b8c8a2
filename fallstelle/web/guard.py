"""Default deny: every endpoint needs a permission unless it is on the short public list.

A view is marked with :func:`public` or :func:`require`; an unmarked view answers 403 to
everyone, so a forgotten decorator fails closed (SD-3). ``tests/web/test_guard.py`` walks
``app.url_map`` and proves every endpoint is marked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask.globals import request_ctx
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.auth.service import actor_from_rows, load_actor
from fallstelle.runtime import get_runtime
from fallstelle.web.pipeline import context

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ATTR = "_fallstelle_public"
PERMISSION_ATTR = "_fallstelle_permission"
#: Endpoints outside any blueprint that are public by nature.
PUBLIC_ENDPOINTS = frozenset({"static"})


def public(view: F) -> F:
    """Mark a view as reachable without signing in (login, enrolment, static, health)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def require(permission: Permission) -> Callable[[F], F]:
    """Mark a view as needing ``permission``; services still check the object."""

    def mark(view: F) -> F:
        setattr(view, PERMISSION_ATTR, permission)
        return view

    return mark


def load_signed_in_actor(db: Session) -> Actor | None:
    """Load the actor of this request's session (password and 2FA done), or None."""
    uid = session.get("uid")
    if not uid or session.get("stage") != "full":
        return None
    read = g.pop("fallstelle_session_actor", None)
    if read is not None and read[0] is db and read[1] == uid:
        # Read with the session row in this request's transaction (a read request).
        actor = actor_from_rows(db, uid, read[2])
    else:  # a change loads it in its own writing transaction
        actor = load_actor(db, uid)
    if actor is None:  # disabled or reset meanwhile
        session.clear()
    return actor


def current_actor() -> Actor | None:
    """Return the signed-in actor, loaded once per request (``RequestContext.actor``)."""
    return context().actor


def session_problem_message() -> str | None:
    """Return why the session cookie of this request was not accepted, for the user."""
    if g.get("session_problem") == "expired":
        return str(_("Your session has expired. Please sign in again."))
    if g.get("session_problem") == "unknown":
        return str(_("Please sign in again."))
    return None


def request_id() -> str:
    """Return this request's id: a fresh random one (a client-sent header is not trusted)."""
    return context().request_id


def audit_denied(action: str, reason: str) -> None:
    """Record a refusal of this endpoint; the pipeline commits it whatever follows."""
    context().audit(
        action,
        outcome="denied",
        reason=reason,
        object_type="endpoint",
        object_id=(request.endpoint or "")[:128],
    )


def check_access() -> BaseResponse | None:
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None  # 404/405 follow, or a static file
    view = current_app.view_functions[endpoint]
    if getattr(view, PUBLIC_ATTR, False):
        return None
    permission = getattr(view, PERMISSION_ATTR, None)
    if permission is None:
        audit_denied("access.denied", "unmarked_endpoint")
        abort(403)
    actor = current_actor()
    if actor is None:
        problem = session_problem_message()
        if problem is not None:
            flash(problem, "info")
        return redirect(url_for("auth.login"))
    if not actor.can(permission):
        audit_denied("access.denied", "missing_permission")
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(check_access)

    @app.context_processor
    def _actor() -> dict[str, Any]:
        # An error page rendered before the store opened has no session and no actor.
        # ... nor does one whose session could not load (an unreadable database, issue 12).
        ready = (
            get_runtime().is_open
            and request.endpoint != "static"
            and request_ctx._session is not None
        )
        return {"actor": current_actor() if ready else None, "Permission": Permission}
