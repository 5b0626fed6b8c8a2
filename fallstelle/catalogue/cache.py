"""The catalogue as each process keeps it: vocabularies per office, the deadline rules and
each office's retention periods (``cases.retention.periods_of``, which bumps on a change).

Imports SQLAlchemy and this room's models. A case page needs about 340 vocabulary terms and
every rule; reading them on every request was 20 of its 41 SQL statements. Here they are read
once per process and database, as plain frozen values (no ORM objects outlive a session), and
kept until the catalogue changes: every change (``vocab.add_term``, ``rule_admin``, a
migration that changes terms) calls :func:`bump` in its own transaction, and every request
reads the one-row version (:func:`current_version`, once per session) before it trusts its
copy. Several processes on one PostgreSQL database therefore agree without talking to each
other.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from fallstelle.catalogue.models import CatalogueVersion

T = TypeVar("T")
_VERSION = "fallstelle.catalogue.version"
_lock = threading.Lock()
#: engine → {(what, key): (version, value)}; an engine that is gone takes its copies along.
_copies: weakref.WeakKeyDictionary[Engine, dict[Any, tuple[int, Any]]] = (
    weakref.WeakKeyDictionary()
)


#: Read on every request that uses a copy: a Core statement built once (issue 15).
_VERSION_ROW = select(CatalogueVersion.__table__.c.version).where(
    CatalogueVersion.__table__.c.id == 1
)


def current_version(session: Session) -> int:
    """Return the catalogue's version (read once per session: one request, one batch)."""
    known = session.info.get(_VERSION)
    if isinstance(known, int):
        return known
    found = session.scalar(_VERSION_ROW)
    version = int(found or 0)
    session.info[_VERSION] = version
    return version


def version_column() -> Any:
    """The version as a scalar subquery, for a caller that reads something else per request
    anyway: it hands the value to :func:`note_version` and saves the statement."""
    return _VERSION_ROW.scalar_subquery()


def note_version(session: Session, version: int | None) -> None:
    """Take the version as read by the caller's statement in this session's transaction."""
    session.info[_VERSION] = int(version or 0)


def bump(session: Session) -> None:
    """Mark the catalogue changed (in the caller's transaction): every copy is stale now."""
    session.execute(
        update(CatalogueVersion)
        .where(CatalogueVersion.id == 1)
        .values(version=CatalogueVersion.version + 1)
    )
    session.info.pop(_VERSION, None)


def cached(session: Session, key: Any, load: Callable[[], T]) -> T:
    """Return this process's copy of ``key`` if it is current, else ``load()`` and keep it."""
    version = current_version(session)
    engine = session.get_bind()
    assert isinstance(engine, Engine)  # noqa: S101 - sessions are bound to one engine
    with _lock:
        copies = _copies.setdefault(engine, {})
        hit = copies.get(key)
    if hit is not None and hit[0] == version:
        value: T = hit[1]
        return value
    value = load()
    with _lock:
        copies[key] = (version, value)
    return value
