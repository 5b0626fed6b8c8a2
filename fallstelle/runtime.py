"""The open installation of one app process: settings, the store, the audit group commit.

The store (keys, engines) is opened once per process, on first use or by ``run.py`` before it
serves; it is derived entirely from files and the database, so two processes on one
PostgreSQL database agree. Shared by the web pipeline (``web.pipeline``) and the command
line (``cli``), which is why it lives beside ``create_app`` and not in ``web/``. Imports
Flask only for the application object it is attached to.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app

from fallstelle.audit import service as audit_service
from fallstelle.audit.group import GroupCommit
from fallstelle.config import Settings
from fallstelle.store import Store, open_store, sqlite_path

EXTENSION = "fallstelle"


class Runtime:
    """Holds the settings and, once opened, the :class:`~fallstelle.store.Store`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._group: GroupCommit | None = None
        self._lock = threading.Lock()
        #: ``"full"`` or ``"read_only"`` after a request failed on storage, until a commit
        #: goes through again (``web.pipeline``); ``/health`` reports it.
        self.storage_fault: str | None = None

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
                audit_service.listen_on(store.sessions)
                audit_service.listen_on(store.read_sessions)
                app.secret_key = store.keys.secret_key
                self._group = GroupCommit(store.sessions, _writer_lock(self.settings))
                self._store = store
            return self._store

    def release(self) -> None:
        """Close the pooled connections before a fork (``run.py --workers``): a connection
        must never be shared by two processes. The store stays usable; each process opens
        connections of its own on first use."""
        with self._lock:
            if self._store is not None:
                self._store.read_engine.dispose()
                self._store.engine.dispose()

    def forked(self) -> None:
        """In a new worker process: a lock and a group commit of its own (the parent's queue
        and leader belong to the parent's threads)."""
        self._lock = threading.Lock()
        if self._store is not None:
            self._group = GroupCommit(self._store.sessions, _writer_lock(self.settings))

    @property
    def is_open(self) -> bool:
        return self._store is not None

    @property
    def group(self) -> GroupCommit:
        """The group commit of audit events of read-only requests (store must be open)."""
        assert self._group is not None  # noqa: S101 - open() ran: the pipeline opens first
        return self._group

    def close(self) -> None:
        """Close the store's connections (tests; a server process simply ends)."""
        with self._lock:
            if self._store is not None:
                self._store.close()


def _writer_lock(settings: Settings) -> Path:
    """The file the group commits of several processes on this machine take in turn (next
    to a SQLite database, else in the data directory). On PostgreSQL the chain lock alone
    keeps the chain whole; the file makes a waiting process collect what arrives meanwhile
    into its next batch instead of waiting in the database with a smaller one, and carries
    the last writer's head as a hint for the next one (``audit.pg_append.read_hint``)."""
    database = sqlite_path(settings)
    if database is None:
        return settings.data_dir / "audit-writer.lock"
    return database.with_name(database.name + "-writer.lock")


def get_runtime(app: Flask | None = None) -> Runtime:
    runtime = (app or current_app).extensions[EXTENSION]
    assert isinstance(runtime, Runtime)  # noqa: S101 - set by init_app, type narrowing only
    return runtime


def get_store() -> Store:
    """Return the open store of the current app, opening it if needed."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return get_runtime(app).open(app)


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = Runtime(settings)
