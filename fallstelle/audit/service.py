"""Append events to the chain at commit time; sign checkpoints; roll and purge epochs.

Imports SQLAlchemy, ``cryptography`` (via ``chain``), ``db`` and this room's modules.

How an event reaches the table (LOG-2, issue 4 "the chain lock is held only for the
append itself"): :func:`record` only queues the event on ``session.info``. A
``before_commit`` listener on that session then flushes the action's own changes, takes the
chain lock, reads the head, inserts the queued events with consecutive ``seq`` and chained
hashes, moves the head, and lets the commit proceed. Event and action commit together or not
at all: an append that fails makes the commit fail (fail closed), and a rollback (of the
transaction, or of the savepoint the event was recorded in) drops the queued events.

The chain lock:

* PostgreSQL: ``SELECT … FROM audit_head WHERE id = 1 FOR UPDATE``. Taken after the action's
  flush, so it is held from the append to the COMMIT only. In READ COMMITTED (the default;
  REPEATABLE READ would fail such a commit with a serialization error instead of forking)
  a waiter re-reads the row the holder committed, so every append sees the newest head: no
  fork, no gap, no duplicate ``seq`` (which is also the primary key), across processes.
* SQLite: the engine starts every transaction with ``BEGIN IMMEDIATE`` (``db.make_engine``),
  so one writer at a time holds the database; ``FOR UPDATE`` compiles to nothing there.

The keyed chain (issue 11): the append computes each event's MAC with the chain key and the
head's MAC, in order, inside the same transaction, under the same lock (so the group commit's
batches are keyed like any other append). It first checks the head's MAC: a head that the
chain key did not write (a cut tail) stops every append (fail closed) until ``audit verify``
has been looked at. The keys come from the session (``db.KEYS_INFO``, set by
``store.open_store``); a session without them cannot append. A signed checkpoint is written
inside the append at every multiple of ``every`` (default ``chain.CHECKPOINT_EVERY``; the
verifier requires them). After the commit the new head goes to the witness file
(:mod:`audit.witness`), outside the database.

Retention (LOG-10, issue 13) lives in :mod:`audit.retention`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Row, Update, bindparam, event, func, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from fallstelle import db
from fallstelle.audit import chain, witness
from fallstelle.audit.events import Event
from fallstelle.audit.models import (
    AuditCheckpoint,
    AuditEvent,
    checkpoints_table,
    events_table,
    head_table,
)
from fallstelle.audit.rows import chained
from fallstelle.db import utcnow
from fallstelle.keyfiles import KeyMaterial

PENDING = "fallstelle.audit.pending"
DEFAULTS = "fallstelle.audit.defaults"
LISTENING = "fallstelle.audit.listening"
SIGNER = "fallstelle.audit.signer"
NEW_HEAD = "fallstelle.audit.new_head"
DEFAULT_EVERY = chain.CHECKPOINT_EVERY

_Pending = list[tuple[SessionTransaction | None, Event]]


def enable_checkpoints(
    sessions: sessionmaker[Session], key: Ed25519PrivateKey, *, every: int = DEFAULT_EVERY
) -> None:
    """Let sessions of ``sessions`` sign a checkpoint at every ``every``-th event they append.

    ``every`` must divide :data:`chain.CHECKPOINT_EVERY`, the cadence the verifier requires
    (tests sign more often).

    Raises:
        ValueError: ``every`` is below 1 or does not divide the required cadence.
    """
    if every < 1 or chain.CHECKPOINT_EVERY % every:
        raise ValueError(f"checkpoints need every >= 1 dividing {chain.CHECKPOINT_EVERY}")
    info = dict(sessions.kw.get("info") or {})
    info[SIGNER] = (key, every)
    sessions.configure(info=info)


def record(session: Session, event_: Event) -> None:
    """Queue ``event_`` to be appended to the chain when ``session`` commits.

    Raises:
        TypeError: ``event_`` is not an :class:`Event` (no dicts: validation must have run).
    """
    if not isinstance(event_, Event):
        raise TypeError("record() takes a fallstelle.audit.Event")
    defaults: dict[str, str] | None = session.info.get(DEFAULTS)
    if defaults and (event_.request_id is None or event_.client is None):
        event_ = replace(
            event_,
            request_id=event_.request_id or defaults.get("request_id"),
            client=event_.client or defaults.get("client"),
        )
    _listen(session)
    if not session.in_transaction():
        session.connection()  # begin now, so a rollback or close drops this event
    txn = session.get_nested_transaction() or session.get_transaction()
    pending: _Pending = session.info.setdefault(PENDING, [])
    pending.append((txn, event_))


def listen_on(sessions: sessionmaker[Session]) -> None:
    """Register the append's listeners once on a session factory: its sessions then skip
    registering them one by one (four ``event.listen`` calls per session and request)."""
    for name, listener in _LISTENERS:
        event.listen(sessions, name, listener)
    info = dict(sessions.kw.get("info") or {})
    info[LISTENING] = True
    sessions.configure(info=info)


def _listen(session: Session) -> None:
    if not session.info.get(LISTENING):
        event.listen(session, "before_commit", _before_commit)
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_soft_rollback)
        event.listen(session, "after_transaction_end", _after_transaction_end)
        session.info[LISTENING] = True


def set_request(session: Session, request_id: str | None, client: str | None = None) -> None:
    """Stamp every event later recorded in ``session`` with this request id and client."""
    session.info[DEFAULTS] = {
        k: v for k, v in (("request_id", request_id), ("client", client)) if v is not None
    }


def take_pending(session: Session, *, failures_only: bool = False) -> list[Event]:
    """Remove and return the events queued in ``session``.

    ``failures_only``: take only refusals and failures (outcome not ``ok``) and drop the rest —
    what a request that ended in an error may still say; an ``ok`` event there would claim
    something that was rolled back. The web pipeline also hands the events of a read-only
    request to :mod:`audit.group` with this.
    """
    pending: _Pending = session.info.get(PENDING) or []
    session.info[PENDING] = []
    return [ev for _, ev in pending if not failures_only or ev.outcome != "ok"]


def _before_commit(session: Session) -> None:
    if session.info.get(PENDING):
        session.flush()  # the action's own writes (and their row locks) come first
        _append_pending(session)


def _after_commit(session: Session) -> None:
    new_head: chain.Head | None = session.info.pop(NEW_HEAD, None)
    if new_head is not None:
        offer_head(session.info, new_head)


def offer_head(info: Mapping[str, Any], new_head: chain.Head) -> None:
    """Hand a committed head to the witness file (``info``: a store's session info)."""
    settings = info.get(db.SETTINGS_INFO)
    if settings is not None:
        keys = _keys(info)
        writer = witness.writer(
            settings.audit_witness, keys.audit_signing_key, settings.audit_witness_ms / 1000
        )
        writer.offer(new_head)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    pending: _Pending = session.info.get(PENDING) or []
    kept = [(txn, ev) for txn, ev in pending if not _inside(txn, previous)]
    session.info[PENDING] = kept


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(NEW_HEAD, None)  # after_commit took it; else it rolled back


_LISTENERS = (
    ("before_commit", _before_commit),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
    ("after_transaction_end", _after_transaction_end),
)


def _inside(txn: SessionTransaction | None, outer: SessionTransaction) -> bool:
    if outer.parent is None:
        return True  # the whole transaction rolled back
    while txn is not None:
        if txn is outer:
            return True
        txn = txn.parent
    return False


class ChainDamaged(RuntimeError):
    """The head row was not written with the chain key: nothing more is appended."""


def _keys(info: Mapping[str, Any]) -> KeyMaterial:
    keys: KeyMaterial | None = info.get(db.KEYS_INFO)
    if keys is None:
        raise RuntimeError(
            "audit events need the installation's keys: use a session of fallstelle.store"
        )
    return keys


#: Every append runs these: Core statements built once (a statement built per call and its
#: cache key cost more than the query; issue 15).
_HEAD = select(head_table).where(head_table.c.id == 1).with_for_update()
_INSERT_EVENTS = insert(events_table)
#: names of the moved head's columns → its UPDATE (bound as ``new_<name>``)
_MOVES: dict[tuple[str, ...], Update] = {}


def _move_statement(names: tuple[str, ...]) -> Update:
    found = _MOVES.get(names)
    if found is None:
        found = _MOVES[names] = (
            update(head_table)
            .where(head_table.c.id == 1)
            .values({name: bindparam(f"new_{name}") for name in names})
        )
    return found


def _lock_head(session: Session | Connection) -> Row[Any]:
    """Take the chain lock and return the head row (its columns as attributes: the row
    itself, not an ``AuditHead``, whose construction cost more than the query)."""
    return session.execute(_HEAD).one()


def _checked_head(session: Session | Connection, chain_key: bytes) -> Row[Any]:
    """Take the chain lock; return the head row if the chain key wrote it.

    Raises:
        ChainDamaged: the head's MAC does not match (a cut tail, a forged head).
    """
    head = _lock_head(session)
    check_head(chain_key, head)
    return head


def check_head(chain_key: bytes, head: Any) -> None:
    """Raise :class:`ChainDamaged` unless the chain key wrote ``head`` (seq, epoch,
    entry_hash, mac), or it is a new log's (seq 0, no MAC: a schema created without the key)."""
    if head.mac is None and head.seq == 0:
        return
    expected = chain.head_mac(chain_key, head.seq, head.epoch, bytes(head.entry_hash))
    if head.mac is None or not hmac.compare_digest(bytes(head.mac), expected):
        raise ChainDamaged(
            "the audit log's head has no valid MAC (was the log cut?): nothing is appended "
            "until `flask --app fallstelle audit verify` has been run and its finding handled"
        )


def _move_head(
    session: Session, chain_key: bytes, head: Row[Any] | None = None, **values: Any
) -> None:
    """Set the head to ``values`` (seq, entry_hash, epoch, …) with a fresh MAC; the witness
    gets it when ``session`` commits.

    ``head``: the row as the caller read it under the chain lock (else it is read again).
    """
    conn = session.connection()
    head = head if head is not None else _lock_head(conn)
    session.info[NEW_HEAD] = _move_head_on(conn, chain_key, head, **values)


def _move_head_on(conn: Connection, chain_key: bytes, head: Row[Any], **values: Any) -> chain.Head:
    new = {**{k: getattr(head, k) for k in ("seq", "epoch", "entry_hash")}, **values}
    mac = chain.head_mac(chain_key, new["seq"], new["epoch"], bytes(new["entry_hash"]))
    moved = {**values, "mac": mac}
    conn.execute(_move_statement(tuple(sorted(moved))), {f"new_{k}": v for k, v in moved.items()})
    return chain.Head(new["seq"], new["epoch"], bytes(new["entry_hash"]), mac)


def _append_pending(session: Session) -> None:
    pending: _Pending = session.info.get(PENDING) or []
    session.info[PENDING] = []
    if pending:
        _append(session, [ev for _, ev in pending])


def _append(session: Session, events: list[Event]) -> None:
    """Append ``events`` under the chain lock (the caller commits).

    Raises:
        ChainDamaged: the head was not written with the chain key.
    """
    _listen(session)
    session.info[NEW_HEAD] = append_on(session.connection(), session.info, events)


def append_on(conn: Connection, info: Mapping[str, Any], events: Sequence[Event]) -> chain.Head:
    """Append ``events`` on ``conn`` under the chain lock and return the new head; the caller
    commits ``conn``'s transaction and then hands the head to :func:`offer_head`.

    ``info``: a store's session info (the keys; :data:`SIGNER` if checkpoints are signed with
    another key or cadence). :mod:`audit.group` writes its batches through this, without an
    ORM session (issue 15: the session cost more than the append).

    Raises:
        ChainDamaged: the head was not written with the chain key.
        TypeError: an event is not an :class:`Event`.
    """
    keys = _keys(info)
    head = _checked_head(conn, keys.audit_chain_key)
    rows, checkpoints, new_head = chained(keys, info.get(SIGNER), head, events)
    conn.execute(_INSERT_EVENTS, [row._asdict() for row in rows])
    _move_head_on(
        conn, keys.audit_chain_key, head,
        seq=new_head.seq, entry_hash=new_head.entry_hash, last_time=rows[-1].time,
    )  # fmt: skip
    _insert_checkpoints(conn, checkpoints)
    return new_head


def _insert_checkpoints(conn: Connection, checkpoints: list[chain.Checkpoint]) -> None:
    if checkpoints:
        conn.execute(
            insert(checkpoints_table),
            [
                {
                    "seq": cp.seq,
                    "epoch": cp.epoch,
                    "entry_hash": cp.entry_hash,
                    "signed_at": cp.signed_at,
                    "key_hint": cp.key_hint,
                    "signature": cp.signature,
                }
                for cp in checkpoints
            ],
        )


def _stored_checkpoint(session: Session, seq: int) -> chain.Checkpoint | None:
    row = session.execute(select(checkpoints_table).where(AuditCheckpoint.seq == seq)).one_or_none()
    return None if row is None else chain.Checkpoint(**row._asdict())


def checkpoint(
    session: Session, key: Ed25519PrivateKey, *, every: int = DEFAULT_EVERY
) -> chain.Checkpoint | None:
    """Append queued events, sign every due checkpoint and one at the head; return that one.

    Returns None while the log is empty. Holds the chain lock until the caller commits.

    Raises:
        ValueError: ``every`` is below 1.
    """
    if every < 1:
        raise ValueError("checkpoints need every >= 1")
    _append_pending(session)
    head = _lock_head(session)
    if head.seq == 0:
        return None
    last = session.execute(select(func.max(AuditCheckpoint.seq))).scalar() or 0
    due = session.execute(
        select(AuditEvent.seq, AuditEvent.epoch, AuditEvent.entry_hash)
        .where(AuditEvent.seq > last, AuditEvent.seq % every == 0)
        .order_by(AuditEvent.seq)
    ).all()
    when = chain.format_time(utcnow())
    new = [chain.sign(key, seq, ep, bytes(h), when) for seq, ep, h in due]
    if head.seq > last and all(cp.seq != head.seq for cp in new):
        new.append(chain.sign(key, head.seq, head.epoch, bytes(head.entry_hash), when))
    _insert_checkpoints(session.connection(), new)
    return _stored_checkpoint(session, head.seq) if not new else new[-1]
