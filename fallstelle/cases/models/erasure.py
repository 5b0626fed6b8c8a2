"""The deletion record of an erased case, for the auditor (``erasures``).

Imports ``fallstelle.db`` and SQLAlchemy. Deliberately **no foreign key to the case**: the
case is gone when this row is written. It holds what DOMAIN.md ("Retention") asks the
deletion record to hold — case number, office, dates, the rule and a reason code — and
nothing about a person: ``rule`` and ``reason`` are codes (``[a-z0-9_]``), never free text.
``register_seq`` is the entry's number in the erasure register (``cases.erasure``), the
append-only file in ``keys/`` that a restored backup is reconciled with.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from fallstelle.db import Base, UTCDateTime, utcnow


class ErasureRecord(Base):
    __tablename__ = "erasures"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(16))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    erased_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    rule: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    #: ``operator`` or the actor's roles (as in the audit log); never a name.
    actor_role: Mapped[str] = mapped_column(String(64))
    register_seq: Mapped[int] = mapped_column(Integer, index=True)
    #: 1 when the deletion was re-applied to a restored copy (``reapply``), else 0.
    reapplied: Mapped[int] = mapped_column(Integer, default=0)
