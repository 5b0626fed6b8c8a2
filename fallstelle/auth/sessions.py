"""Server-side sessions (SD-8): the browser holds a random 256-bit id, the database its
SHA-256 digest, so reading the table does not let anyone take over a session.

Idle timeout and absolute lifetime come from the settings; expired rows are deleted when
seen and swept on every new session. Ended at logout, password change, 2FA reset and
account disable (``end_for_user``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy import delete as sa_delete
from sqlalchemy.orm import Session

from fallstelle.auth import reads
from fallstelle.auth.models import WebSession
from fallstelle.db import as_utc


def new_id() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def hash_id(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


#: The time of last activity is written at most this often (a page view within a minute of
#: the last write changes nothing), so idle sign-out happens up to this much later.
TOUCH_AFTER = dt.timedelta(minutes=1)


class Loaded(NamedTuple):
    """What a request needs of its session row (plain values, no ORM object), and the rows of
    its user's actor (``reads.ACTOR_ROWS``, read with it: see ``service.actor_from_rows``)."""

    data: str
    last_seen_at: dt.datetime
    created_at: dt.datetime
    user_id: str | None = None
    actor_rows: Sequence[Sequence[Any]] = ()


def load(
    session: Session,
    raw: str,
    now: dt.datetime,
    idle: dt.timedelta,
    absolute: dt.timedelta,
    *,
    delete: bool = True,
) -> tuple[Loaded | None, str]:
    """Return the session row and ``ok``, or None and ``unknown`` / ``expired``.

    An expired row is deleted (unless ``delete`` is False: a read-only look). One SELECT,
    built once, that also reads the rows of the session's user's actor: this runs on every
    request, and a signed-in one would read those next (issue 15).
    """
    digest = hash_id(raw)
    found = session.execute(reads.SESSION_ROWS, {"digest": digest}).all()
    if not found:
        return None, "unknown"
    first, cut = found[0], reads.SESSION_COLUMNS
    row = Loaded(*first[:cut], actor_rows=[r[cut:] for r in found])  # type: ignore[misc]
    if now - as_utc(row.last_seen_at) > idle or now - as_utc(row.created_at) > absolute:
        if delete:
            session.execute(sa_delete(WebSession).where(WebSession.id_hash == digest))
        return None, "expired"
    return row, "ok"


def store(
    session: Session, raw: str, user_id: str | None, data: str, now: dt.datetime, *, new: bool
) -> None:
    """Create or update the row of ``raw``; a new row also sweeps long-dead sessions."""
    if new:
        session.execute(
            delete(WebSession).where(WebSession.last_seen_at < now - dt.timedelta(days=2))
        )
        session.add(
            WebSession(
                id_hash=hash_id(raw), user_id=user_id, data=data, created_at=now, last_seen_at=now
            )
        )
    else:
        row = session.scalar(select(WebSession).where(WebSession.id_hash == hash_id(raw)))
        if row is None:  # ended meanwhile (logout elsewhere, password change): stays ended
            return
        row.user_id, row.data, row.last_seen_at = user_id, data, now
    session.flush()


def delete_one(session: Session, raw: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == hash_id(raw)))


def end_for_user(session: Session, user_id: str, keep_raw: str | None = None) -> None:
    """End every session of a user (except ``keep_raw``, the one making the change)."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_raw is not None:
        query = query.where(WebSession.id_hash != hash_id(keep_raw))
    session.execute(query)
