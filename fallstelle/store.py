"""Open an installation (keys + database) or create it; refuse when the two do not fit.

Imports ``config``, ``db``, ``keyfiles``, ``crypto``, ``errors``, SQLAlchemy and Alembic.
The order of :func:`open_store` is the order of SECURITY.md "Start-up refusals": everything
that can refuse is checked with read-only access (SQLite is opened with ``mode=ro``), and
only after every check passed may anything be written. There is never a plaintext fallback.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, insert, inspect, make_url, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from fallstelle import crypto, db, keyfiles
from fallstelle.config import Settings
from fallstelle.errors import ConfigError


@dataclass(frozen=True)
class Store:
    """An open installation: checked keys, an engine with asserted pragmas, session factories.

    ``sessions`` write (every command, every request that changes something); ``read_sessions``
    cannot write and never wait for the write lock (``db.make_engine(read_only=True)``): the
    web pipeline gives them to requests that only read.
    """

    settings: Settings
    keys: keyfiles.KeyMaterial
    engine: Engine
    sessions: sessionmaker[Session]
    read_engine: Engine
    read_sessions: sessionmaker[Session]

    def close(self) -> None:
        """Fold the SQLite WAL into the database file, then close every pooled connection.

        A clean stop thus leaves whole files at rest (issue 12: copies of ``fallstelle.db``
        taken after a stop lost cases that lived only in ``fallstelle.db-wal``). Readers that
        still hold a snapshot may delay it by a second at most; then the WAL stays, intact.
        """
        self.read_engine.dispose()
        # Closing must go on even when the checkpoint cannot (a read-only or full disk).
        with contextlib.suppress(Exception):
            db.checkpoint(self.engine, wait_ms=1000)
        self.engine.dispose()


#: Less free space than this in the data directory counts as a full disk for ``/health``.
LOW_SPACE_BYTES = 256 * 1024


def storage_state(data_dir: Path) -> str | None:
    """Return ``"full"`` or ``"read_only"`` when the data directory cannot take writes."""
    probe = data_dir if data_dir.exists() else data_dir.parent
    try:
        stats = os.statvfs(probe)
    except (OSError, AttributeError):  # no statvfs (Windows) or no directory: no verdict
        return None
    if stats.f_flag & os.ST_RDONLY:
        return "read_only"
    if stats.f_bavail * stats.f_frsize < LOW_SPACE_BYTES:
        return "full"
    return None


def alembic_config(connection: Any = None, keys: keyfiles.KeyMaterial | None = None) -> Config:
    """Return the Alembic configuration of the packaged migrations.

    ``keys`` reach the migrations that must re-seal data: 0012 seals an existing audit log
    with the chain key; 0013 re-wraps every case key and re-computes the blind indexes (such a
    migration refuses to run on rows without them). The keys never leave the process: they
    are handed over in memory, as the connection is.
    """
    cfg = Config()
    cfg.set_main_option("script_location", "fallstelle:migrations")
    cfg.attributes["connection"] = connection
    if keys is not None:
        cfg.attributes["audit_chain_key"] = keys.audit_chain_key
    cfg.attributes["keys"] = keys
    return cfg


@functools.cache
def head_revision() -> str:
    """The packaged migrations' head (read once: the scripts do not change while a process
    runs, and reading them took 60 ms of every start and every test's installation)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # noqa: S101 - the package always ships migrations
    return head


def sqlite_path(settings: Settings) -> Path | None:
    """Return the SQLite file of the settings, or None for PostgreSQL."""
    if not settings.is_sqlite:
        return None
    database = make_url(settings.database_url).database
    return Path(database) if database else None


def _read_only_engine(settings: Settings, url: str | None = None) -> Engine:
    path = sqlite_path(settings)
    if path is not None:
        # mode=ro writes nothing to the database; without a -wal file (clean shutdown) add
        # immutable=1 so SQLite does not even create -wal/-shm: a refusal leaves no new file.
        wal = path.with_name(path.name + "-wal")
        uri = f"file:{path.as_posix()}?mode=ro" + ("" if wal.exists() else "&immutable=1")
        return create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool
        )
    return create_engine(url or settings.database_url, poolclass=NullPool)


@dataclass(frozen=True)
class DatabaseState:
    exists: bool
    revision: str | None
    key_checks: dict[str, bytes]
    #: The audit log is keyed (migration 0012 ran): its chain key must exist, never be new.
    keyed: bool = False


def inspect_database(settings: Settings, url: str | None = None) -> DatabaseState:
    """Look at the database without writing anything (not even creating the file).

    ``url``: look as this role (``init`` looks as the owner), default the app's own URL.

    Raises:
        ConfigError: the database cannot be reached.
    """
    path = sqlite_path(settings)
    if path is not None and (not path.is_file() or path.stat().st_size == 0):
        return DatabaseState(False, None, {})
    engine = _read_only_engine(settings, url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            tables = set(inspector.get_table_names())
            if "alembic_version" not in tables:
                return DatabaseState(False, None, {})
            revision = MigrationContext.configure(conn).get_current_revision()
            checks: dict[str, bytes] = {}
            if "key_checks" in tables:
                rows = conn.execute(select(db.KeyCheck.kid, db.KeyCheck.kcv))
                checks = {kid: bytes(kcv) for kid, kcv in rows}
            keyed = "audit_events" in tables and any(
                c["name"] == "mac" for c in inspector.get_columns("audit_events")
            )
            conn.rollback()
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(
            f"database not reachable at {_where(settings)}: {_reason(exc)}; check "
            "FALLSTELLE_DATABASE_URL and that the database server runs"
        ) from None
    finally:
        engine.dispose()
    return DatabaseState(True, revision, checks, keyed)


def _reason(exc: Exception) -> str:
    """The driver's own first line (e.g. "connection refused"), never a password."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else 'no details'}"[:300]


def check_keys_fit(keys: keyfiles.KeyMaterial, state: DatabaseState) -> None:
    """Refuse keys that are not the ones this database was made with (ENC-12).

    Raises:
        ConfigError: a KEK without a matching key-check value, or a database KEK missing.
    """
    ring = keys.keyring
    for kid, kek in ring.keks.items():
        kcv = state.key_checks.get(kid.hex())
        if kcv is None:
            if kid in keys.staged:  # ``keys rotate`` stopped before recording it: it resumes
                continue
            raise ConfigError(f"key {kid.hex()} is not a key of this database (no key-check value)")
        if not crypto.verify_key_check_value(kek, kid, kcv):
            raise ConfigError(f"wrong key for this database: key {kid.hex()} fails its key check")
    for kid_hex in state.key_checks:
        kid = bytes.fromhex(kid_hex)
        if kid not in ring.keks and kid not in keys.retired:
            raise ConfigError(f"key file missing: the database needs key {kid_hex}")


def preflight(settings: Settings) -> tuple[keyfiles.KeyMaterial, DatabaseState]:
    """Check keys and database without writing anything.

    Raises:
        ConfigError: any refusal of SECURITY.md "Start-up refusals".
    """
    keys = keyfiles.load_keys(settings.keys_dir)
    state = inspect_database(settings)
    if not state.exists:
        raise ConfigError(
            f"no database at {_where(settings)}: run `flask --app fallstelle init` to create one"
        )
    check_keys_fit(keys, state)
    return keys, state


def _where(settings: Settings) -> str:
    path = sqlite_path(settings)
    return str(path) if path is not None else make_url(settings.database_url).render_as_string()


def open_store(settings: Settings, *, migrate: bool = False) -> Store:
    """Check everything, then open the database; migrate only when asked to.

    Raises:
        ConfigError: a refusal, an unmigrated schema (with ``migrate=False``), or a pragma
            that does not hold.
    """
    keys, state = preflight(settings)
    head = head_revision()
    if state.revision != head:
        if not migrate:
            raise ConfigError(
                f"database schema is at {state.revision}, this version needs {head}: "
                "run `flask --app fallstelle init`"
            )
        owner = _owner_engine(settings)
        try:
            with owner.begin() as conn:
                command.upgrade(alembic_config(conn, keys), "head")
                _grant_app_role(conn, settings)
        finally:
            owner.dispose()
    engine = db.make_engine(settings)
    db.assert_pragmas(engine)
    reader = db.make_engine(settings, read_only=True)
    info = {db.KEYS_INFO: keys, db.SETTINGS_INFO: settings}
    return Store(
        settings,
        keys,
        engine,
        db.make_sessionmaker(engine, info),
        reader,
        db.make_sessionmaker(reader, info),
    )


def _owner_engine(settings: Settings) -> Engine:
    """The engine migrations run on: the owner URL when one is set, else the app's."""
    return db.make_engine(replace(settings, database_url=settings.owner_url))


#: What the app role may do on PostgreSQL (SECURITY.md "Least privilege"): it owns nothing,
#: so it can neither ALTER a table nor DISABLE a trigger; the audit tables take no UPDATE
#: (but the head, the chain's lock row) and no DELETE (but events, which the trigger lets go
#: only for a purged epoch).
APP_GRANTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    "REVOKE UPDATE ON audit_events, audit_checkpoints, audit_purges FROM {role}",
    "REVOKE DELETE ON audit_checkpoints, audit_purges, audit_head FROM {role}",
    "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema} FROM {role}",
    "REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",
)


def _grant_app_role(conn: Connection, settings: Settings) -> str | None:
    """Give the app's role (the user of FALLSTELLE_DATABASE_URL) least privilege.

    Only on PostgreSQL with a separate owner URL; returns the role's name when it granted.
    """
    if settings.migration_database_url is None or conn.dialect.name != "postgresql":
        return None
    role = make_url(settings.database_url).username
    owner = make_url(settings.migration_database_url).username
    if not role or role == owner:
        return None
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    quote = conn.dialect.identifier_preparer.quote
    for statement in APP_GRANTS:
        conn.exec_driver_sql(statement.format(schema=quote(str(schema)), role=quote(role)))
    return role


def initialise(settings: Settings) -> list[str]:
    """Create what is missing (keys, database, schema) and say what was done.

    Returns the lines to print; an empty list means nothing needed doing.

    Raises:
        ConfigError: a database exists but its keys do not (new keys would make its cases
            unreadable), or any refusal of :func:`preflight`.
    """
    done: list[str] = []
    state = inspect_database(settings, settings.owner_url)
    if keyfiles.keys_present(settings.keys_dir):
        if not state.keyed and keyfiles.add_chain_key(settings.keys_dir):
            # Upgrade: the log is not keyed yet, so a new chain key cannot disagree with it.
            done.append(f"created {settings.keys_dir / keyfiles.AUDIT_CHAIN}")
        keys = keyfiles.load_keys(settings.keys_dir)
    elif state.exists:
        raise ConfigError(
            f"keys directory missing or empty: {settings.keys_dir}; the database at "
            f"{_where(settings)} exists and new keys would not open it: restore keys/ from "
            "your backup (or set FALLSTELLE_KEYS_DIR to where they are)"
        )
    else:
        keys = keyfiles.create_keys(settings.keys_dir)
        done.append(f"created keys in {settings.keys_dir}")
    if state.exists:
        check_keys_fit(keys, state)
    path = sqlite_path(settings)
    if path is not None and not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    head = head_revision()
    engine = _owner_engine(settings)
    try:
        # Schema and key-check values in one transaction: a database never exists without
        # the values that tie it to its keys.
        with engine.begin() as conn:
            if state.revision != head:
                command.upgrade(alembic_config(conn, keys), "head")
                done.append(
                    f"created database at {_where(settings)}"
                    if not state.exists
                    else f"migrated database from {state.revision} to {head}"
                )
            if not state.exists:
                conn.execute(
                    insert(db.KeyCheck),
                    [
                        {"kid": kid.hex(), "kcv": crypto.key_check_value(kek, kid)}
                        for kid, kek in keys.keyring.keks.items()
                    ],
                )
            role = _grant_app_role(conn, settings)
            if role is not None:
                done.append(f"granted the app role {role} least privilege (SECURITY.md)")
            elif state.revision != head and conn.dialect.name == "postgresql":
                app_role = make_url(settings.database_url).username
                done.append(
                    f"note: migrated as the app's own role {app_role}, which owns the tables "
                    "and could switch the audit triggers off; set "
                    "FALLSTELLE_MIGRATION_DATABASE_URL to an owner role (README, PostgreSQL)"
                )
        db.assert_pragmas(engine)
    finally:
        engine.dispose()
    return done
