"""Case numbers per office and year (``2026-0042``), allocated safely under concurrency.

Imports SQLAlchemy and the case models. One atomic ``INSERT … ON CONFLICT DO UPDATE SET
last = last + 1 RETURNING last`` per case: on PostgreSQL a concurrent allocation for the
same office and year waits for the row lock and then sees the committed value, so two
transactions never get the same number; on SQLite every write transaction already holds the
database (``BEGIN IMMEDIATE``, ``db.make_engine``). The unique constraint on
``(office_id, case_number)`` is the backstop. A rolled-back case gives its number back,
so numbers have no gaps from failed saves. A number never contains a name.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fallstelle.cases.models import CaseNumberCounter


def allocate(session: Session, office_id: int, year: int) -> str:
    """Return the next case number of ``office_id`` in ``year``."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(CaseNumberCounter)
        .values(office_id=office_id, year=year, last=1)
        .on_conflict_do_update(
            index_elements=[CaseNumberCounter.office_id, CaseNumberCounter.year],
            set_={"last": CaseNumberCounter.last + 1},
        )
        .returning(CaseNumberCounter.last)
        # The counter is a row of its own: what the session holds pending (a bulk loader's
        # earlier cases) has no bearing on it, so it is not flushed first.
        .execution_options(autoflush=False)
    )
    last = session.execute(stmt).scalar_one()
    return f"{year}-{last:04d}"
