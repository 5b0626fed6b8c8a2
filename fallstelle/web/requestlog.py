"""One log line per request, without personal data (LOG-3), to the ``fallstelle.request`` logger.

    request id=3f2a9c0d1e4b5a67 method=POST endpoint=cases.status status=302 ms=41

``id`` is the request id the request's audit events carry (``audit_events.request_id``), so
an operator can go from a slow or failing request to what it did, and an auditor from an
event to its request. The line never holds the path (it can carry a case id or an
enrolment token), the query, the client address, the user or any header: the endpoint
name says which page, the audit log says who. ``run.py`` sends it to stderr (journald
under systemd).
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from fallstelle.web.guard import request_id

log = logging.getLogger("fallstelle.request")


def _started() -> None:
    g.request_started = time.perf_counter()


def _log(response: Response) -> Response:
    if log.isEnabledFor(logging.INFO):
        started = g.get("request_started")
        ms = round((time.perf_counter() - started) * 1000) if started is not None else -1
        # Only values the server chose: the method is one of a fixed few, the endpoint a
        # name from the URL map; anything else is written as "-" (LOG-9: no injection).
        method = request.method if request.method.isalpha() else "-"
        log.info(
            "request id=%s method=%s endpoint=%s status=%d ms=%d",
            request_id(),
            method[:10],
            request.endpoint or "-",
            response.status_code,
            ms,
        )
    return response


def init_app(app: Flask) -> None:
    """Register first, so the time covers the other hooks and the view."""
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_log)
