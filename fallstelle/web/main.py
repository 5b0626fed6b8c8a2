"""Public pages of every installation: start page, language switch, health check."""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response as BaseResponse

from fallstelle.runtime import get_runtime
from fallstelle.store import storage_state
from fallstelle.web import i18n
from fallstelle.web.guard import public
from fallstelle.web.pipeline import db_session

bp = Blueprint("main", __name__)
LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.\-]*")


@bp.post("/sprache")
@public
def set_language() -> BaseResponse:
    """Remember the chosen language and return to the page it was chosen on.

    ``next`` must be a path on this site; anything else goes to the start page, so the
    switch cannot be used as an open redirect.
    """
    choice = request.form.get("lang", "")
    target = request.form.get("next", "")
    if not LOCAL_PATH.fullmatch(target):
        target = url_for("auth.home")
    response = redirect(target, code=303)
    if choice in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            choice,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
        )
    return response


@bp.get("/health")
@public
def health() -> tuple[Response, int]:
    """Report whether the database answers and the storage takes writes; names no version
    and no data. ``storage`` is ``full`` or ``read_only`` when a write failed for that
    reason and none went through since, or when the data directory has (almost) no space
    left or is mounted read-only."""
    runtime = get_runtime()
    problem = runtime.storage_fault or storage_state(runtime.settings.data_dir)
    try:
        db_session().execute(text("SELECT 1"))
    except Exception:
        answer = {"status": "unavailable"} | ({"storage": problem} if problem else {})
        return jsonify(answer), 503
    if problem is not None:
        return jsonify(status="unavailable", storage=problem), 503
    return jsonify(status="ok"), 200
