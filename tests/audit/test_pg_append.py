"""PostgreSQL's one-message append of a group commit's batch (issue 15, ``audit.pg_append``).

The adversaries: a busy worker whose writing thread waits for its GIL while every other
process waits for the chain lock (the client must do its work before it takes the lock); a
writer of the database without the keys who cuts the tail under a process that remembers
the head; another writer that moves the head between two batches; and a value that tries to
end the statement it is quoted into.
"""

from __future__ import annotations

import os

import pytest
from psycopg import errors
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from fallstelle.audit import Event, chain, pg_append, record, service
from fallstelle.audit.group import GroupCommit
from fallstelle.store import Store
from tests.audit.helpers import rows, verify


@pytest.fixture(autouse=True)
def _postgresql_only(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's append path")


def test_the_client_computes_nothing_while_it_holds_the_chain_lock(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every event's hash is computed while the chain lock is free: another connection
    takes it without waiting (``NOWAIT``) at that moment. Before, the batch read the head
    under the lock, hashed, and sent three more statements, each a turn at the GIL."""
    free: list[bool] = []
    probe = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    original = chain.entry_hash

    def hashing(prev: bytes, row: chain.Row) -> bytes:
        try:  # one statement, its own transaction: the lock is released at once
            probe.exec_driver_sql("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT")
            free.append(True)
        except OperationalError as exc:
            assert isinstance(exc.orig, errors.LockNotAvailable)
            free.append(False)
        return original(prev, row)

    monkeypatch.setattr(chain, "entry_hash", hashing)
    group = GroupCommit(store.sessions)
    try:
        for n in range(3):
            group.append([Event("case.read", object_id=str(n))])
    finally:
        probe.close()
    assert free == [True, True, True]
    monkeypatch.undo()
    assert verify(store).startswith("audit log intact: 3 events")


def test_a_cut_tail_stops_a_batch_even_when_the_process_remembers_the_head(
    store: Store,
) -> None:
    """A writer without the keys cuts the last event and points the head at the one before;
    it cannot compute the head's MAC. The batch's guess (the head it wrote) no longer
    matches under the lock, so it reads the head, finds no valid MAC and stores nothing."""
    group = GroupCommit(store.sessions)
    for n in range(3):
        group.append([Event("case.read", object_id=str(n))])
    second = rows(store)[1]
    with store.engine.begin() as attacker:
        attacker.exec_driver_sql(
            "UPDATE audit_head SET seq = 2, entry_hash = %s, mac = %s WHERE id = 1",
            (second.entry_hash, os.urandom(32)),
        )
    with pytest.raises(service.ChainDamaged, match="no valid MAC"):
        group.append([Event("case.read", object_id="after_the_cut")])
    assert [r.object_id for r in rows(store)] == ["0", "1", "2"]


def test_a_head_another_writer_moved_is_taken_from_under_the_lock(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write request appends through its own transaction between two batches: the second
    batch's guess misses, nothing of that attempt is written, and the next attempt appends
    after the head the lock returned."""
    sent: list[bool] = []
    original = pg_append._send

    def send(*args: object) -> tuple[object, bool]:
        result = original(*args)  # type: ignore[arg-type]
        sent.append(result[1])
        return result

    monkeypatch.setattr(pg_append, "_send", send)
    group = GroupCommit(store.sessions)
    group.append([Event("case.read", object_id="first")])
    with store.sessions() as session:
        record(session, Event("case.update", object_id="between"))
        session.commit()
    group.append([Event("case.read", object_id="second")])
    assert sent == [True, False, True]
    assert [(r.seq, r.object_id) for r in rows(store)] == [
        (1, "first"), (2, "between"), (3, "second")
    ]  # fmt: skip
    assert verify(store).startswith("audit log intact: 3 events")


def test_a_batch_overtaken_every_time_waits_for_the_lock(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When other writers win every attempt, the batch takes the lock first and waits for
    each statement (``service.append_on``): it gets its turn, and the chain stays whole."""
    monkeypatch.setattr(pg_append, "ATTEMPTS", 0)
    began: list[object] = []
    engine = store.sessions.kw["bind"]

    def note(*args: object) -> None:
        began.append(args)

    event.listen(engine, "begin", note)
    try:
        group = GroupCommit(store.sessions)
        for n in range(3):
            group.append([Event("case.read", object_id=str(n))])
    finally:
        event.remove(engine, "begin", note)
    assert len(began) == 3
    assert [r.seq for r in rows(store)] == [1, 2, 3]
    assert verify(store).startswith("audit log intact: 3 events")


def test_values_are_quoted_into_the_one_message_exactly(store: Store) -> None:
    """The message binds values on the client; a value that tries to close its quote and
    append a statement of its own is stored as it was given."""
    hostile = ["x');DELETE/**/FROM/**/audit_head;--", "a\\'b", "E'\\x00'", "$$$1%s%(x)s"]
    GroupCommit(store.sessions).append(
        [Event("case.read", object_id=value) for value in hostile]
    )
    assert [r.object_id for r in rows(store)] == hostile
    assert verify(store).startswith("audit log intact: 4 events")
