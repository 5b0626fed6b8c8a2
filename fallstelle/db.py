"""Database engine, declarative base and the base tables every room relies on.

Imports SQLAlchemy, the standard library, ``config`` and ``errors``. SQLite connections get
the pragmas of ARCHITECTURE.md ("Databases") on every connect, and :func:`assert_pragmas`
proves at start-up that they hold (REL-1, SD-14). PostgreSQL is reached with
``postgresql+psycopg://``. Nothing here keeps per-process state that two app processes on one
PostgreSQL database would disagree on.
"""

from __future__ import annotations

import datetime as dt
import errno
import sqlite3
import time
from functools import partial
from typing import Annotated, Any

from sqlalchemy import DateTime, Engine, LargeBinary, MetaData, String, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.orm import Session as Session

from fallstelle import clock
from fallstelle.config import Settings
from fallstelle.errors import ConfigError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Expected SQLite pragma values, read back at start-up. auto_vacuum takes effect only on a
#: database created with it (it is set before the first table exists).
SQLITE_PRAGMAS: dict[str, object] = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: a committed transaction survives power loss in WAL mode
    "foreign_keys": 1,
    "secure_delete": 1,
    "auto_vacuum": 1,  # FULL
    "busy_timeout": 10_000,
}


def utcnow() -> dt.datetime:
    """Return the current time in UTC (timezone-aware): the one clock's (``clock.now``)."""
    return clock.now()


def as_utc(value: dt.datetime) -> dt.datetime:
    """Return ``value`` as an aware UTC datetime (SQLite hands back naive ones)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


UTCDateTime = Annotated[dt.datetime, mapped_column(DateTime(timezone=True))]
Bytes = Annotated[bytes, mapped_column(LargeBinary)]


class Base(DeclarativeBase):
    """Declarative base of every table, with a constraint naming convention for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class KeyCheck(Base):
    """The key-check value of one key-encryption key (ENC-12).

    It lives in the database, not beside the key, so start-up can tell whether the keys in
    the keys directory are the ones this database was encrypted with.
    """

    __tablename__ = "key_checks"

    kid: Mapped[str] = mapped_column(String(8), primary_key=True)  # 4 bytes as hex
    kcv: Mapped[Bytes]
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide where transactions begin (SQLAlchemy's documented
    # recipe for correct SQLite transactions); see _sqlite_on_begin.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    if cur.execute("PRAGMA page_count").fetchone()[0] == 0:
        # Only on a new file: on an existing one the pragma is a no-op that still writes.
        cur.execute("PRAGMA auto_vacuum = FULL")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA secure_delete = ON")
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_PRAGMAS['busy_timeout']}")
    cur.close()


#: Connections each engine keeps open: ``run.py``'s threads per worker (``--threads``, 8).
POOL_SIZE = 8


def make_engine(settings: Settings, *, read_only: bool = False) -> Engine:
    """Create the engine for ``settings.database_url`` with the pragmas applied.

    ``read_only``: an engine for requests that only read (their audit events go through
    ``audit.group``). Its transactions cannot write — SQLite's ``query_only`` pragma,
    PostgreSQL's ``default_transaction_read_only`` — so a read request that tried to write
    would fail loudly in the tests instead of queueing for the write lock; on SQLite they
    begin DEFERRED, so readers never wait for a writer (WAL). On PostgreSQL the read engine
    runs in autocommit: each statement is its own READ ONLY transaction, and a page's reads
    send no ``BEGIN`` and ``COMMIT`` (two of a case page's eight round trips on its read
    connection, issue 15). In READ COMMITTED every statement reads its own snapshot anyway,
    so the transaction block kept no two reads consistent with each other; a read that
    needs one snapshot asks for it (``REPEATABLE READ``, as ``audit.queries`` and the
    backup do), which starts a transaction block as before. What PostgreSQL allows only
    inside a block — a server-side cursor, a savepoint — opens one (read only too), and the
    session's commit or rollback ends it.
    """
    # hide_parameters: a failing statement must not copy field values into the log.
    # pool_size: as many kept connections as a worker has threads; with SQLAlchemy's default
    # (5) eight concurrent readers closed and reopened a connection every few requests (a
    # new SQLite connection runs its pragmas and prepares every statement again).
    options: dict[str, Any] = {"hide_parameters": True, "pool_size": POOL_SIZE}
    if read_only and not settings.is_sqlite:
        options["isolation_level"] = "AUTOCOMMIT"
    engine = create_engine(settings.database_url, **options)
    if read_only and not settings.is_sqlite:
        event.listen(engine, "connect", _pg_read_only)
        event.listen(engine, "before_cursor_execute", _pg_block_for_server_cursor)
        event.listen(engine, "savepoint", _pg_block_for_savepoint)
    if not settings.is_sqlite:  # a file does not drop connections; a server may
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        if read_only:
            event.listen(engine, "connect", _sqlite_query_only)
        begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

        @event.listens_for(engine, "begin")
        def _sqlite_on_begin(conn: Any) -> None:
            # IMMEDIATE for writers: take the write lock at the start. A deferred transaction
            # that reads first and writes later fails with SQLITE_BUSY_SNAPSHOT instead of
            # waiting its turn. Readers (read_only) cannot write, so they begin DEFERRED.
            conn.exec_driver_sql(begin)

    return engine


def end_read(session: Session) -> None:
    """End a read-only transaction with COMMIT, not ROLLBACK: its engine cannot write
    (:func:`make_engine` with ``read_only``), so both keep nothing, but psycopg answers every
    ROLLBACK by dropping the connection's prepared statements (``DEALLOCATE ALL``), and a
    read request ended one on every page: PostgreSQL then parsed and planned each of a
    page's statements again, on every request (issue 15). (In autocommit, PostgreSQL's read
    engine, the COMMIT is sent only where a block is open: a streamed read's.) ORM changes
    that were never flushed (a read has none) are discarded as before, by a rollback."""
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        session.rollback()
    else:
        session.commit()


#: psycopg's ``TransactionStatus.IDLE``: no transaction block open.
_PG_IDLE = 0

#: A pooled server connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE = dt.timedelta(seconds=5).total_seconds()
_IDLE_SINCE = "fallstelle.idle_since"


def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dialect: Dialect, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection that sat in the pool for a while; a dead one is replaced.

    Instead of ``pool_pre_ping`` (a round trip on every checkout, two per page): a
    connection used a moment ago is handed out as it is. One that was idle (a server
    restart, a firewall's idle timeout) gets a ``SELECT 1``; if that fails,
    ``DisconnectionError`` makes the pool connect afresh (SQLAlchemy retries up to three
    times). A connection dropped within the last seconds fails its first statement
    instead: SQLAlchemy then invalidates the pool, and that one request gets an error page
    — never content whose audit event was not stored.
    """
    since = record.info.get(_IDLE_SINCE)
    if since is None or time.monotonic() - since < PING_AFTER_IDLE:
        return  # new, or used a moment ago
    try:
        dialect.do_ping(dbapi_conn)  # what pool_pre_ping does (outside a transaction)
    except Exception as exc:  # whatever the driver raises: connect afresh
        raise DisconnectionError() from exc


def _pg_read_only(dbapi_conn: Any, _record: Any) -> None:
    """Make every transaction of a new read connection READ ONLY, also the one each
    statement runs in under autocommit (a write fails: SQLSTATE 25006)."""
    dbapi_conn.execute("SET default_transaction_read_only = on")
    dbapi_conn.commit()  # kept even if the driver had begun a transaction for it


def _pg_block_for_server_cursor(
    conn: Any, cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    """Begin a (READ ONLY) transaction block for a server-side cursor (``yield_per``,
    ``stream_results``): PostgreSQL declares one only inside a block. The session's commit
    or rollback ends it as usual (psycopg sends them whenever a block is open)."""
    if getattr(cursor, "name", None):
        _pg_open_block(conn)


def _pg_block_for_savepoint(conn: Any, _name: str) -> None:
    """Begin a (READ ONLY) transaction block for a savepoint (``Session.begin_nested``: a
    read view's ``attempt``), which PostgreSQL also takes only inside a block."""
    _pg_open_block(conn)


def _pg_open_block(conn: Any) -> None:
    # Only in autocommit: a connection set to REPEATABLE READ for one snapshot
    # (``audit.queries``) begins its own block, with its isolation level, as usual.
    driver = conn.connection.driver_connection
    if driver.autocommit and driver.info.transaction_status == _PG_IDLE:
        driver.execute("BEGIN")


def _sqlite_query_only(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA query_only = ON")


def assert_pragmas(engine: Engine) -> None:
    """Read back every SQLite pragma on a pooled connection; a difference stops start-up.

    Raises:
        ConfigError: a pragma does not have its required value.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        for name, expected in SQLITE_PRAGMAS.items():
            value = conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            if isinstance(value, str):
                value = value.lower()
            if value != expected:
                raise ConfigError(f"SQLite PRAGMA {name} is {value!r}, expected {expected!r}")


def checkpoint(engine: Engine, *, wait_ms: int | None = None) -> bool:
    """Fold the SQLite WAL into the database file and truncate it (``wal_checkpoint(TRUNCATE)``).

    Run at every clean stop, so that the files at rest are whole (a copy of the database
    file alone then holds every commit), and after an erasure, so that no old WAL frame
    keeps erased pages. ``wait_ms`` bounds how long readers may hold it up (default: the
    busy timeout). Returns False when readers kept it from completing; True on PostgreSQL.
    """
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert isinstance(dbapi, sqlite3.Connection)  # noqa: S101 - sqlite dialect
        if wait_ms is not None:
            dbapi.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        busy = dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if wait_ms is not None:
            dbapi.execute(f"PRAGMA busy_timeout = {SQLITE_PRAGMAS['busy_timeout']}")
    finally:
        raw.close()
    return not busy


def refresh_statistics(engine: Engine) -> None:
    """Refresh the planner statistics (``ANALYZE``; on SQLite sampling at most 400 rows per
    index, so it takes milliseconds at 100,000 cases). Without them SQLite takes an office's
    index to be selective and walks all of the office's cases for "only my cases", and
    PostgreSQL, still counting the empty tables of the migrations, filters 5,600 closed cases
    row by row for the retention warning instead of reading the index (issue 15). Run nightly
    by ``retention run`` and after a bulk write (``demo``, ``cases import``): PostgreSQL's
    autovacuum catches up only after a while, and not at all where it is switched off."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        return
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert isinstance(dbapi, sqlite3.Connection)  # noqa: S101 - sqlite dialect
        dbapi.execute("PRAGMA analysis_limit = 400")
        dbapi.execute("ANALYZE")
        dbapi.commit()
    finally:
        raw.close()


#: What a storage fault is, by kind: SQLite's message, PostgreSQL's SQLSTATE, errno values.
#: Not "readonly database" / SQLSTATE 25006: the read-only engine (``query_only``, READ ONLY
#: transactions) answers a stray write with the same; a read-only mount is found by asking
#: the file system (``store.storage_state``).
_SQLITE_FAULTS = (("database or disk is full", "full"),)
_PG_FAULTS = {"53100": "full"}  # disk_full
_ERRNO_FAULTS = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EROFS: "read_only"}


def storage_fault(exc: BaseException) -> str | None:
    """Return ``"full"`` or ``"read_only"`` when ``exc`` (or what caused it) is a storage
    fault — a full disk, a read-only file system — else None."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _ERRNO_FAULTS:
            return _ERRNO_FAULTS[current.errno]
        if isinstance(current, sqlite3.Error):
            text = str(current).lower()
            for needle, kind in _SQLITE_FAULTS:
                if needle in text:
                    return kind
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and state in _PG_FAULTS:
            return _PG_FAULTS[state]
        for attr in ("orig", "original_exception", "__cause__", "__context__"):
            found = getattr(current, attr, None)
            if isinstance(found, BaseException):
                todo.append(found)
    return None


#: ``Session.info`` entries every session of an open store carries (``store.open_store``):
#: the installation's ``keyfiles.KeyMaterial`` and ``config.Settings``. The audit room reads
#: its chain and signing keys and the witness file's place from them.
KEYS_INFO = "fallstelle.keys"
SETTINGS_INFO = "fallstelle.settings"


def make_sessionmaker(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Return the session factory; services receive a Session and flush, never commit."""
    return sessionmaker(bind=engine, expire_on_commit=False, info=info or {})
