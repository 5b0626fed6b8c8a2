"""The statistical record (Statistikbogen): anonymous, coarse, and unlinkable without keys.

Imports ``fallstelle.db`` and SQLAlchemy. There is deliberately **no foreign key to the
case** and nothing derived from it: the record's id is random, the link from case to record
lives only inside the case's encrypted payload (ARCHITECTURE.md, "The statistical record").
No timestamp either: an ``updated_at`` equal to the case's would join the two tables.
Multi-valued codes (Merkmale, Lebensbereiche, forms, interventions, effects) are rows of
``statistical_codes``, so a share of cases or a crosstab is a plain SQL aggregate.
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
