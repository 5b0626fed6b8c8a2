"""The staff of each office as each process keeps it: names and who is a counsellor.

Imports SQLAlchemy and this room's models and reads. Every case page names the staff of its
office (the lead counsellor, the authors of entries, who may be assigned), and the case list
those of the actor's offices; reading them was a statement on every such page (issue 15).
Here a process keeps each office's staff as plain frozen values, with the office's
``staff_version``; every change of an office's staff (an account's name, roles or offices:
``service._set_roles_and_offices``) calls :func:`bump` for the offices it touches, in its own
transaction. The versions come with the actor (``reads.ACTOR_ROWS`` reads them with the
office policies, in the request's transaction), so a copy is trusted only if its version is
the one the request read: several processes on one PostgreSQL database agree without
talking to each other, as the catalogue's copies do (``catalogue.cache``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, update
from sqlalchemy.orm import Session

from fallstelle.auth import reads
from fallstelle.auth.models import Office

#: ``session.info`` key: office id → its ``staff_version``, as the actor's statement read it.
VERSIONS = "fallstelle.auth.staff_versions"
_lock = threading.Lock()
#: engine → {office id: (staff version, staff)}; an engine that is gone takes its copies along.
_copies: weakref.WeakKeyDictionary[Engine, dict[int, tuple[int, Staff]]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class Staff:
    """One office's staff: id → display name (by name), and the counsellors among them."""

    names: Mapping[str, str]
    counsellors: frozenset[str]


def note_versions(session: Session, versions: dict[int, int]) -> None:
    """Take the staff versions as read with the actor in this session's transaction."""
    session.info[VERSIONS] = versions


def bump(session: Session, office_ids: Iterable[int]) -> None:
    """Mark the staff of these offices changed (in the caller's transaction)."""
    wanted = sorted(set(office_ids))
    if wanted:
        table = cast(Table, Office.__table__)
        session.execute(
            update(table)
            .where(table.c.id.in_(wanted))
            .values(staff_version=table.c.staff_version + 1)
        )
    session.info.pop(VERSIONS, None)


def of_office(session: Session, office_id: int) -> Staff:
    """The staff of ``office_id``: this process's copy if its version is the one read with
    the actor in this transaction, else read (and kept, if the version is known)."""
    version = (session.info.get(VERSIONS) or {}).get(office_id)
    engine = session.get_bind()
    if version is not None and isinstance(engine, Engine):
        with _lock:
            hit = _copies.get(engine, {}).get(office_id)
        if hit is not None and hit[0] == version:
            return hit[1]
    staff = _read(session, office_id)
    if version is not None and isinstance(engine, Engine):
        with _lock:
            _copies.setdefault(engine, {})[office_id] = (version, staff)
    return staff


def _read(session: Session, office_id: int) -> Staff:
    names: dict[str, str] = {}
    counsellors: set[str] = set()
    for user_id, name, counsellor in session.execute(reads.OFFICE_STAFF, {"office_id": office_id}):
        names[user_id] = name
        if counsellor:
            counsellors.add(user_id)
    return Staff(names, frozenset(counsellors))
