"""record(): written at commit with the action, dropped with a rollback, fail closed."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from fallstelle import db
from fallstelle.audit import Event, chain, record, service
from fallstelle.db import KeyCheck
from fallstelle.store import Store
from tests.audit.helpers import append, rows, sql, verify


def _action(kid: str) -> KeyCheck:
    """A stand-in for a room's action: any row in the same transaction."""
    return KeyCheck(kid=kid, kcv=b"\x00" * 8)


def _kids(store: Store) -> set[str]:
    with store.sessions() as session:
        return set(session.scalars(select(KeyCheck.kid)))


def test_event_and_action_commit_together(store: Store) -> None:
    with store.sessions() as session:
        session.add(_action("aaaa0001"))
        record(session, Event("case.create", actor_id="u-1", object_id="c-1"))
        session.flush()  # a service flushes; the web layer commits
        session.commit()
    (row,) = rows(store)
    assert (row.seq, row.action, row.actor_id, row.object_id) == (1, "case.create", "u-1", "c-1")
    assert row.prev_hash == chain.GENESIS
    assert row.entry_hash == chain.entry_hash(chain.GENESIS, row)
    assert row.time.endswith("Z")
    assert "aaaa0001" in _kids(store)


def test_a_rolled_back_event_never_appears(store: Store) -> None:
    with store.sessions() as session:
        record(session, Event("case.read", object_id="gone"))
        session.rollback()
        record(session, Event("case.read", object_id="kept"))
        session.commit()
        session.commit()  # a second commit appends nothing twice
    assert [r.object_id for r in rows(store)] == ["kept"]


def test_a_closed_session_drops_its_queue(store: Store) -> None:
    session = store.sessions()
    record(session, Event("case.read", object_id="gone"))
    session.close()
    record(session, Event("case.read", object_id="kept"))
    session.commit()
    session.close()
    assert [r.object_id for r in rows(store)] == ["kept"]


def test_a_rolled_back_savepoint_drops_only_its_events(store: Store) -> None:
    with store.sessions() as session:
        record(session, Event("case.read", object_id="outer"))
        nested = session.begin_nested()
        record(session, Event("case.read", object_id="inner"))
        nested.rollback()
        with session.begin_nested():
            record(session, Event("case.read", object_id="inner-kept"))
        session.commit()
    assert sorted(r.object_id or "" for r in rows(store)) == ["inner-kept", "outer"]


def test_many_events_in_one_transaction_get_consecutive_seqs(store: Store) -> None:
    append(store, 25, per_commit=10)
    assert [r.seq for r in rows(store)] == list(range(1, 26))
    assert verify(store).startswith("audit log intact: 25 events")


def test_record_refuses_anything_but_an_event(store: Store) -> None:
    with store.sessions() as session, pytest.raises(TypeError):
        record(session, {"action": "case.read"})  # type: ignore[arg-type]


def test_a_failing_append_rolls_the_action_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(service, "_append", broken)
    with store.sessions() as session:
        session.add(_action("bbbb0002"))
        record(session, Event("case.update", object_id="c-1"))
        with pytest.raises(RuntimeError):
            session.commit()
    assert "bbbb0002" not in _kids(store)
    assert rows(store) == []


def test_a_database_error_in_the_append_rolls_the_action_back(store: Store) -> None:
    append(store, 3)
    # The next seq (2) already exists; the head's MAC is right (as only the app could make it).
    (epoch, hash_) = sql(store, "SELECT epoch, entry_hash FROM audit_head")[0]
    mac = chain.head_mac(store.keys.audit_chain_key, 1, epoch, hash_)
    sql(store, "UPDATE audit_head SET seq = 1, mac = :m", m=mac)
    with store.sessions() as session:
        session.add(_action("cccc0003"))
        record(session, Event("case.update", object_id="c-1"))
        with pytest.raises(IntegrityError):
            session.commit()
    assert "cccc0003" not in _kids(store)
    assert len(rows(store)) == 3


def test_a_head_without_its_mac_stops_every_append(store: Store) -> None:
    """A cut tail (head moved back without the chain key) is not papered over by new events."""
    append(store, 3)
    sql(store, "UPDATE audit_head SET seq = 2")
    with store.sessions() as session:
        session.add(_action("cccc0004"))
        record(session, Event("case.update", object_id="c-1"))
        with pytest.raises(service.ChainDamaged, match="no valid MAC"):
            session.commit()
    assert "cccc0004" not in _kids(store)
    assert len(rows(store)) == 3


def test_sessions_without_the_keys_cannot_append(store: Store) -> None:
    bare = db.make_sessionmaker(store.engine)
    with bare() as session:
        record(session, Event("case.read"))
        with pytest.raises(RuntimeError, match="need the installation's keys"):
            session.commit()
    assert rows(store) == []


def test_checkpoints_every_n_events_when_enabled(signed: Store) -> None:
    append(signed, 25, per_commit=7)
    seqs = [seq for (seq,) in sql(signed, "SELECT seq FROM audit_checkpoints ORDER BY seq")]
    assert seqs == [10, 20]
    assert verify(signed) == (
        "audit log intact: 25 events (seq 1-25); 2 signed checkpoints match; the witness matches"
    )


def test_an_on_demand_checkpoint_signs_the_head_and_the_due_ones(store: Store) -> None:
    key = store.keys.audit_signing_key
    append(store, 12)
    with store.sessions() as session:
        record(session, Event("audit.checkpoint"))
        made = service.checkpoint(session, key, every=5)
        session.commit()
    assert made is not None
    assert made.seq == 13
    assert made.signature_valid(key.public_key())
    assert chain.parse_note(made.note()) == made
    seqs = [seq for (seq,) in sql(store, "SELECT seq FROM audit_checkpoints ORDER BY seq")]
    assert seqs == [5, 10, 13]


def test_an_empty_log_has_no_checkpoint(store: Store) -> None:
    with store.sessions() as session:
        assert service.checkpoint(session, store.keys.audit_signing_key) is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'denied' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
        "DELETE FROM audit_events",
        "UPDATE audit_checkpoints SET seq = 11 WHERE seq = 10",
        "DELETE FROM audit_checkpoints",
        "DELETE FROM audit_head",
    ],
)
def test_the_database_refuses_to_change_history(signed: Store, statement: str) -> None:
    append(signed, 10)
    before = rows(signed)
    with pytest.raises(DBAPIError, match="append-only"):
        sql(signed, statement)
    assert rows(signed) == before
    assert sql(signed, "SELECT count(*) FROM audit_checkpoints") == [(1,)]


def test_postgres_refuses_truncate(signed: Store) -> None:
    if signed.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    append(signed, 3)
    for table in ("audit_events", "audit_checkpoints", "audit_head", "audit_purges"):
        with pytest.raises(DBAPIError, match="append-only"):
            sql(signed, f"TRUNCATE {table}")
    assert len(rows(signed)) == 3
