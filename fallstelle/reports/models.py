"""The stored report release: who generated which report of which period, and its bytes.

Imports ``fallstelle.db`` and SQLAlchemy only. A release is immutable once written (SDC-6):
nothing updates a row, and :func:`fallstelle.reports.service.download` hands out the stored
bytes unchanged, after checking them against the SHA-256 recorded at generation.

**Bytes in the database, not files in the data directory**: the release row, its audit
event and its bytes commit in one transaction (there is no file without a row or a row
without a file), a database backup contains the releases, and PostgreSQL deployments need
no shared file system. Reports are small (a funding report is about 100–300 KiB, a few a
year per office). The release holds only published, suppressed figures — nothing here is
personal data, so nothing is encrypted.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from fallstelle.db import Base, UTCDateTime, utcnow


class ReportRelease(Base):
    __tablename__ = "report_releases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow, index=True)
    #: The generating user's id; None for the operator at the command line. No foreign key:
    #: the release outlives the account, like the audit log's actor ids.
    actor_id: Mapped[str | None] = mapped_column(String(36), default=None)
    actor_role: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))  # 2026, 2026-H1, 2026-Q3
    #: The offices reported on, as sorted ids joined by commas ("1,4").
    office_ids: Mapped[str] = mapped_column(String(400))
    template: Mapped[str] = mapped_column(String(16))  # funding | campaign
    k: Mapped[int] = mapped_column(Integer)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    csv_sha256: Mapped[str] = mapped_column(String(64))
    csv: Mapped[bytes] = mapped_column(LargeBinary)

    @property
    def offices(self) -> tuple[int, ...]:
        return tuple(int(x) for x in self.office_ids.split(",") if x)


class RegisterEntry(Base):
    """One entry of the release register: everything one build or preview showed (issue 10).

    ``cells`` is zlib-compressed JSON, one item per shown number: its cell id, its sum over
    base cells (``[[office ids], [quarters], unit, [facts], coefficient]`` terms), its
    published value or null when it was hidden, and the reader's lower bound of a hidden
    number. Only published numbers and the *fact* that a number was hidden are stored —
    what any reader of the release knows. Entries are never changed; the register is the
    attacker's knowledge (:mod:`fallstelle.reports.register`).
    """

    __tablename__ = "release_register"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[str | None] = mapped_column(String(36), default=None)
    actor_role: Mapped[str] = mapped_column(String(64))
    #: release (stored PDF/CSV), preview (management page), revision (new Berichtsstand)
    kind: Mapped[str] = mapped_column(String(16))
    release_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    period: Mapped[str] = mapped_column(String(7))
    office_ids: Mapped[str] = mapped_column(String(400))
    template: Mapped[str] = mapped_column(String(16))
    k: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    n_cells: Mapped[int] = mapped_column(Integer)
    n_hidden: Mapped[int] = mapped_column(Integer)
    cells: Mapped[bytes] = mapped_column(LargeBinary)
    #: The revision of each frozen office quarter the entry read, as JSON
    #: ``{"<office id>": {"<quarter>": revision}}``; only revisions other than 0 are listed
    #: (an office quarter not listed was read at revision 0). Migration 0021 filled the
    #: entries made before it with the revisions current then.
    revisions: Mapped[str] = mapped_column(Text, default="{}")


class RegisterLegacy(Base):
    """A register entry whose numbers contradict the frozen counts it read (made before its
    quarters were frozen): read as a legacy version of its own (issue 10)."""

    __tablename__ = "register_legacy"

    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    found_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    #: not even consistent on its own: only which cells it hid is kept
    unreadable: Mapped[bool] = mapped_column(Boolean, default=False)


class FrozenQuarter(Base):
    """An office's quarter whose base counts are frozen (Berichtsstand), and since when."""

    __tablename__ = "frozen_quarters"

    office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    frozen_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(36), default=None)


class FrozenCountRevision(Base):
    """An earlier snapshot of a frozen quarter, kept when :func:`.frozen.revise` took a new one:
    register entries made before the revision are sums over these counts (issue 10)."""

    __tablename__ = "frozen_count_revisions"
    __table_args__ = ({"sqlite_with_rowid": False},)

    office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(16), primary_key=True)
    fact: Mapped[str] = mapped_column(String(255), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class FrozenCount(Base):
    """The base counts of a frozen quarter: ``statistical_counts`` as it was when frozen."""

    __tablename__ = "frozen_counts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    office_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)
    unit: Mapped[str] = mapped_column(String(16), primary_key=True)
    fact: Mapped[str] = mapped_column(String(255), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
