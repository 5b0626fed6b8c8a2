"""The audit tables: events, signed checkpoints, the chain head (lock row) and purged epochs.

Imports SQLAlchemy and ``db``. Every table but the head is append-only in the database itself
(triggers of migration 0002); only ``service`` writes to them. Times are stored as RFC 3339
UTC text with microseconds (``2026-05-01T10:00:00.123456Z``): exactly the string that is
hashed, identical on SQLite and PostgreSQL, and it sorts like the time it names.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, LargeBinary, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from fallstelle.db import Base

TIME_LENGTH = 32
TOKEN_LENGTH = 128


class AuditEvent(Base):
    """One hash-chained event; ``seq`` is gapless from 1, ``epoch`` is its retention unit."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(Integer)
    time: Mapped[str] = mapped_column(String(TIME_LENGTH))
    actor_id: Mapped[str | None] = mapped_column(String(TOKEN_LENGTH))
    actor_role: Mapped[str | None] = mapped_column(String(TOKEN_LENGTH))
    action: Mapped[str] = mapped_column(String(TOKEN_LENGTH))
    object_type: Mapped[str | None] = mapped_column(String(TOKEN_LENGTH))
    object_id: Mapped[str | None] = mapped_column(String(TOKEN_LENGTH))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(TOKEN_LENGTH))
    client: Mapped[str | None] = mapped_column(String(TOKEN_LENGTH))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: HMAC of the entry hash under keys/audit-chain.key; NULL only for legacy events.
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))

    __table_args__ = (
        Index("ix_audit_events_epoch", "epoch"),
        Index("ix_audit_events_time", "time"),
        Index("ix_audit_events_actor_id", "actor_id"),
        Index("ix_audit_events_object_id", "object_id"),
    )


class AuditCheckpoint(Base):
    """A signed statement "the chain had ``entry_hash`` at ``seq``" (see ``chain.note_body``)."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed_at: Mapped[str] = mapped_column(String(TIME_LENGTH))
    key_hint: Mapped[bytes] = mapped_column(LargeBinary(4))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class AuditHead(Base):
    """The one row that names the chain's end; appenders lock it (``SELECT … FOR UPDATE``).

    Its MAC makes it evidence of where the log ends (a cut tail needs the chain key); the
    verifier otherwise trusts only the events, their MACs and the signed checkpoints.
    ``epoch_base_seq`` is the last seq before the current epoch began.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    epoch: Mapped[int] = mapped_column(Integer)
    epoch_started: Mapped[str] = mapped_column(String(TIME_LENGTH))
    epoch_base_seq: Mapped[int] = mapped_column(BigInteger)
    last_time: Mapped[str | None] = mapped_column(String(TIME_LENGTH))
    #: ``chain.head_mac`` over (seq, epoch, entry_hash): a cut tail needs the chain key.
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class AuditPurge(Base):
    """A whole epoch deleted at the end of its retention; its presence permits the DELETE."""

    __tablename__ = "audit_purges"

    epoch: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    purged_at: Mapped[str] = mapped_column(String(TIME_LENGTH))
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


#: The Core tables, for the append's plain INSERT/UPDATE statements (no ORM unit of work).
events_table = cast(Table, AuditEvent.__table__)
checkpoints_table = cast(Table, AuditCheckpoint.__table__)
head_table = cast(Table, AuditHead.__table__)
purges_table = cast(Table, AuditPurge.__table__)
