"""Flask session interface backed by ``auth.sessions``: server-side, revocable (SD-8).

The cookie holds only a random 256-bit id: ``__Host-fallstelle`` with ``Secure`` over HTTPS,
always HttpOnly and SameSite=Strict. A row is written only once the session holds something
(the CSRF token of a form, a signed-in user), in its own short transaction after the view
committed, and only when something changed: its data, or — at most once a minute — the time
of last activity (``auth.sessions.TOUCH_AFTER``), so a page view does not queue for the
database's write lock just to say "still here". Reading the row needs no write lock at all
(``Store.read_sessions``). ``regenerate()`` gives a new id (at every sign-in step: no session
fixation); ``destroy()`` deletes the row and the cookie (sign-out).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Flask, Request, g
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy.orm import Session
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response

from fallstelle.audit import Event, record
from fallstelle.auth import sessions as store_sessions
from fallstelle.db import as_utc, end_read, utcnow
from fallstelle.runtime import get_runtime


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(
        self,
        data: dict[str, Any] | None = None,
        raw_id: str | None = None,
        stored: str | None = None,
        last_seen: dt.datetime | None = None,
    ) -> None:
        def on_update(_self: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.raw_id = raw_id
        self.stored = stored  # the row's data as loaded: unchanged data is not written again
        self.last_seen = last_seen
        self.modified = False
        self.destroyed = False
        self.old_raw_id: str | None = None

    def regenerate(self) -> None:
        """Give the session a new id; the old one stops working."""
        if self.raw_id is not None and self.old_raw_id is None:
            self.old_raw_id = self.raw_id
        self.raw_id = None
        self.modified = True

    def destroy(self) -> None:
        self.clear()
        self.destroyed = True


def cookie_name(app: Flask) -> str:
    return "__Host-fallstelle" if get_runtime(app).settings.https else "fallstelle_session"


class ServerSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        runtime = get_runtime(app)
        store = runtime.open(app)
        raw = request.cookies.get(cookie_name(app))
        if not raw or len(raw) > 100:
            return ServerSession()
        settings = runtime.settings
        now = utcnow()
        idle = dt.timedelta(minutes=settings.session_idle_minutes)
        absolute = dt.timedelta(hours=settings.session_absolute_hours)
        db: Session | None = store.read_sessions()
        try:
            assert db is not None  # noqa: S101 - type narrowing only
            db.begin()
            row, status = store_sessions.load(db, raw, now, idle, absolute, delete=False)
            if row is not None:
                found = ServerSession(
                    json.loads(row.data), raw_id=raw, stored=row.data,
                    last_seen=as_utc(row.last_seen_at),
                )  # fmt: skip
                # The same read transaction serves the request if it only reads
                # (``web.pipeline``): one session and connection per page, not two; and
                # the actor's rows, read with the session row, serve it there.
                g.fallstelle_session_actor = (db, row.user_id, row.actor_rows)
                g.fallstelle_read_session, db = db, None
                return found
        finally:
            if db is not None:
                end_read(db)  # keeps the connection's prepared statements (PostgreSQL)
                db.close()
        if status == "expired":  # rare: delete the dead row (a write) and say so
            with store.sessions() as db, db.begin():
                store_sessions.load(db, raw, now, idle, absolute)
                record(db, Event(action="auth.session_expired", outcome="denied"))
        else:
            # An unknown id is only read: the event goes through the group commit.
            runtime.group.append([Event(action="auth.session_unknown", outcome="denied")])
        g.session_problem = status
        return ServerSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)  # noqa: S101 - set by open_session
        name = cookie_name(app)
        settings = get_runtime(app).settings
        store = get_runtime(app).open(app)
        now = utcnow()
        data = json.dumps(dict(session))
        if (
            session.old_raw_id is None
            and not session.destroyed
            and session.raw_id is not None
            and data == session.stored
            and session.last_seen is not None
            and now - session.last_seen < store_sessions.TOUCH_AFTER
        ):
            response.vary.add("Cookie")
            return  # nothing new to say: no write (and no wait for the write lock)
        if (
            session.old_raw_id is None
            and not session.destroyed
            and session.raw_id is None
            and not session
        ):
            return  # no session and nothing to keep (/health, a static file): no transaction
        with store.sessions() as db, db.begin():
            if session.old_raw_id is not None:
                store_sessions.delete_one(db, session.old_raw_id)
            if session.destroyed:
                if session.raw_id is not None:
                    store_sessions.delete_one(db, session.raw_id)
                response.delete_cookie(
                    name, path="/", secure=settings.https, httponly=True, samesite="Strict"
                )
                return
            if not session and session.raw_id is None:
                return
            new = session.raw_id is None
            if new:
                session.raw_id = store_sessions.new_id()
            store_sessions.store(
                db,
                session.raw_id or "",
                session.get("uid"),
                data,
                now,
                new=new,
            )
        if new:
            response.set_cookie(
                name,
                session.raw_id or "",
                httponly=True,
                secure=settings.https,
                samesite="Strict",
                path="/",
            )
        response.vary.add("Cookie")
