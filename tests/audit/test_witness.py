"""The witness file: the newest signed head outside the database, written grouped and whole."""

from __future__ import annotations

import threading
from pathlib import Path

from fallstelle.audit import chain, witness
from fallstelle.store import Store
from tests.audit.helpers import append, check, flush_witness, lift_triggers, rows, sql


def _head(seq: int) -> chain.Head:
    return chain.Head(seq, 1, bytes([seq % 256]) * 32, None)


def test_writes_are_grouped_not_one_per_commit(store: Store, tmp_path: Path) -> None:
    key = store.keys.audit_signing_key
    writer = witness.Writer(tmp_path / "audit-witness", key, interval=3600)
    for seq in range(1, 101):
        writer.offer(_head(seq))
    assert writer.writes == 1  # the first at once, the other 99 wait for the interval
    assert witness.read(tmp_path / "audit-witness").seq == 1  # type: ignore[union-attr]
    writer.flush()
    assert writer.writes == 2
    assert witness.read(tmp_path / "audit-witness").seq == 100  # type: ignore[union-attr]


def test_a_timer_writes_the_newest_head_after_the_interval(store: Store, tmp_path: Path) -> None:
    writer = witness.Writer(tmp_path / "w", store.keys.audit_signing_key, interval=0.05)
    writer.offer(_head(1))
    writer.offer(_head(2))
    done = threading.Event()
    for _ in range(200):
        if (found := witness.read(tmp_path / "w")) is not None and found.seq == 2:
            done.set()
            break
        done.wait(0.01)
    assert done.is_set()


def test_an_older_head_never_replaces_a_newer_one(store: Store, tmp_path: Path) -> None:
    key = store.keys.audit_signing_key
    path = tmp_path / "w" / "audit-witness"
    path.parent.mkdir()
    assert witness.write(path, chain.sign(key, 7, 1, b"\x07" * 32, "t"))
    assert not witness.write(path, chain.sign(key, 5, 1, b"\x05" * 32, "t"))  # another process
    assert witness.read(path).seq == 7  # type: ignore[union-attr]
    assert sorted(p.name for p in path.parent.iterdir()) == ["audit-witness", "audit-witness.lock"]


def test_the_app_keeps_the_witness_at_the_head(store: Store) -> None:
    append(store, 12, per_commit=5)
    flush_witness()
    found = witness.read(store.settings.audit_witness)
    assert found is not None and found.seq == 12 and found.entry_hash == rows(store)[-1].entry_hash
    assert found.signature_valid(store.keys.audit_signing_key.public_key())
    assert store.settings.audit_witness.stat().st_mode & 0o077 == 0


def test_a_database_rolled_back_to_an_older_copy_is_caught_by_the_witness(store: Store) -> None:
    """Attacker (a) with an old copy: events, checkpoints and head as they were at seq 5."""
    append(store, 5)
    old = sql(store, "SELECT seq, entry_hash, mac FROM audit_head")[0]
    append(store, 5)
    flush_witness()
    lift_triggers(store)
    sql(store, "DELETE FROM audit_events WHERE seq > 5")
    sql(
        store,
        "UPDATE audit_head SET seq = :s, entry_hash = :e, mac = :m",
        s=old[0],
        e=old[1],
        m=old[2],
    )
    found = check(store)
    assert (found.bad_seq, found.kind) == (6, "truncated"), found.message()
    assert "the witness" in found.detail


def test_a_forged_witness_is_damage(store: Store) -> None:
    append(store, 3)
    flush_witness()
    store.settings.audit_witness.write_text("not a note\n")
    found = check(store)
    assert found.kind == "forged" and "witness" in found.detail
