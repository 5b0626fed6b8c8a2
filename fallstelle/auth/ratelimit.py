"""Per-user rate limits on expensive endpoints (REL-11), kept in the database so that they
hold across threads and processes without Redis.

Limits (requests per user within :data:`WINDOW`, a sliding 60 seconds):

- :data:`REPORT_LIMIT` = 10 report previews and report builds together (bucket ``report``);
- :data:`SEARCH_LIMIT` = 30 case searches (bucket ``search``).

Each user has a bucket of their own, so one user's use never blocks another; no limit is
global. The counts live in the sign-in throttle's table (``auth.throttle``) under keys
``rate:<bucket>:<user id>``, a namespace of their own, so no schema change was needed. A
user id is a random UUID that the audit log holds anyway; the rows say only when that user
last used the bucket, and each key keeps at most its limit's worth of rows.

:func:`hit` counts an allowed request; a refused one is not counted, so waiting always
helps: a slot frees one window after the oldest counted request. A refusal records the
audit event ``rate.limited`` (outcome ``denied``, reason the bucket, object the endpoint).
The key is locked for the transaction (a PostgreSQL advisory lock; SQLite's write lock),
so two processes cannot both take the last slot. Like every room function this flushes and
never commits: the caller commits the count, or the refusal's event, before anything else.

Imports the audit room, ``auth.throttle`` and ``auth.models`` only; no Flask.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete
from sqlalchemy.orm import Session

from fallstelle.audit import record
from fallstelle.auth import throttle
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import LoginFailure

WINDOW = throttle.WINDOW
REPORT = "report"
SEARCH = "search"
#: Report previews and builds together, per user and window: each aggregates the statistics,
#: a build also renders a PDF. Ten a minute is far above what a person clicks.
REPORT_LIMIT = 10
#: Case searches per user and window: each decrypts candidate cases to filter them.
SEARCH_LIMIT = 30
LIMITS: dict[str, int] = {REPORT: REPORT_LIMIT, SEARCH: SEARCH_LIMIT}


class RateLimited(Exception):
    """The actor has used up a bucket for now; ``retry_after`` whole seconds until a slot."""

    def __init__(self, bucket: str, limit: int, retry_after: int) -> None:
        super().__init__(f"rate limit of {bucket} reached")
        self.bucket = bucket
        self.limit = limit
        self.retry_after = retry_after


def key(bucket: str, user_id: str) -> str:
    """Return the table key of one user's bucket."""
    return f"rate:{bucket}:{user_id}"


def hit(
    session: Session,
    actor: Actor,
    bucket: str,
    now: dt.datetime,
    *,
    endpoint: str | None = None,
    request_id: str | None = None,
) -> None:
    """Count one request of ``actor`` against ``bucket`` (``REPORT`` or ``SEARCH``).

    Raises:
        RateLimited: the actor made ``LIMITS[bucket]`` requests within the window; nothing
            is counted and the refusal's audit event is recorded.
        KeyError: an unknown bucket.
        ValueError: the actor is not a signed-in user (the operator has no limit to count).
    """
    limit = LIMITS[bucket]
    if actor.is_operator or actor.user_id is None:
        raise ValueError("rate limits count signed-in users only")
    rate_key = key(bucket, actor.user_id)
    times = throttle.recent(session, rate_key, now)
    if len(times) >= limit:
        limited = actor.event(
            "rate.limited", outcome="denied", object_type="endpoint" if endpoint else None,
            object_id=endpoint or None, reason=bucket, request_id=request_id,
        )  # fmt: skip
        record(session, limited)
        # The request after the (len - limit + 1)-th oldest one leaves the window is allowed.
        frees_at = times[len(times) - limit] + WINDOW
        raise RateLimited(bucket, limit, max(1, math.ceil((frees_at - now).total_seconds())))
    session.execute(
        delete(LoginFailure).where(LoginFailure.key == rate_key, LoginFailure.at <= now - WINDOW)
    )
    session.add(LoginFailure(key=rate_key, at=now))
    session.flush()
