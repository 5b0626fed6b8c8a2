"""Retention in whole epochs (LOG-10): purge an old epoch, the rest stays verifiable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from fallstelle.audit import Event, chain, queries, record, retention
from fallstelle.store import Store
from tests.audit.helpers import append, lift_triggers, rows, sql, tool, verify

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)


def _new_epoch(store: Store) -> chain.Checkpoint | None:
    with store.sessions() as session:
        final = retention.start_epoch(session, store.keys.audit_signing_key)
        session.commit()
    return final


def _purge(store: Store, **options: object) -> list[int]:
    with store.sessions() as session:
        purged = retention.purge_epochs(session, **options)  # type: ignore[arg-type]
        session.commit()
    return purged


@pytest.fixture
def two_epochs(store: Store) -> Store:
    append(store, 5)
    final = _new_epoch(store)
    assert final is not None and (final.seq, final.epoch) == (5, 1)
    append(store, 5)
    return store


def test_the_next_epoch_continues_the_final_checkpoint(two_epochs: Store) -> None:
    log = rows(two_epochs)
    assert [r.epoch for r in log] == [1] * 5 + [2] * 5
    assert log[5].prev_hash == log[4].entry_hash
    assert verify(two_epochs) == (
        "audit log intact: 10 events (seq 1-10); 1 signed checkpoints match; the witness matches"
    )


def test_an_empty_epoch_is_not_closed(store: Store) -> None:
    append(store, 2)
    assert _new_epoch(store) is not None
    assert _new_epoch(store) is None
    assert sql(store, "SELECT epoch FROM audit_head") == [(2,)]


def test_an_epoch_starts_when_it_is_due(store: Store) -> None:
    append(store, 2)
    key = store.keys.audit_signing_key
    with store.sessions() as session:
        assert retention.start_epoch_if_due(session, key, epoch_days=365) is None
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=366)
        assert retention.start_epoch_if_due(session, key, epoch_days=365, now=later) is not None
        session.commit()
    assert sql(store, "SELECT epoch FROM audit_head") == [(2,)]


def test_purging_an_old_epoch_keeps_the_rest_verifiable(two_epochs: Store) -> None:
    assert _purge(two_epochs, retention_days=1, now=LATER) == [1]
    log = rows(two_epochs)
    assert [r.seq for r in log] == list(range(6, 12))
    assert log[-1].action == "audit.purge" and log[-1].object_id == "1"
    assert verify(two_epochs) == (
        "audit log intact: 6 events (seq 6-11); no signed checkpoint due yet; the witness matches"
    )
    assert sql(two_epochs, "SELECT epoch, last_seq FROM audit_purges") == [(1, 5)]


def test_an_epoch_younger_than_the_retention_stays(two_epochs: Store) -> None:
    assert _purge(two_epochs) == []
    assert _purge(two_epochs, retention_days=3, now=LATER) == []
    assert len(rows(two_epochs)) == 10


def test_the_current_epoch_is_never_purged(store: Store) -> None:
    append(store, 3)
    assert _purge(store, retention_days=1, now=LATER) == []
    assert len(rows(store)) == 3


def test_the_trigger_refuses_deleting_an_epoch_without_a_purge_record(two_epochs: Store) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        sql(two_epochs, "DELETE FROM audit_events WHERE epoch = 1")
    # A purge record for the current epoch does not open it either.
    sql(
        two_epochs,
        "INSERT INTO audit_purges (epoch, purged_at, last_seq, last_hash) VALUES (2, 'x', 10, :h)",
        h=b"\x00" * 32,
    )
    with pytest.raises(DBAPIError, match="append-only"):
        sql(two_epochs, "DELETE FROM audit_events WHERE epoch = 2")
    with pytest.raises(DBAPIError, match="append-only"):
        sql(two_epochs, "UPDATE audit_purges SET epoch = 3")
    assert len(rows(two_epochs)) == 10


def test_dropping_events_after_a_purge_is_still_detected(two_epochs: Store) -> None:
    _purge(two_epochs, retention_days=1, now=LATER)
    lift_triggers(two_epochs)
    sql(two_epochs, "DELETE FROM audit_events WHERE seq = 6")
    assert verify(two_epochs) == "audit log DAMAGED: first bad seq 1: deleted (seq 1-6 absent)"


def test_the_export_of_a_purged_log_verifies_standalone(two_epochs: Store, tmp_path: Path) -> None:
    _purge(two_epochs, retention_days=1, now=LATER)
    with two_epochs.sessions() as session:
        record(session, Event("case.read"))
        session.commit()
    public = two_epochs.keys.audit_signing_key.public_key()
    queries.export(two_epochs.engine, tmp_path / "out", public)
    result = tool().verify_export(tmp_path / "out", public)
    assert result.message() == "audit log intact: 7 events (seq 6-12); no signed checkpoint due yet"
