"""The open installation of one app process and the database session of one request.

The store (keys, engine) is opened once per process, on first use or by ``run.py`` before it
serves; it is derived entirely from files and the database, so two processes on one
PostgreSQL database agree. Views get their session from :func:`db_session` and commit once
with :func:`commit`; the teardown rolls back whatever was not committed.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from fallstelle.audit import service as audit_service
from fallstelle.config import Settings
from fallstelle.store import Store, open_store

EXTENSION = "fallstelle"


class Runtime:
    """Holds the settings and, once opened, the :class:`~fallstelle.store.Store`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._lock = threading.Lock()

    def open(self, app: Flask, *, migrate: bool = False) -> Store:
        """Open keys and database (once); the secret key comes from the keys directory.

        Raises:
            ConfigError: any start-up refusal.
        """
        with self._lock:
            if self._store is None:
                store = open_store(self.settings, migrate=migrate)
                # Sign an audit checkpoint every 1000 events (issue 4, LOG-7).
                audit_service.enable_checkpoints(store.sessions, store.keys.audit_signing_key)
                app.secret_key = store.keys.secret_key
                self._store = store
            return self._store

    @property
    def is_open(self) -> bool:
        return self._store is not None


def get_runtime(app: Flask | None = None) -> Runtime:
    runtime = (app or current_app).extensions[EXTENSION]
    assert isinstance(runtime, Runtime)  # noqa: S101 - set by init_app, type narrowing only
    return runtime


def get_store() -> Store:
    """Return the open store of the current app, opening it if needed."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return get_runtime(app).open(app)


def db_session() -> Session:
    """Return this request's database session (created on first use)."""
    if "db_session" not in g:
        g.db_session = get_store().sessions()
    session: Session = g.db_session
    return session


def commit() -> None:
    """Commit this request's work: once per request, before the response is rendered."""
    if "db_session" in g:
        g.db_session.commit()


def close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def init_app(app: Flask, settings: Settings) -> None:
    from fallstelle.web.sessions import ServerSessionInterface

    app.extensions[EXTENSION] = Runtime(settings)
    app.session_interface = ServerSessionInterface()

    app.teardown_appcontext(close_session)
