"""The request pipeline owns the transaction: one context per request, committed once.

Every request gets one :class:`RequestContext` (``context()``): its database session, the
signed-in actor (loaded once, by the guard), the installation's keys, the one clock and the
request id. Views never commit or roll back; the pipeline does, in one place:

* the view returned (whatever its status): :func:`finish` commits in ``after_request``,
  before a byte of the response leaves. A request that only reads (GET/HEAD, not marked
  :func:`writes`) runs in a read-only transaction; its audit events are appended by the
  process's group commit (``audit.group``), and the response waits until they are durable.
  They are handed in as soon as the page starts to render (Flask's
  ``before_render_template``): the batch's commit then runs while the page is rendered, and
  ``finish`` still waits for it before the response leaves;
* the view raised — a refusal of a service (403/404/409/429, ``web.errors``), an ``abort``
  or a bug: :meth:`RequestContext.fail` rolls back everything but the audit events of
  refusals and failures (outcome not ``ok``) and commits those, so "the refusal is audited"
  no longer depends on every view remembering. A read's events handed in early are taken
  back (``GroupCommit.withdraw``) unless a batch has already taken them: then the read is
  recorded although its page failed (it was decrypted for the actor: the log errs on the
  side of saying more);
* a change that may fail half-way runs in :meth:`RequestContext.attempt` (a savepoint): bad
  input or a stale version undoes exactly that change, and the rest of the request — the
  audited read of the page shown again — still commits.

A failed commit is never hidden: the exception reaches the error handler and the user sees
an error page, never content whose audit event was not stored.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, before_render_template, g, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from fallstelle import clock, db
from fallstelle.audit import Event, record
from fallstelle.audit import service as audit_service
from fallstelle.audit.group import Ticket
from fallstelle.auth.actor import Actor
from fallstelle.keyfiles import KeyMaterial
from fallstelle.runtime import Runtime, get_runtime
from fallstelle.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
WRITES_ATTR = "_fallstelle_writes_on_get"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSET: Any = object()


def writes(view: F) -> F:
    """Mark a view that changes data also on GET (a one-time link that is used up on open)."""
    setattr(view, WRITES_ATTR, True)
    return view


class RequestContext:
    """What a view works with: session, actor, keys, clock; built once per request."""

    clock = clock

    def __init__(self, runtime: Runtime, *, writes: bool, request_id: str) -> None:
        self.runtime = runtime
        self.writes = writes
        self.request_id = request_id
        self._session: Session | None = None
        self._actor: Actor | None = _UNSET
        self.finished = False
        #: Read events handed to the group commit before the response (:meth:`submit_reads`).
        self._tickets: list[Ticket] = []

    @property
    def store(self) -> Store:
        return self.runtime.open(_app())

    @property
    def keys(self) -> KeyMaterial:
        return self.store.keys

    @property
    def session(self) -> Session:
        """This request's session: read-only for reads, a writing one for changes."""
        if self._session is None:
            store = self.store
            opened: Session | None = g.pop("fallstelle_read_session", None)
            if opened is not None and self.writes:
                db.end_read(opened)
                opened.close()
                opened = None
            # A read continues the read transaction the session cookie was checked in.
            if opened is None:
                opened = (store.sessions if self.writes else store.read_sessions)()
            self._session = opened
            audit_service.set_request(self._session, self.request_id)
        return self._session

    @property
    def actor(self) -> Actor | None:
        """The signed-in actor (password and 2FA done), or None; loaded by the guard."""
        if self._actor is _UNSET:
            from fallstelle.web.guard import load_signed_in_actor

            self._actor = load_signed_in_actor(self.session)
        return self._actor

    def require_actor(self) -> Actor:
        """The signed-in actor of a guarded view (the guard let the request in)."""
        actor = self.actor
        assert actor is not None  # noqa: S101 - only guarded views call this
        return actor

    def audit(
        self,
        action: str,
        *,
        outcome: str = "ok",
        object_type: str | None = None,
        object_id: str | None = None,
        reason: str | None = None,
        actor: Actor | None = _UNSET,
    ) -> None:
        """Record an event of this request, in the actor's name (ids and codes only)."""
        who = self._actor if actor is _UNSET else actor
        who = None if who is _UNSET else who
        record(
            self.session,
            Event(
                action=action,
                outcome=outcome,
                actor_id=who.user_id if who is not None else None,
                actor_role=who.audit_role if who is not None else None,
                object_type=object_type,
                object_id=object_id,
                reason=reason,
                request_id=self.request_id,
            ),
        )

    def attempt(self, work: Callable[[], T]) -> T:
        """Run one change in a savepoint: if it raises, exactly its writes are undone."""
        with self.session.begin_nested():
            return work()

    def commit_now(self) -> None:
        """Commit what the request did so far and go on in a new transaction.

        Only for a count that must hold even if the rest of the request fails (the rate
        limit, ``web.ratelimit``); views never call it.
        """
        self.session.commit()

    def submit_reads(self) -> None:
        """Hand the read events recorded so far to the group commit without waiting (a page
        starts to render); :meth:`commit` waits for them before the response leaves."""
        if self.writes or self.finished or self._session is None:
            return
        events = audit_service.take_pending(self._session)
        if events:
            self._tickets.append(self.runtime.group.submit(events))

    def commit(self) -> None:
        """Make the request's work durable (the pipeline calls this, never a view)."""
        self.finished = True
        session = self._session
        if session is None:
            return
        if self.writes:
            session.commit()
        else:
            events = audit_service.take_pending(session)
            db.end_read(session)  # nothing to keep but the events
            group = self.runtime.group
            tickets, self._tickets = [*self._tickets, group.submit(events)], []
            for ticket in tickets:
                group.wait(ticket)
        self.runtime.storage_fault = None  # a write went through: the storage works again

    def fail(self) -> None:
        """Undo the request's work but keep (and commit) the audit events of refusals and
        failures (every event whose outcome is not ``ok``)."""
        if self.finished:
            return
        self.finished = True
        session = self._session
        if session is None:
            return
        early: list[Event] = []
        for ticket in self._tickets:  # handed in while rendering: back if not yet taken
            back = self.runtime.group.withdraw(ticket)
            early += [event for event in back or () if event.outcome != "ok"]
        self._tickets = []
        refusals = early + audit_service.take_pending(session, failures_only=True)
        session.rollback()
        if not refusals:
            return
        try:
            if self.writes:
                for event in refusals:
                    record(session, event)
                session.commit()
            else:
                self.runtime.group.append(refusals)
        except Exception:  # the error page is already on its way; say why in the log
            session.rollback()
            log.exception("could not store the audit events of a refused request")

    def end(self) -> None:
        """End whatever transaction is open without keeping anything (after a failure)."""
        if self._session is not None and self._session.in_transaction():
            self._session.rollback()

    def close(self) -> None:
        for ticket in self._tickets:  # never committed nor failed: nothing may claim a read
            self.runtime.group.withdraw(ticket)
        self._tickets = []
        if self._session is not None:
            self._session.rollback()
            self._session.close()
            self._session = None


def _app() -> Flask:
    from flask import current_app

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def context() -> RequestContext:
    """Return this request's context, creating it on first use."""
    ctx: RequestContext | None = g.get("fallstelle_ctx")
    if ctx is None:
        app = _app()
        view = app.view_functions.get(request.endpoint or "")
        wants_write = request.method not in READ_METHODS or bool(
            getattr(view, WRITES_ATTR, False)
        )
        ctx = RequestContext(
            get_runtime(app), writes=wants_write, request_id=secrets.token_hex(8)
        )
        g.fallstelle_ctx = ctx
    return ctx


def db_session() -> Session:
    """This request's session (shorthand for ``context().session``)."""
    return context().session


def finish(response: Response) -> Response:
    """``after_request``: commit the request's work before the response leaves.

    After a failure (:meth:`RequestContext.fail`) the error page may still have read (the
    signed-in actor for the page header): that transaction is only ended, so that no lock
    outlives the response.
    """
    ctx: RequestContext | None = g.get("fallstelle_ctx")
    if ctx is None:
        return response
    if not ctx.finished:
        ctx.commit()
    else:
        ctx.end()
    return response


def note_storage_fault(kind: str) -> None:
    """Remember a storage fault for ``/health`` until a later commit goes through."""
    get_runtime(_app()).storage_fault = kind


def fail() -> None:
    """Error handlers call this first: refusals are kept, everything else is undone."""
    ctx: RequestContext | None = g.get("fallstelle_ctx")
    if ctx is not None:
        ctx.fail()


def close(_exc: BaseException | None) -> None:
    ctx: RequestContext | None = g.pop("fallstelle_ctx", None)
    if ctx is not None:
        ctx.close()
    unused: Session | None = g.pop("fallstelle_read_session", None)
    if unused is not None:  # a static file, or a request that never asked for its session
        unused.close()


def _rendering(_app: Flask, **_extra: Any) -> None:
    """``before_render_template``: the reads recorded so far go to the group commit now."""
    ctx: RequestContext | None = g.get("fallstelle_ctx")
    if ctx is not None:
        ctx.submit_reads()


def init_app(app: Flask) -> None:
    app.after_request(finish)
    app.teardown_appcontext(close)
    before_render_template.connect(_rendering, app)
