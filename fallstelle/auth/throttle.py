"""Login throttling kept in the database, so it holds across threads and processes (SD-6).

At most 5 failed attempts per account and 20 per client address in any 60 seconds; past
that, attempts are refused before any credential check, even with the right password, until
the window has passed. Never a global lockout: one account's or address's failures never
block another. Typed usernames and client addresses are stored only as keyed hashes.

The table is shared with the per-user rate limits of ``auth.ratelimit`` (keys ``rate:…``),
which use :func:`recent`; the keys ``user:…`` and ``client:…`` belong to sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from fallstelle import crypto
from fallstelle.auth.models import LoginFailure
from fallstelle.db import as_utc

WINDOW = dt.timedelta(seconds=60)
ACCOUNT_LIMIT = 5
CLIENT_LIMIT = 20


def account_key(pepper: bytes, username: str) -> str:
    """Return the throttle key of a typed username: a keyed hash, so a password typed into
    the name field by mistake is never stored."""
    secret = crypto.derive_key(pepper, "account-throttle")
    name = username.strip().casefold()[:64].encode()
    return "user:" + hmac.new(secret, name, hashlib.sha256).hexdigest()[:32]


def client_key(secret: bytes, address: str) -> str:
    """Return the throttle key of a client address: a keyed hash, never the address."""
    return "client:" + hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]


def _lock(session: Session, key: str) -> None:
    # PostgreSQL: serialise attempts on one key so two processes cannot both see 4 failures.
    # SQLite already holds the database write lock (BEGIN IMMEDIATE).
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})


def is_throttled(session: Session, limits: dict[str, int], now: dt.datetime) -> bool:
    """Return whether any key has reached its limit of failures within the window."""
    for key, limit in sorted(limits.items()):
        _lock(session, key)
        count = session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at > now - WINDOW)
        )
        if (count or 0) >= limit:
            return True
    return False


def recent(session: Session, key: str, now: dt.datetime) -> list[dt.datetime]:
    """Lock ``key`` until the transaction ends; return its times within the window, oldest first."""
    _lock(session, key)
    times = session.scalars(
        select(LoginFailure.at)
        .where(LoginFailure.key == key, LoginFailure.at > now - WINDOW)
        .order_by(LoginFailure.at)
    )
    return [as_utc(at) for at in times]


def record_failure(session: Session, keys: list[str], now: dt.datetime) -> None:
    """Count one failed attempt against every key; forget failures older than an hour."""
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - dt.timedelta(hours=1)))
    session.add_all(LoginFailure(key=key, at=now) for key in keys)
    session.flush()
