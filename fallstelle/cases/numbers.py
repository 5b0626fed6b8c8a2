"""Case numbers per office and year (``2026-0042``), allocated safely under concurrency.

Imports SQLAlchemy and the case models. One atomic ``INSERT … ON CONFLICT DO UPDATE SET
last = last + 1 RETURNING last`` per case: on PostgreSQL a concurrent allocation for the
same office and year waits for the row lock and then sees the committed value, so two
transactions never get the same number; on SQLite every write transaction already holds the
database (``BEGIN IMMEDIATE``, ``db.make_engine``). The unique constraint on
``(office_id, case_number)`` is the backstop. A rolled-back case gives its number back,
so numbers have no gaps from failed saves. A number never contains a name.

A bulk loader that knows how many cases of each year it will create in one transaction
(``intake.demo_run``) takes their numbers in one upsert per year (:func:`reserved`, ``last =
last + n``); :func:`allocate` then hands them out in order, the same numbers the cases would
have got one by one. The block is this transaction's like a single number (locked until the
commit, given back by a rollback), and a block not used up is refused (it would leave a gap).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fallstelle.cases.models import CaseNumberCounter

_RESERVED = "fallstelle.cases.numbers.reserved"


def _take(session: Session, office_id: int, year: int, count: int) -> int:
    """Move the counter on by ``count``; return the last number taken."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(CaseNumberCounter)
        .values(office_id=office_id, year=year, last=count)
        .on_conflict_do_update(
            index_elements=[CaseNumberCounter.office_id, CaseNumberCounter.year],
            set_={"last": CaseNumberCounter.last + count},
        )
        .returning(CaseNumberCounter.last)
        # The counter is a row of its own: what the session holds pending (a bulk loader's
        # earlier cases) has no bearing on it, so it is not flushed first.
        .execution_options(autoflush=False)
    )
    return int(session.execute(stmt).scalar_one())


def allocate(session: Session, office_id: int, year: int) -> str:
    """Return the next case number of ``office_id`` in ``year``."""
    blocks: dict[tuple[int, int], list[int]] | None = session.info.get(_RESERVED)
    block = blocks.get((office_id, year)) if blocks is not None else None
    last = block.pop() if block else _take(session, office_id, year, 1)
    return f"{year}-{last:04d}"


@contextmanager
def reserved(session: Session, office_id: int, per_year: Mapping[int, int]) -> Iterator[None]:
    """Take the numbers of ``per_year[year]`` new cases of each year at once for the block.

    Raises:
        RuntimeError: the block ends without an error but with numbers left over (a gap).
    """
    if _RESERVED in session.info:
        raise RuntimeError("case numbers are already reserved in this session")
    blocks: dict[tuple[int, int], list[int]] = {}
    for year, count in sorted(per_year.items()):
        if count > 0:
            last = _take(session, office_id, year, count)
            blocks[(office_id, year)] = list(range(last, last - count, -1))  # popped in order
    session.info[_RESERVED] = blocks
    try:
        yield
    finally:
        del session.info[_RESERVED]
    if any(blocks.values()):
        raise RuntimeError("case numbers reserved but not used")
