"""The statistical record (Statistikbogen): anonymous, coarse, and unlinkable without keys.

Imports ``fallstelle.db`` and SQLAlchemy. There is deliberately **no foreign key to the
case** and nothing derived from it: the record's id is random, the link from case to record
lives only inside the case's encrypted payload (ARCHITECTURE.md, "The statistical record").
No timestamp either: an ``updated_at`` equal to the case's would join the two tables.
Multi-valued codes (Merkmale, Lebensbereiche, forms, interventions, effects) are rows of
``statistical_codes``.

``statistical_counts`` holds the records' facts pre-counted per office, quarter and counting
unit (:mod:`fallstelle.cases.stat_counts` keeps it in step, in the same transaction as every
record change). Reports read the counts, not the records: summing a few thousand counters is
what keeps a year over 100,000 records under half a second. The counts hold nothing the
records do not; they are derived and can be rebuilt from the records at any time.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fallstelle.db import Base


class StatisticalRecord(Base):
    __tablename__ = "statistical_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: The office counts per office; offices are not persons (FK allowed).
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    opened_quarter: Mapped[str] = mapped_column(String(7))  # "2026-Q1"
    closed_quarter: Mapped[str | None] = mapped_column(String(7), default=None)
    request_type: Mapped[str | None] = mapped_column(String(40), default=None)
    access_route: Mapped[str | None] = mapped_column(String(40), default=None)
    age_band: Mapped[str | None] = mapped_column(String(16), default=None)
    gender: Mapped[str | None] = mapped_column(String(24), default=None)
    kreis: Mapped[str | None] = mapped_column(String(16), default=None)
    agg_relevance: Mapped[str | None] = mapped_column(String(24), default=None)
    closure_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    counterpart_response: Mapped[str | None] = mapped_column(String(40), default=None)
    contact_count: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer, default=0)

    codes: Mapped[list[StatisticalCode]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", passive_deletes=True
    )


class StatisticalCode(Base):
    """One code of one multi-valued dimension of a record (``merkmal``, ``rassismus_herkunft``)."""

    __tablename__ = "statistical_codes"

    record_id: Mapped[str] = mapped_column(
        ForeignKey("statistical_records.id", ondelete="CASCADE"), primary_key=True
    )
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(80), primary_key=True)


#: Coded dimensions whose level-1 codes ``statistical_counts`` holds in pairs (crosstabs) and
#: per case, in the order the pair facts name them (``cases.stat_counts``; read by reports).
CROSSED = ("merkmal", "lebensbereich", "form", "intervention", "wirkung")


class StatisticalCount(Base):
    """How many records of an office have one fact, in one quarter and counting unit.

    ``unit`` is ``neu`` (counted in the quarter the case was opened) or ``abgeschlossen``
    (counted in the quarter it was closed); ``fact`` is a key such as ``n``,
    ``col:gender=weiblich``, ``code:merkmal=geschlecht`` or
    ``pair:merkmal*lebensbereich=geschlecht*arbeit`` (:mod:`fallstelle.cases.stat_counts`).
    """

    __tablename__ = "statistical_counts"
    #: Clustered by the key on SQLite: a report reads one contiguous range per office.
    __table_args__ = ({"sqlite_with_rowid": False},)

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)
    unit: Mapped[str] = mapped_column(String(16), primary_key=True)
    fact: Mapped[str] = mapped_column(String(255), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
