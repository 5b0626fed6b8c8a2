"""Response headers and CSRF protection for every request (SD-10, SD-11).

The CSP allows only same-origin resources and no inline script or style, so templates link
the self-hosted stylesheet and never use ``style=`` or ``<script>`` inline.
"""

from __future__ import annotations

from flask import Flask, Response, current_app
from flask_wtf.csrf import CSRFProtect

from fallstelle.config import Settings

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
HSTS = "max-age=31536000; includeSubDomains"

csrf = CSRFProtect()


def init_app(app: Flask, settings: Settings) -> None:
    # SSL_STRICT would demand a Referer header, which Referrer-Policy no-referrer removes; the
    # token plus the SameSite=Strict cookie carry the protection.
    app.config.update(WTF_CSRF_TIME_LIMIT=8 * 3600, WTF_CSRF_SSL_STRICT=False)
    csrf.init_app(app)

    @app.context_processor
    def _csrf_ready() -> dict[str, bool]:
        # An error page rendered before the keys are open must not fail on csrf_token().
        return {"csrf_ready": bool(current_app.secret_key)}

    wanted = [*HEADERS.items(), *([("Strict-Transport-Security", HSTS)] if settings.https else [])]

    @app.after_request
    def _headers(response: Response) -> Response:
        # What ``setdefault`` per header did, with one look at the headers instead of one
        # scan of them per header (on every response).
        present = {name.lower() for name in response.headers.keys()}  # noqa: SIM118
        response.headers.extend([(n, v) for n, v in wanted if n.lower() not in present])
        if response.mimetype == "text/html":
            # Case pages must not linger in a shared office computer's browser cache.
            response.headers["Cache-Control"] = "no-store"
        return response
