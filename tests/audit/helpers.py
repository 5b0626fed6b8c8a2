"""Test helpers for the audit log: append events, lift the triggers, tamper like an attacker."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from fallstelle.audit import Event, chain, queries, record, service, verifier
from fallstelle.store import Store


def append(store: Store, n: int, *, per_commit: int = 50, actor: str = "u-1") -> None:
    """Record ``n`` events, ``per_commit`` to a transaction."""
    done = 0
    while done < n:
        with store.sessions() as session:
            for _ in range(min(per_commit, n - done)):
                done += 1
                record(session, Event("case.read", actor_id=actor, object_id=f"c-{done}"))
            session.commit()


def sql(store: Store, statement: str, **params: Any) -> list[Any]:
    with store.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return list(result) if result.returns_rows else []


def lift_triggers(store: Store) -> None:
    """Do what an attacker with database access does first: switch the guards off."""
    if store.engine.dialect.name == "sqlite":
        names = sql(store, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        for (name,) in names:
            sql(store, f'DROP TRIGGER "{name}"')
    else:
        for table in ("audit_events", "audit_checkpoints", "audit_head", "audit_purges"):
            sql(store, f"ALTER TABLE {table} DISABLE TRIGGER USER")


def rows(store: Store) -> list[chain.Row]:
    with queries.read_snapshot(store.engine) as query:
        return [chain.Row._make(r) for r in query(queries.EVENTS_SQL)]


def rechain(store: Store, *, genesis: bytes | None = None, chain_key: bytes | None = None) -> None:
    """Recompute every entry hash from the first kept event, as an attacker who rewrote
    history would, and point the head at the end. With ``chain_key`` (a stolen key) the
    MACs and the head's MAC are recomputed too; without it they stay as they were."""
    log = rows(store)
    prev = genesis or (log[0].prev_hash if log and log[0].seq > 1 else chain.GENESIS)
    for row in log:
        new = chain.entry_hash(prev, row)
        mac = row.mac if chain_key is None else chain.entry_mac(chain_key, new)
        sql(
            store,
            "UPDATE audit_events SET prev_hash = :p, entry_hash = :e, mac = :m WHERE seq = :s",
            p=prev,
            e=new,
            m=mac,
            s=row.seq,
        )
        prev = new
    last = log[-1].seq if log else 0
    (epoch,) = sql(store, "SELECT epoch FROM audit_head")[0]
    head_mac = None if chain_key is None else chain.head_mac(chain_key, last, epoch, prev)
    params = {"s": last, "e": prev}
    if chain_key is not None:
        sql(
            store, "UPDATE audit_head SET seq = :s, entry_hash = :e, mac = :m", m=head_mac, **params
        )
    else:
        sql(store, "UPDATE audit_head SET seq = :s, entry_hash = :e", **params)


def resign(store: Store, key: Ed25519PrivateKey) -> None:
    """Replace every stored checkpoint by one signed over the current rows (stolen key)."""
    by_seq = {row.seq: row for row in rows(store)}
    seqs = [seq for (seq,) in sql(store, "SELECT seq FROM audit_checkpoints") if seq in by_seq]
    sql(store, "DELETE FROM audit_checkpoints")
    for seq in seqs:
        row = by_seq[seq]
        cp = chain.sign(key, seq, row.epoch, row.entry_hash, row.time)
        sql(
            store,
            "INSERT INTO audit_checkpoints (seq, epoch, entry_hash, signed_at, key_hint, "
            "signature) VALUES (:s, :ep, :h, :t, :k, :sig)",
            s=cp.seq,
            ep=cp.epoch,
            h=cp.entry_hash,
            t=cp.signed_at,
            k=cp.key_hint,
            sig=cp.signature,
        )


def every(store: Store) -> int:
    """The cadence the store's sessions sign at (the ``signed`` fixture: 10)."""
    signer = (store.sessions.kw.get("info") or {}).get(service.SIGNER)
    return chain.CHECKPOINT_EVERY if signer is None else int(signer[1])


def flush_witness() -> None:
    """Write every pending witness head now (the writer groups them by time)."""
    from fallstelle.audit import witness

    witness.flush_all()


def drop_witness(store: Store) -> None:
    """Delete the witness file, as an attacker with the data directory can."""
    flush_witness()
    store.settings.audit_witness.unlink()


def check(
    store: Store, external: list[tuple[str, chain.Checkpoint]] | None = None
) -> verifier.Verification:
    """Verify as ``audit verify`` does: chain key, witness file, saved checkpoints; the
    required cadence is the one the store signs at."""
    flush_witness()
    return queries.verify_log(
        store.engine,
        store.keys.audit_signing_key.public_key(),
        chain_key=store.keys.audit_chain_key,
        witness_path=store.settings.audit_witness,
        saved_checkpoints=external or [],
        every=every(store),
    )


def verify(store: Store, external: list[tuple[str, chain.Checkpoint]] | None = None) -> str:
    return check(store, external).message()


TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_audit_export.py"


@cache
def tool() -> ModuleType:
    """Load the standalone verifier script as a module (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("verify_audit_export", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module while being built
    spec.loader.exec_module(module)
    return module
