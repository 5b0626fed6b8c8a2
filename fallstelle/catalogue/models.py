"""Vocabularies and deadline rules as data.

Imports ``fallstelle.db`` and SQLAlchemy. A vocabulary term with ``office_id`` NULL is shared
by every office: level 1 is fixed (pooled reports count by it), level 2 is shared but an
office may add its own level-2 terms under a level-1 term (``office_id`` set). Codes of level
2 are ``<level1>.<level2>``, so the level-1 mapping of any code, an office's own included,
is its prefix. Deadline rules carry a validity period because the AGG is being reformed
(reference/domain.md §4.2): a new rule version gets a new row, old cases keep theirs.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fallstelle.db import Base


class VocabTerm(Base):
    __tablename__ = "vocab_terms"
    __table_args__ = (Index("ix_vocab_terms_vocabulary_code", "vocabulary", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vocabulary: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(80))
    level: Mapped[int] = mapped_column(Integer)
    parent_code: Mapped[str | None] = mapped_column(String(40), default=None)
    label_de: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), default=None, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Reports show the term on a line of its own (Antisemitismus, reference §2.4.2).
    own_line: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DeadlineRule(Base):
    """One version of a legal deadline: how long, from which event, valid when."""

    __tablename__ = "deadline_rules"
    __table_args__ = (
        Index("ix_deadline_rules_code_valid_from", "code", "valid_from", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    legal_reference: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(Integer)
    #: ``days``, ``weeks``, ``months`` or ``years`` (deadlines.UNITS).
    unit: Mapped[str] = mapped_column(String(8))
    #: The event whose date starts the period (deadlines.START_EVENTS).
    start_event: Mapped[str] = mapped_column(String(40))
    #: § 199 (1) BGB: the period starts at the end of the year of the start event.
    from_year_end: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, default=None)


class CatalogueVersion(Base):
    """One row: a number that every change of the catalogue (terms, rules) increases.

    Each process keeps the vocabularies and rules it has read, and reads this number once
    per request to know whether its copy is still current (``catalogue.cache``): one cheap
    SELECT instead of hundreds of rows, correct across several processes.
    """

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class OfficePrivacy(Base):
    """An office's data-protection settings: the law its provider applies, the report logo.

    Church providers apply their own law instead of the GDPR (Art. 91 GDPR): Catholic ones
    the KDG, Protestant ones the DSG-EKD (reference/domain.md §1). The privacy notice and
    the consent texts cite it.
    """

    __tablename__ = "office_privacy"

    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``dsgvo``, ``kdg`` or ``dsg_ekd`` (``catalogue.privacy.LAWS``).
    law: Mapped[str] = mapped_column(String(16), default="dsgvo")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    #: ``image/png`` or ``image/jpeg``.
    logo_type: Mapped[str | None] = mapped_column(String(16), default=None)


class PrivacyText(Base):
    """One published version of a privacy notice or consent text; never changed afterwards.

    A consent on a case records the ``label`` of the version that was shown, so what a
    person agreed to can be read years later.
    """

    __tablename__ = "privacy_texts"
    __table_args__ = (
        Index("ix_privacy_texts_office_kind_label", "office_id", "kind", "label", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    #: A code of the ``einwilligung`` vocabulary (``datenschutzinformation`` is the notice).
    kind: Mapped[str] = mapped_column(String(80))
    #: ``YYYY-N``: the N-th version of this text published in year YYYY.
    label: Mapped[str] = mapped_column(String(40))
    law: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    published_on: Mapped[dt.date] = mapped_column(Date)
    published_by: Mapped[str | None] = mapped_column(String(36), default=None)
