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

from sqlalchemy import Integer, LargeBinary, String, Uuid
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
