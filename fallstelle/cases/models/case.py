"""The case row, its counsellors, its encrypted entries and the case-number counters.

Imports ``fallstelle.db`` and SQLAlchemy. What is in clear is the workflow list of
ARCHITECTURE.md ("What is encrypted"): id, case number, office, counsellors, status,
opened/closed date, next deadline / follow-up date, version, timestamps; plus, as a
documented deviation, ``last_contact_on`` (the case list shows it, and decrypting every case
of an office for a list page would not meet the benchmark; it says no more than
``updated_at`` already does) and ``updated_by`` (the conflict message names who changed the
case — the audit log knows it anyway), ``legal_hold`` and ``identifying_removed_on`` (the
retention run and the 30-day warning select on them; a hold says no more than "keep this
closed case", its reason and review date are encrypted).

Everything else is one encrypted JSON payload per row (``cases.payload`` for the case's own
sections; ``case_entries.payload`` for persons, incidents, contacts, interventions,
deadlines, follow-ups and attachment metadata, one row each), sealed by ``cases.sealing``
with the case's data key. ``case_entries.kind`` is in clear and bound into the AAD, so an
entry cannot be relabelled. Identifying data of a person (name, contact) is a row of its own
in ``case_identities`` so that it can be deleted early; its only clear columns are the
truncated blind indexes of the prefixes of surname and phone and of the e-mail (never of
a category).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fallstelle.db import Base, Bytes, UTCDateTime, utcnow

STATUSES = (
    "anfrage",
    "in_beratung",
    "intervention_laufend",
    "ruhend",
    "abgeschlossen",
    "wiederaufgenommen",
)
OPEN_STATUSES = tuple(s for s in STATUSES if s != "abgeschlossen")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("office_id", "case_number", name="uq_cases_office_id_case_number"),
        Index("ix_cases_office_id_next_deadline_on", "office_id", "next_deadline_on"),
        # The case list's order and status filter, the dashboard, the retention warning (0019).
        Index("ix_cases_office_id_opened_on", "office_id", "opened_on", "case_number", "id"),
        Index("ix_cases_office_id_status_opened_on", "office_id", "status", "opened_on",
              "case_number", "id"),
        Index("ix_cases_office_id_status_closed_on", "office_id", "status", "closed_on",
              "legal_hold", "identifying_removed_on", "lead_counsellor_id", "id"),
        Index("ix_cases_office_id_last_contact_on", "office_id", "last_contact_on"),
        Index("ix_cases_lead_counsellor_id_opened_on", "lead_counsellor_id", "opened_on"),
        Index("ix_cases_lead_counsellor_id_next_deadline_on", "lead_counsellor_id",
              "next_deadline_on"),
        Index("ix_cases_lead_counsellor_id_next_follow_up_on", "lead_counsellor_id",
              "next_follow_up_on"),
    )  # fmt: skip

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    case_number: Mapped[str] = mapped_column(String(16))
    lead_counsellor_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    next_deadline_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    next_follow_up_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    last_contact_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    #: The case's data key wrapped by a KEK (crypto.Keyring.wrap_dek, 65 bytes).
    dek_wrapped: Mapped[Bytes]
    dek_kid: Mapped[str] = mapped_column(String(8), index=True)  # for rotation in batches
    dek_version: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[Bytes]
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    updated_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: Retention (issue 13), in clear so the nightly run and the home page's warning can find
    #: due cases without decrypting every closed case: whether a legal hold stops deletion
    #: (its reason and review date are encrypted) and when identifying data was removed.
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    identifying_removed_on: Mapped[dt.date | None] = mapped_column(Date, default=None)

    co_counsellors: Mapped[list[CaseCounsellor]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API

    @property
    def counsellor_ids(self) -> frozenset[str]:
        """The lead and every co-counsellor."""
        return frozenset({self.lead_counsellor_id} | {c.user_id for c in self.co_counsellors})


class CaseCounsellor(Base):
    """A co-counsellor of a case (Co-Beratung); ``share`` in percent, for effort reports."""

    __tablename__ = "case_counsellors"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    share: Mapped[int] = mapped_column(Integer, default=0)


class CaseEntry(Base):
    """One encrypted section row of a case: a person, incident, contact, intervention, …"""

    __tablename__ = "case_entries"
    __table_args__ = (Index("ix_case_entries_case_id_kind", "case_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    updated_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)


class CaseIdentity(Base):
    """Identifying data of one person entry, apart so it can be deleted early (§2.3)."""

    __tablename__ = "case_identities"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_entries.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    email_bidx: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    # Prefix indexes (issue 14, ``cases.sealing.PrefixIndexer``) in place of the exact ones:
    # the first 3 / 5 letters of the folded surname, the first 4 / 6 digits of the phone
    # number; each pair shares the office's index length.
    surname_p3_bidx: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    surname_p5_bidx: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    phone_p4_bidx: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    phone_p6_bidx: Mapped[int | None] = mapped_column(Integer, default=None, index=True)


class CaseNumberCounter(Base):
    """The last case number handed out per office and year (an atomic upsert bumps it)."""

    __tablename__ = "case_number_counters"

    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
