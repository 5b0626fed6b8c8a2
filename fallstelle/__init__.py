"""fallstelle: case management for anti-discrimination counselling offices.

:func:`create_app` is the one composition root (STYLE.md). Importing this package does
nothing else; no setting or secret has a default value that would let it run unconfigured.
"""

from __future__ import annotations

from flask import Flask

from fallstelle.config import Settings

__all__ = ["Settings", "__version__", "create_app"]

#: The one place the version is written (pyproject.toml, footer, ``--version`` read it).
__version__ = "0.2.0.dev0"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the WSGI application for ``settings`` (default: read from the environment).

    Keys and database are opened on first use (``web.runtime``), so ``flask --app fallstelle
    init`` can run before either exists; ``run.py`` opens them before it serves, so a refusal
    stops the process before the first request.

    Raises:
        ConfigError: a malformed ``FALLSTELLE_*`` variable.
    """
    from fallstelle import cli, web

    settings = settings if settings is not None else Settings.from_env()
    app = Flask(__name__, static_folder="web/static", template_folder="web/templates")
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.https,
        PREFERRED_URL_SCHEME="https" if settings.https else "http",
        TEMPLATES_AUTO_RELOAD=False,
        # Never debug mode, whatever FLASK_DEBUG says: it would show tracebacks (issue 16).
        DEBUG=False,
    )
    web.init_app(app, settings)
    cli.init_app(app)
    return app
