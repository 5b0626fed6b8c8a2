"""The web room: request pipeline, blueprints, templates. The only room that imports Flask.

Views stay thin: they parse the request, call one service function with the request
context's session and actor, and render; the pipeline (``web.pipeline``) commits.
"""

from __future__ import annotations

from flask import Flask

import fallstelle
from fallstelle.config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Wire the request pipeline in order: store, locale, CSRF, headers, errors, views."""
    from fallstelle import runtime
    from fallstelle.web import (
        activities,
        admin,
        admin_data,  # noqa: F401 - its routes join admin.bp before registration
        admin_privacy,
        audit,
        audit_words,
        auth,
        case_corrections,  # noqa: F401 - its routes join cases.bp before registration
        case_edits,  # noqa: F401 - its routes join cases.bp before registration
        case_entries,  # noqa: F401 - its routes join cases.bp before registration
        case_form_pages,  # noqa: F401 - its routes join cases.bp before registration
        case_history,  # noqa: F401 - its routes join cases.bp before registration
        case_rights,  # noqa: F401 - its routes join cases.bp before registration
        case_search,  # noqa: F401 - its routes join cases.bp before registration
        cases,
        errors,
        guard,
        handbook,
        i18n,
        links,
        main,
        pipeline,
        reports,
        requestlog,
        retention_admin,  # noqa: F401 - its routes join admin.bp before registration
        security,
        template_messages,
    )
    from fallstelle.web.sessions import ServerSessionInterface

    template_messages.init_app(app)  # before anything builds app.jinja_env
    runtime.init_app(app, settings)  # first: sessions and CSRF need the keys
    requestlog.init_app(app)
    app.jinja_env.globals["fallstelle_version"] = fallstelle.__version__  # footer
    links.init_app(app)
    app.session_interface = ServerSessionInterface()
    pipeline.init_app(app)
    i18n.init_app(app)
    audit_words.init_app(app)
    security.init_app(app, settings)
    guard.init_app(app)
    errors.init_app(app)
    blueprints = (main.bp, auth.bp, admin.bp, admin_privacy.bp, audit.bp, cases.bp, reports.bp,
                  activities.bp, handbook.bp)  # fmt: skip
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
