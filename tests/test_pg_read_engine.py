"""The read engine on PostgreSQL: no transaction block around a page's reads (issue 15).

A read request's statements ran between ``BEGIN READ ONLY`` and ``COMMIT``: two of a case
page's eight round trips on its read connection, for nothing. In READ COMMITTED every
statement takes its own snapshot anyway, so the block kept no reads consistent with each
other. The read engine now runs its statements in autocommit, each in its own transaction,
and the connection's ``default_transaction_read_only`` keeps every one of them READ ONLY: a
read request that tried to write still fails loudly. A server-side cursor (``yield_per``,
the audit console's CSV export) and a savepoint (a read view's ``attempt``, e.g. the
report revision's preview) need a transaction block: they get one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fallstelle.store import Store


@pytest.fixture
def pg_store(store: Store) -> Store:
    if store.settings.is_sqlite:
        pytest.skip("PostgreSQL's read engine")
    return store


def test_a_read_runs_outside_a_transaction_block_and_cannot_write(pg_store: Store) -> None:
    with pg_store.read_sessions() as session, session.begin():
        assert session.scalar(text("SHOW transaction_read_only")) == "on"
        driver = session.connection().connection.driver_connection
        assert driver is not None
        # No BEGIN was sent: the connection is not inside a transaction block.
        assert driver.info.transaction_status.name == "IDLE"
        with pytest.raises(DBAPIError) as refused:
            session.execute(text("CREATE TABLE must_not_exist (x integer)"))
        assert getattr(refused.value.orig, "sqlstate", None) == "25006"  # read-only transaction


def test_a_read_connection_is_read_only_again_after_the_pool_hands_it_on(
    pg_store: Store,
) -> None:
    for _ in range(3):
        with pg_store.read_engine.connect() as conn:
            assert conn.execute(text("SHOW transaction_read_only")).scalar() == "on"


def test_a_streamed_read_gets_a_transaction_block(pg_store: Store) -> None:
    with pg_store.read_sessions() as session, session.begin():
        streamed = session.connection().execution_options(stream_results=True, yield_per=2)
        rows = streamed.execute(text("SELECT generate_series(1, 5)")).scalars()
        assert list(rows) == [1, 2, 3, 4, 5]
    with pg_store.read_engine.connect() as conn:  # back in the pool: outside a block again
        driver = conn.connection.driver_connection
        assert driver is not None
        assert driver.info.transaction_status.name == "IDLE"
        assert conn.execute(text("SHOW transaction_read_only")).scalar() == "on"


def test_a_savepoint_in_a_read_gets_a_transaction_block(pg_store: Store) -> None:
    with pg_store.read_sessions() as session, session.begin():
        with session.begin_nested():
            assert session.scalar(text("SELECT 1")) == 1
        with pytest.raises(ZeroDivisionError), session.begin_nested():
            raise ZeroDivisionError  # undone to the savepoint; the read goes on
        assert session.scalar(text("SHOW transaction_read_only")) == "on"
    with pg_store.read_engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        assert driver.info.transaction_status.name == "IDLE"


def test_a_repeatable_read_on_the_read_engine_keeps_its_isolation_level(pg_store: Store) -> None:
    """``audit.queries`` reads one snapshot: REPEATABLE READ, which the block must keep."""
    with pg_store.read_engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin_nested():  # a savepoint first: the driver begins the block itself
            level = conn.execute(text("SHOW transaction_isolation")).scalar()
        assert level == "repeatable read"
        assert conn.execute(text("SHOW transaction_read_only")).scalar() == "on"
        conn.rollback()
