"""Retention of the audit log in whole epochs: close, archive (signed export), remove.

Imports SQLAlchemy, ``cryptography``, ``db`` and this room's modules.

Retention (LOG-10, issue 13): the log is cut into epochs. :func:`start_epoch` signs a final
checkpoint at the head and moves the head to the next epoch; that epoch's first event then
has the final checkpoint's hash as its ``prev_hash``. An epoch whose newest event is older
than the retention period (default three years) may go, oldest first, never the current one:
:func:`archive_epochs` first writes it as a signed export (the layout of ``audit export``:
its events, the previous epoch's final checkpoint where it begins, its own checkpoints up to
its final one, the public key), which ``tools/verify_audit_export.py`` proves complete and
unchanged offline with the public key alone; then :func:`purge_epoch` inserts an
``audit_purges`` row, the only thing the database trigger accepts as permission to DELETE
events of that epoch, and deletes them. Checkpoints are never deleted, so the verifier of
what stays starts at the purged epoch's final signed checkpoint.

Killed at any point, a re-run does the right thing: an archive is written to a temporary
directory, fsynced and renamed, so a finished directory is complete; a leftover temporary
one is removed and written again; an epoch already purged is skipped; an epoch archived but
not yet purged is purged (its archive is kept as it is).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from fallstelle.audit import chain, queries
from fallstelle.audit.events import Event
from fallstelle.audit.models import AuditEvent, AuditPurge, events_table, purges_table
from fallstelle.audit.service import (
    _checked_head,
    _keys,
    _lock_head,
    _move_head,
    _stored_checkpoint,
    checkpoint,
    record,
)
from fallstelle.db import utcnow

DEFAULT_RETENTION_DAYS = 3 * 365
DEFAULT_EPOCH_DAYS = 365


def start_epoch(session: Session, key: Ed25519PrivateKey) -> chain.Checkpoint | None:
    """Close the current epoch with a signed checkpoint and start the next one.

    Returns the final checkpoint, or None (and changes nothing) while the current epoch has
    no events. Holds the chain lock until the caller commits.

    Raises:
        ChainDamaged: the head was not written with the chain key.
    """
    final = checkpoint(session, key)
    chain_key = _keys(session.info).audit_chain_key
    head = _checked_head(session, chain_key)
    if final is None or head.seq == head.epoch_base_seq:
        return None
    _move_head(
        session,
        chain_key,
        epoch=head.epoch + 1,
        epoch_started=chain.format_time(utcnow()),
        epoch_base_seq=head.seq,
    )
    return final


def start_epoch_if_due(
    session: Session,
    key: Ed25519PrivateKey,
    *,
    epoch_days: int = DEFAULT_EPOCH_DAYS,
    now: dt.datetime | None = None,
) -> chain.Checkpoint | None:
    """Start a new epoch when the current one began ``epoch_days`` or more ago."""
    head = _lock_head(session)
    moment = now or utcnow()
    if head.epoch_started > chain.format_time(moment - dt.timedelta(days=epoch_days)):
        return None
    return start_epoch(session, key)


@dataclass(frozen=True)
class DueEpoch:
    """A closed epoch older than the cut-off: its seq range and its final checkpoint."""

    epoch: int
    first_seq: int
    last_seq: int
    final: chain.Checkpoint


def due_epochs(session: Session, cutoff: str) -> list[DueEpoch]:
    """Return the oldest closed epochs whose newest event is older than ``cutoff`` (RFC 3339).

    Only a prefix of the log: the first epoch that is too young, open or without its final
    checkpoint keeps itself and every later one. Takes the chain lock.
    """
    head = _lock_head(session)
    closed = session.execute(
        select(
            AuditEvent.epoch,
            func.min(AuditEvent.seq),
            func.max(AuditEvent.seq),
            func.max(AuditEvent.time),
        )
        .where(AuditEvent.epoch < head.epoch)
        .group_by(AuditEvent.epoch)
        .order_by(AuditEvent.epoch)
    ).all()
    due: list[DueEpoch] = []
    for epoch, first_seq, last_seq, last_time in closed:
        final = _stored_checkpoint(session, last_seq)
        if last_time >= cutoff or final is None or final.epoch != epoch:
            break
        due.append(DueEpoch(epoch, first_seq, last_seq, final))
    return due


def purge_epoch(session: Session, due: DueEpoch, action: str = "audit.purge") -> None:
    """Delete the events of ``due`` (the trigger lets them go after the purge record)."""
    conn = session.connection()
    conn.execute(
        insert(purges_table).values(
            epoch=due.epoch,
            purged_at=chain.format_time(utcnow()),
            last_seq=due.last_seq,
            last_hash=due.final.entry_hash,
        )
    )
    conn.execute(delete(events_table).where(AuditEvent.epoch == due.epoch))
    record(session, Event(action, object_type="audit_epoch", object_id=str(due.epoch)))


def _cutoff(retention_days: int, now: dt.datetime | None) -> str:
    if retention_days < 1:
        raise ValueError("retention needs at least one day")
    return chain.format_time((now or utcnow()) - dt.timedelta(days=retention_days))


def purge_epochs(
    session: Session,
    *,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    now: dt.datetime | None = None,
) -> list[int]:
    """Delete whole epochs, oldest first, whose newest event is older than the retention.

    Only closed epochs with a final checkpoint go; the current epoch never does. Records an
    ``audit.purge`` event per epoch. Holds the chain lock until the caller commits.

    Raises:
        ValueError: ``retention_days`` is below 1.
    """
    due = due_epochs(session, _cutoff(retention_days, now))
    for epoch in due:
        purge_epoch(session, epoch)
    return [d.epoch for d in due]


def archive_name(epoch: int) -> str:
    return f"audit-epoch-{epoch:06d}"


def archive_epochs(
    sessions: sessionmaker[Session],
    engine: Engine,
    out_dir: Path,
    public_key: Ed25519PublicKey,
    *,
    before: dt.datetime,
) -> list[int]:
    """Archive every due epoch whose newest event is older than ``before``, then remove it.

    Each epoch becomes ``out_dir/audit-epoch-NNNNNN/`` (see the module docstring), written
    before its events are deleted, one epoch per transaction. Returns the epochs removed.
    Idempotent and safe to re-run after a kill.
    """
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with sessions() as session:
        due = due_epochs(session, chain.format_time(before))
        already = set(session.scalars(select(AuditPurge.epoch)))
        session.rollback()
    removed: list[int] = []
    for epoch in due:
        if epoch.epoch in already:
            continue
        target = out_dir / archive_name(epoch.epoch)
        if not (target / "head.json").is_file():
            _write_archive(engine, target, public_key, epoch)
        with sessions() as session:
            purge_epoch(session, epoch, "audit.archive")
            session.commit()
        removed.append(epoch.epoch)
    return removed


def _write_archive(
    engine: Engine, target: Path, public_key: Ed25519PublicKey, epoch: DueEpoch
) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)  # a run killed while writing it
    queries.export(engine, tmp, public_key, seqs=(epoch.first_seq, epoch.last_seq))
    os.replace(tmp, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
