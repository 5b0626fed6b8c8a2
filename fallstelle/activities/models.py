"""Non-case work of an office: workshops, campaigns, network meetings, consultations.

Imports ``fallstelle.db`` and SQLAlchemy. Not personal data (a date, a kind code, a short
title, a number of participants), so nothing here is encrypted; the funding report counts
these rows (DOMAIN.md, report 9). ``kind`` is a code of the vocabulary ``aktivitaet``
(seeded by revision 0006).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fallstelle.db import Base, UTCDateTime, utcnow

TITLE_MAX = 120


class OfficeActivity(Base):
    __tablename__ = "office_activities"
    __table_args__ = (Index("ix_office_activities_office_id_held_on", "office_id", "held_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    held_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    participants: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    updated_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API
