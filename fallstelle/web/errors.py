"""Generic German error pages for every 4xx/5xx; never a traceback (SD-12).

Unexpected exceptions are logged server-side with their request id only; the page shows the
status and a plain explanation.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

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
    500: (
        _l("Something went wrong"),
        _l("An internal error occurred. Nothing was saved. Please try again later."),
    ),
}
CSRF_MESSAGE = _l(
    "The form has expired or is incomplete. Please reload the page and submit it again."
)


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    shown = code if code in MESSAGES else (500 if code >= 500 else 400)
    title, text = MESSAGES[shown]
    return render_template("error.html", code=code, title=title, text=message or text), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> tuple[str, int]:
        from fallstelle.web.guard import audit_denied

        audit_denied("csrf.fail", "missing_or_invalid_token")  # SD-11
        return render_error(400, str(CSRF_MESSAGE))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[str, int]:
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return render_error(exc.code or 500)
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return render_error(InternalServerError.code)
