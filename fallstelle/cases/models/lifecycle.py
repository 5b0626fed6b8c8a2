"""Tables of a case's life after its entries: the change history and the retention policy.

Imports ``fallstelle.db`` and SQLAlchemy. ``case_changes`` holds one row per changed section
of a case: who (user id), when, which section (the entry kind, in clear like
``case_entries.kind``) and whether it was added, changed or removed; the before/after values
and the reason are one encrypted payload sealed with the case's data key (``cases.history``),
so the history is as readable as the case and goes with its key. ``retention_policies`` holds
an office's periods (DOMAIN.md "Retention"); an office without a row has the defaults.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from fallstelle.db import Base, UTCDateTime, utcnow

#: DOMAIN.md: identifying data until closure + 6 months; the case file until the end of the
#: 3rd calendar year after closure.
DEFAULT_IDENTIFYING_MONTHS = 6
DEFAULT_CASE_YEARS = 3


class CaseChange(Base):
    """One change of one section of a case (its values encrypted)."""

    __tablename__ = "case_changes"
    __table_args__ = (Index("ix_case_changes_case_id_at", "case_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(36), default=None)
    section: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(8))  # add, change, remove
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class RetentionPolicy(Base):
    """An office's retention periods (both counted from the closing date)."""

    __tablename__ = "retention_policies"

    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    identifying_months: Mapped[int] = mapped_column(Integer, default=DEFAULT_IDENTIFYING_MONTHS)
    case_years: Mapped[int] = mapped_column(Integer, default=DEFAULT_CASE_YEARS)
    updated_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
