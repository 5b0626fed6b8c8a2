"""verify_database names the first bad seq and the kind of every sort of tampering (LOG-6/7).

Each test lifts the triggers and edits rows with raw SQL, as an attacker with the database
would. The log: 30 events, checkpoints signed at 10, 20 and 30.
"""

from __future__ import annotations

import pytest

from fallstelle.audit import chain, queries, service
from fallstelle.store import Store
from tests.audit.helpers import append, lift_triggers, rechain, resign, rows, sql, verify


@pytest.fixture
def log(signed: Store) -> Store:
    append(signed, 30, per_commit=10)
    lift_triggers(signed)
    return signed


def test_an_untouched_log_is_intact(log: Store) -> None:
    assert verify(log) == "audit log intact: 30 events (seq 1-30), 3 checkpoints match"


def test_an_empty_log_is_intact(store: Store) -> None:
    assert verify(store) == "audit log intact: 0 events, 0 checkpoints match"


def test_a_changed_field(log: Store) -> None:
    sql(log, "UPDATE audit_events SET actor_id = 'u-2' WHERE seq = 15")
    assert verify(log) == (
        "audit log DAMAGED: first bad seq 15: changed (contents do not match the entry hash)"
    )


def test_a_changed_row_with_its_own_hash_recomputed(log: Store) -> None:
    row = rows(log)[14]._replace(outcome="denied")
    sql(
        log,
        "UPDATE audit_events SET outcome = 'denied', entry_hash = :h WHERE seq = 15",
        h=chain.entry_hash(row.prev_hash, row),
    )
    assert verify(log) == (
        "audit log DAMAGED: first bad seq 15: changed "
        "(entry hash rewritten; seq 16 does not link to it)"
    )


def test_a_deleted_row(log: Store) -> None:
    sql(log, "DELETE FROM audit_events WHERE seq = 15")
    assert verify(log) == "audit log DAMAGED: first bad seq 15: missing (seq 15-15 absent)"


def test_two_swapped_rows(log: Store) -> None:
    sql(log, "UPDATE audit_events SET seq = -1 WHERE seq = 14")
    sql(log, "UPDATE audit_events SET seq = 14 WHERE seq = 15")
    sql(log, "UPDATE audit_events SET seq = 15 WHERE seq = -1")
    assert verify(log) == (
        "audit log DAMAGED: first bad seq 14: reordered (holds the entry of seq 15)"
    )


def test_a_truncated_tail_against_a_checkpoint(log: Store) -> None:
    sql(log, "DELETE FROM audit_events WHERE seq > 24")
    sql(log, "UPDATE audit_head SET seq = 24")
    assert verify(log) == (
        "audit log DAMAGED: first bad seq 25: truncated "
        "(log ends at seq 24 but signed checkpoint 30 exists)"
    )


def test_a_truncated_tail_against_the_head(log: Store) -> None:
    sql(log, "DELETE FROM audit_events WHERE seq > 30")  # nothing: add events past the checkpoint
    append(log, 3)
    sql(log, "DELETE FROM audit_events WHERE seq > 31")
    assert verify(log) == (
        "audit log DAMAGED: first bad seq 32: truncated "
        "(log ends at seq 31 but the head (seq 33) exists)"
    )


def test_a_rewritten_history_disagrees_with_the_signed_checkpoint(log: Store) -> None:
    sql(log, "UPDATE audit_events SET actor_id = 'u-2' WHERE seq = 15")
    rechain(log)
    assert verify(log) == (
        "audit log DAMAGED: first bad seq 20: re-chained "
        "(disagrees with signed checkpoint 20; rewritten after 10)"
    )


def test_a_rewrite_with_the_stolen_key_disagrees_with_a_saved_checkpoint(log: Store) -> None:
    key = log.keys.audit_signing_key
    with log.sessions() as session:
        saved = service.checkpoint(session, key)
        session.commit()
    assert saved is not None and saved.seq == 30
    sql(log, "UPDATE audit_events SET actor_id = 'u-2' WHERE seq = 15")
    rechain(log)
    resign(log, key)
    assert verify(log).startswith("audit log intact")  # the stolen key hides it inside
    assert verify(log, [("visit-1.txt", saved)]) == (
        "audit log DAMAGED: first bad seq 30: re-chained "
        "(disagrees with saved checkpoint visit-1.txt; rewritten after 0)"
    )


def test_a_new_genesis(log: Store) -> None:
    rechain(log, genesis=b"\x01" * 32)
    resign(log, log.keys.audit_signing_key)
    assert verify(log) == (
        "audit log DAMAGED: first bad seq 1: re-chained "
        "(the chain does not start at the genesis hash)"
    )


def test_a_forged_checkpoint_signature(log: Store) -> None:
    sql(log, "UPDATE audit_checkpoints SET signature = :s WHERE seq = 20", s=b"\x00" * 64)
    assert verify(log) == (
        "audit log DAMAGED: first bad seq 20: bad-signature (checkpoint 20 signature invalid)"
    )


def test_deleting_the_first_events_is_not_a_purge(log: Store) -> None:
    sql(log, "DELETE FROM audit_events WHERE seq <= 10")
    assert verify(log) == "audit log DAMAGED: first bad seq 1: missing (seq 1-10 absent)"


def test_the_verifier_warns_when_time_goes_backwards(log: Store) -> None:
    row = rows(log)[19]._replace(time="2000-01-01T00:00:00.000000Z")
    sql(log, "UPDATE audit_events SET time = :t WHERE seq = 20", t=row.time)
    rechain(log)
    resign(log, log.keys.audit_signing_key)
    found = queries.verify_database(log.engine, log.keys.audit_signing_key.public_key())
    assert found.ok
    assert found.warnings == ("time goes backwards at seq 20 (clock skew?)",)
