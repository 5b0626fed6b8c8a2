"""verify_log names the first bad seq and the kind of every sort of tampering (LOG-6/7).

Each test lifts the triggers and edits rows with raw SQL. These are the clumsy edits (the
chain not recomputed): the verifier tells which kind they are. The competent attacks, per
attacker, are in ``test_tamper.py``. The log: 30 events, checkpoints signed at 10, 20, 30.
"""

from __future__ import annotations

import pytest

from fallstelle.audit import chain, queries, service
from fallstelle.store import Store
from tests.audit.helpers import (
    append,
    check,
    drop_witness,
    lift_triggers,
    rechain,
    resign,
    rows,
    sql,
    verify,
)

INTACT = "audit log intact: 30 events (seq 1-30); 3 signed checkpoints match; the witness matches"


@pytest.fixture
def log(signed: Store) -> Store:
    append(signed, 30, per_commit=10)
    lift_triggers(signed)
    return signed


def damage(text: str) -> str:
    return f"audit log DAMAGED: first bad seq {text}"


def test_an_untouched_log_is_intact(log: Store) -> None:
    assert verify(log) == INTACT


def test_an_empty_log_is_intact(store: Store) -> None:
    assert verify(store) == "audit log intact: 0 events"


def test_a_small_log_says_no_checkpoint_was_due(store: Store) -> None:
    append(store, 3)
    assert verify(store) == (
        "audit log intact: 3 events (seq 1-3); no signed checkpoint due yet; the witness matches"
    )


def test_a_changed_field(log: Store) -> None:
    sql(log, "UPDATE audit_events SET actor_id = 'u-2' WHERE seq = 15")
    assert verify(log) == damage("15: edited (contents do not match the entry hash)")


def test_a_changed_row_with_its_own_hash_recomputed(log: Store) -> None:
    row = rows(log)[14]._replace(outcome="denied")
    sql(
        log,
        "UPDATE audit_events SET outcome = 'denied', entry_hash = :h WHERE seq = 15",
        h=chain.entry_hash(row.prev_hash, row),
    )
    assert verify(log).startswith(damage("15: forged (its MAC does not match"))


def test_a_deleted_row(log: Store) -> None:
    sql(log, "DELETE FROM audit_events WHERE seq = 15")
    assert verify(log) == damage("15: deleted (seq 15-15 absent)")


def test_a_deleted_row_with_the_rest_renumbered(log: Store) -> None:
    sql(log, "DELETE FROM audit_events WHERE seq = 15")
    for seq in range(16, 31):
        sql(log, "UPDATE audit_events SET seq = :n WHERE seq = :s", n=seq - 1, s=seq)
    assert verify(log) == damage(
        "15: deleted (the event of seq 15 is gone; later events were renumbered)"
    )


def test_an_inserted_row(log: Store) -> None:
    for seq in range(30, 14, -1):
        sql(log, "UPDATE audit_events SET seq = :n WHERE seq = :s", n=seq + 1, s=seq)
    fake = rows(log)[13]._replace(seq=15, actor_id="u-9")
    fake = fake._replace(prev_hash=rows(log)[13].entry_hash)
    fake = fake._replace(entry_hash=chain.entry_hash(fake.prev_hash, fake))
    values = fake._asdict()
    columns = ", ".join(values)
    sql(
        log,
        f"INSERT INTO audit_events ({columns}) VALUES ({', '.join(':' + c for c in values)})",
        **values,
    )
    assert verify(log) == damage(
        "15: inserted (seq 15 is not part of the chain; the event that was there follows it)"
    )


def test_two_swapped_rows(log: Store) -> None:
    sql(log, "UPDATE audit_events SET seq = -1 WHERE seq = 14")
    sql(log, "UPDATE audit_events SET seq = 14 WHERE seq = 15")
    sql(log, "UPDATE audit_events SET seq = 15 WHERE seq = -1")
    assert verify(log) == damage("14: reordered (holds the entry of seq 15)")


def test_a_truncated_tail_against_a_checkpoint(log: Store) -> None:
    sql(log, "DELETE FROM audit_events WHERE seq > 24")
    sql(log, "UPDATE audit_head SET seq = 24")
    assert verify(log) == damage(
        "25: truncated (log ends at seq 24 but signed checkpoint 30 exists)"
    )


def test_a_truncated_tail_against_the_head(log: Store) -> None:
    append(log, 3)
    sql(log, "DELETE FROM audit_events WHERE seq > 31")
    found = queries.verify_log(
        log.engine, log.keys.audit_signing_key.public_key(), chain_key=log.keys.audit_chain_key
    )
    assert found.message() == damage(
        "32: truncated (log ends at seq 31 but the head (seq 33) exists)"
    )


def test_a_rewritten_history_disagrees_with_the_signed_checkpoint(log: Store) -> None:
    sql(log, "UPDATE audit_events SET actor_id = 'u-2' WHERE seq = 15")
    rechain(log)
    outside = queries.verify_database(log.engine, log.keys.audit_signing_key.public_key())
    assert outside.message() == damage(
        "20: forged (disagrees with signed checkpoint 20; rewritten after 10)"
    )
    assert verify(log).startswith(damage("15: forged (its MAC does not match"))


def test_a_rewrite_with_the_stolen_keys_disagrees_with_a_saved_checkpoint(log: Store) -> None:
    key = log.keys.audit_signing_key
    with log.sessions() as session:
        saved = service.checkpoint(session, key)
        session.commit()
    assert saved is not None and saved.seq == 30
    sql(log, "UPDATE audit_events SET actor_id = 'u-2' WHERE seq = 15")
    rechain(log, chain_key=log.keys.audit_chain_key)
    resign(log, key)
    drop_witness(log)
    assert check(log).ok  # the stolen keys hide it inside
    assert verify(log, [("visit-1.txt", saved)]) == damage(
        "30: forged (disagrees with visit-1.txt; rewritten after 0)"
    )


def test_a_new_genesis(log: Store) -> None:
    rechain(log, genesis=b"\x01" * 32, chain_key=log.keys.audit_chain_key)
    resign(log, log.keys.audit_signing_key)
    assert verify(log) == damage("1: forged (the chain does not start at the genesis hash)")


def test_a_forged_checkpoint_signature(log: Store) -> None:
    sql(log, "UPDATE audit_checkpoints SET signature = :s WHERE seq = 20", s=b"\x00" * 64)
    assert verify(log) == damage("20: forged (checkpoint 20 signature invalid)")


def test_deleting_the_first_events_is_not_a_purge(log: Store) -> None:
    sql(log, "DELETE FROM audit_events WHERE seq <= 10")
    assert verify(log) == damage("1: deleted (seq 1-10 absent)")


def test_the_verifier_warns_when_time_goes_backwards(log: Store) -> None:
    row = rows(log)[19]._replace(time="2000-01-01T00:00:00.000000Z")
    sql(log, "UPDATE audit_events SET time = :t WHERE seq = 20", t=row.time)
    rechain(log, chain_key=log.keys.audit_chain_key)
    resign(log, log.keys.audit_signing_key)
    drop_witness(log)
    found = check(log)
    assert found.ok
    assert found.warnings[0] == "time goes backwards at seq 20 (clock skew?)"
    assert found.warnings[1].startswith("no witness file at ")


def test_verify_never_writes(log: Store) -> None:
    before = rows(log)
    sql(log, "UPDATE audit_events SET actor_id = 'u-2' WHERE seq = 15")
    check(log)
    assert len(rows(log)) == len(before)
