"""Pooled connections: kept for every thread, pinged only after sitting idle (issue 15).

``pool_pre_ping`` cost a round trip on every checkout (two per case page on PostgreSQL);
``db._ping_if_idle`` pings only a connection idle for ``PING_AFTER_IDLE`` and replaces a
dead one, so a server restart during a quiet hour still costs nobody an error page.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fallstelle import db
from fallstelle.config import Settings
from fallstelle.db import make_engine


def test_a_busy_connection_is_not_pinged_and_an_idle_dead_one_is_replaced(
    store: object, initialised: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if initialised.is_sqlite:
        pytest.skip("a server connection (PostgreSQL)")
    engine = make_engine(initialised)
    assert not engine.pool._pre_ping  # type: ignore[attr-defined]
    pinged: list[object] = []
    real_ping = engine.dialect.do_ping

    def counting_ping(dbapi_conn: object) -> bool:
        pinged.append(dbapi_conn)
        return real_ping(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counting_ping)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as conn:  # used a moment ago: handed out as it is
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == pid
        assert pinged == []
        # The server ends the pooled connection (a restart); the pool does not know.
        killer = create_engine(initialised.database_url, poolclass=NullPool)
        with killer.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # as if it sat idle for a while
        with engine.connect() as conn:  # pinged, found dead, replaced: no error
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert pinged
    finally:
        engine.dispose()


def test_a_worker_s_eight_threads_keep_their_connections(
    store: object, initialised: Settings
) -> None:
    """Eight concurrent requests, again and again, open eight connections once (the pool's
    default of five closed three and opened them again on every burst)."""
    from sqlalchemy import event

    engine = make_engine(initialised, read_only=True)
    opened: list[object] = []
    event.listen(engine, "connect", lambda conn, _record: opened.append(conn))
    try:
        for _ in range(3):
            held = [engine.connect() for _ in range(db.POOL_SIZE)]
            for conn in held:
                conn.close()
        assert len(opened) == db.POOL_SIZE
    finally:
        engine.dispose()
