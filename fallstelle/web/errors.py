"""Generic German error pages for every 4xx/5xx; never a traceback (SD-12).

One handler per family of refusals a service raises — ``NotAllowed`` (403), a thing not found
or not visible (404), a stale version (409), a rate limit (429) — so a view does not catch
them itself. Every handler first lets the pipeline undo the request's work and commit the
refusal's audit event (``web.pipeline.fail``). Unexpected exceptions are logged server-side
with their request id only; the page shows the status and a plain explanation.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from fallstelle.activities.service import ActivityNotFound
from fallstelle.auth.errors import Conflict, NotAllowed
from fallstelle.auth.ratelimit import RateLimited
from fallstelle.cases.errors import CaseNotFound
from fallstelle.db import storage_fault
from fallstelle.reports.service import NotAllowed as ReportNotAllowed
from fallstelle.reports.service import ReleaseNotFound
from fallstelle.runtime import get_runtime
from fallstelle.store import storage_state
from fallstelle.web import pipeline

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be processed. Please check your input.")),
    403: (_l("Access denied"), _l("You are not allowed to open this page.")),
    404: (_l("Page not found"), _l("This page does not exist. Check the address or go back.")),
    405: (_l("Method not allowed"), _l("This page cannot be used in this way.")),
    409: (
        _l("Conflict"),
        _l("Someone else changed this in the meantime. Please reload and try again."),
    ),
    413: (_l("Too large"), _l("The upload or form is larger than allowed.")),
    429: (_l("Too many requests"), _l("Too many attempts. Please wait a moment and try again.")),
    503: (
        _l("Storage not writable – please inform the administration"),
        _l("The data cannot be saved at the moment. Nothing was saved. Please try again later."),
    ),
    507: (
        _l("Storage full – please inform the administration"),
        _l("The storage of this installation is full. Nothing was saved."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An internal error occurred. Nothing was saved. Please try again later."),
    ),
}
STORAGE_STATUS = {"full": 507, "read_only": 503}
CSRF_MESSAGE = _l(
    "The form has expired or is incomplete. Please reload the page and submit it again."
)


def render_error(
    code: int, message: str | None = None, template: str = "error.html"
) -> tuple[str, int]:
    shown = code if code in MESSAGES else (500 if code >= 500 else 400)
    title, text = MESSAGES[shown]
    return render_template(template, code=code, title=title, text=message or text), code


#: Refusals of the rooms and the status each family answers with.
REFUSALS: tuple[tuple[type[Exception], int], ...] = (
    (NotAllowed, 403),
    (CaseNotFound, 404),
    (ActivityNotFound, 404),
    (ReleaseNotFound, 404),
    (ReportNotAllowed, 403),
    (Conflict, 409),
)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> tuple[str, int]:
        from fallstelle.web.guard import audit_denied

        audit_denied("csrf.fail", "missing_or_invalid_token")  # SD-11
        pipeline.fail()
        return render_error(400, str(CSRF_MESSAGE))

    def _refused(exc: Exception) -> tuple[str, int]:
        pipeline.fail()
        return render_error(next(code for kind, code in REFUSALS if isinstance(exc, kind)))

    for kind, _code in REFUSALS:
        app.register_error_handler(kind, _refused)

    @app.errorhandler(RateLimited)
    def _limited(exc: RateLimited) -> tuple[str, int, dict[str, str]]:
        pipeline.fail()
        page, code = render_error(429)
        return page, code, {"Retry-After": str(exc.retry_after)}

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[str, int]:
        pipeline.fail()
        if isinstance(exc, InternalServerError) and exc.original_exception is not None:
            return _storage(exc.original_exception) or render_error(500)  # a failed commit
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        pipeline.fail()
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return render_error(exc.code or 500)
        page = _storage(exc)
        if page is not None:
            return page
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return render_error(InternalServerError.code)


def _storage(exc: BaseException) -> tuple[str, int] | None:
    """A full disk (507) or a read-only database (503): a page that says so, /health too."""
    kind = storage_fault(exc)
    if kind is None and isinstance(exc, OSError | SQLAlchemyError):
        # SQLite on a read-only mount fails earlier and says so less clearly ("unable to
        # open database file"): ask the file system.
        kind = storage_state(get_runtime().settings.data_dir)
    if kind is None:
        return None
    pipeline.note_storage_fault(kind)
    log.error("storage fault: %s (%s)", kind, type(exc).__name__)
    return render_error(STORAGE_STATUS[kind], template="storage_error.html")
