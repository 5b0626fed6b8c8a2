"""Group commit: the audit events of concurrent read requests appended in one transaction.

Imports SQLAlchemy and this room's ``service``. A request that only reads (a case page, a
list, a download) still writes its audit event, and no content may leave before that event
is durable (ARCHITECTURE.md "Audit log"). Committing one transaction per read makes every
reader wait for the database's write lock and its own fsync in turn. Here each such request
hands its events to :meth:`GroupCommit.append` and blocks until they are committed; the events
of every request that arrives meanwhile are appended together, in one transaction under the
chain lock, with one fsync (the leader/follower scheme of SQLite's and PostgreSQL's own group
commit). The guarantee is unchanged: ``append`` returns only after the commit that holds the
caller's events, and raises when that commit failed (the caller then sends an error, never
the content). A batch is written through a Core connection of the session factory's engine
(``service.append_on``), not an ORM session: the session's set-up, listeners and commit
cost more instructions than the append itself (issue 15, callgrind).

No thread of its own: the first waiting request leads, writes the batch queued so far and
hands the lead to the next waiting request, so no request serves others for long.

A request may hand its events in early and wait for them later (:meth:`GroupCommit.submit`,
:meth:`GroupCommit.wait`): the web pipeline submits a read's event when the page starts to
render and waits before the response leaves, so the commit (its fsync) runs while the page
is rendered instead of after it (issue 15: under 8 concurrent readers a request spent about
a third of its time waiting for its batch). Only a request that is waiting is handed the
lead, so a request still rendering never holds up the others; a request that gives up
(its page failed) takes its events back with :meth:`GroupCommit.withdraw` if no batch has
taken them yet. Each
process has one; several processes (``run.py --workers``) serialise on the chain lock as
before. A leader first takes ``lock_path`` with ``flock`` and only then takes its batch from
the queue, so the requests that arrive while another process writes join it. On SQLite a
leader of another process that holds SQLite's write lock would otherwise make this one poll
for it (SQLite's busy handler sleeps 1, 2, 5, 10 … ms between tries), while a blocked
``flock`` wakes the moment it is free (2 workers on SQLite served fewer case pages than one
before this). On PostgreSQL a leader would otherwise wait for the chain lock in the database
with the batch it took before the wait: with 2 workers nearly every case page had a WAL
flush of its own (0.92 per request; 0.34 with one worker). On PostgreSQL the holder of the
lock file also leaves the head it wrote there, so the next process's one-message append
guesses right (``pg_append.read_hint``): with each process guessing from its own last head,
63 % of the batches of 2 workers missed and sent their message twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from fallstelle.audit import pg_append
from fallstelle.audit.events import Event
from fallstelle.audit.service import append_on, offer_head

log = logging.getLogger(__name__)

#: Most events appended in one transaction (bounds the time a batch holds the chain lock).
MAX_BATCH = 512


class Ticket:
    """Events handed in (:meth:`GroupCommit.submit`); :meth:`GroupCommit.wait` for them."""

    __slots__ = ("error", "events", "lead", "ready", "waiting")

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events
        self.ready = threading.Event()  # written (or failed), or the lead was handed over
        self.lead = False
        self.waiting = False  # its request waits in :meth:`GroupCommit.wait`
        self.error: BaseException | None = None


class GroupCommit:
    """Append events of many threads in shared transactions of ``sessions``."""

    def __init__(self, sessions: sessionmaker[Session], lock_path: Path | None = None) -> None:
        self._sessions = sessions
        self._lock_path = lock_path
        self._lock_fd: tuple[int, int] | None = None  # (pid, fd): a lock of this process's own
        self._lock = threading.Lock()
        self._queue: list[Ticket] = []
        self._leading = False
        self.batches = 0  # committed batches, for tests and the benchmark

    def append(self, events: Sequence[Event]) -> None:
        """Append ``events`` to the chain; return once they are committed.

        Raises:
            Exception: whatever made the batch's commit fail (nothing of it was stored).
        """
        if events:
            self.wait(self.submit(events))

    def submit(self, events: Sequence[Event]) -> Ticket:
        """Queue ``events`` for the next batch and return at once; they are durable only
        when :meth:`wait` on the ticket returns."""
        ticket = Ticket(events)
        if not events:
            ticket.ready.set()
            return ticket
        with self._lock:
            self._queue.append(ticket)
        return ticket

    def wait(self, ticket: Ticket) -> None:
        """Return once the ticket's events are committed (writing them if nobody does).

        Raises:
            Exception: whatever made the batch's commit fail (nothing of it was stored).
        """
        with self._lock:
            ticket.waiting = True
            if not self._leading and not ticket.ready.is_set():
                # Nobody writes: our events are still queued (a batch in flight has a leader).
                self._leading = ticket.lead = True
        if not ticket.lead:
            # Woken either because a leader wrote our events, or because the lead passed to
            # us (we wait, and nobody else leads): then we write them.
            ticket.ready.wait()
        if ticket.lead:
            self._lead(ticket)
        if ticket.error is not None:
            raise ticket.error

    def withdraw(self, ticket: Ticket) -> Sequence[Event] | None:
        """Take back a ticket's events if no batch has taken them yet (and return them);
        else wait until their batch is done and return None (they are written, or failed)."""
        with self._lock:
            if ticket in self._queue:
                self._queue.remove(ticket)
                ticket.ready.set()
                return ticket.events
        with contextlib.suppress(Exception):  # the batch failed: nothing of it was stored
            self.wait(ticket)
        return None

    def _lead(self, own: Ticket) -> None:
        """Write batches until our own events are in; then pass the lead on."""
        done = False
        try:
            while not done:
                # The batch is taken once this process's turn has come: what arrived while
                # another process wrote goes into it (2 workers on PostgreSQL: 0.92 WAL
                # flushes per case page when the batch was taken before the wait, issue 15).
                with self._between_processes() as lock_fd:
                    with self._lock:
                        batch = self._queue[:MAX_BATCH]
                        del self._queue[:MAX_BATCH]
                    done = own in batch or not batch
                    self._write(batch, lock_fd)
        finally:  # whatever happened, the lead goes on: a lost lead would hang every reader
            self._pass_lead()

    def _pass_lead(self) -> None:
        with self._lock:
            nxt = next((t for t in self._queue if t.waiting), None)
            if nxt is not None:
                nxt.lead = True
                nxt.ready.set()  # the next waiting request leads now
            else:
                self._leading = False  # the next request to wait leads

    def _write(self, batch: list[Ticket], lock_fd: int | None = None) -> None:
        if not batch:
            return
        error: BaseException | None = None
        # The session factory's engine and info (keys, settings, signer), read per batch:
        # ``enable_checkpoints`` may configure the factory later.
        engine: Engine = self._sessions.kw["bind"]
        info: dict[str, Any] = self._sessions.kw["info"]
        try:
            events = [ev for ticket in batch for ev in ticket.events]
            if engine.dialect.name == "postgresql":
                # One message, see there; the writers' lock file, held, names the head the
                # last writer of any process left (a hint: checked, then compared under lock).
                hint = None if lock_fd is None else pg_append.read_hint(lock_fd)
                head = pg_append.append(engine, info, events, hint)
                if lock_fd is not None:
                    pg_append.write_hint(lock_fd, head)
            else:
                with engine.connect() as conn, conn.begin():
                    head = append_on(conn, info, events)
            self.batches += 1
            offer_head(info, head)
        except BaseException as exc:  # handed to every waiting request, then re-raised there
            error = exc
        for ticket in batch:
            ticket.error = error
            ticket.lead = False
            ticket.ready.set()

    @contextmanager
    def _between_processes(self) -> Iterator[int | None]:
        """Hold the writers' file lock for one batch (taking it and writing it) and yield its
        descriptor; nothing (None) without a lock file (tests of one process)."""
        if self._lock_path is None or os.name != "posix":
            yield None
            return
        import fcntl

        pid = os.getpid()
        if self._lock_fd is None or self._lock_fd[0] != pid:
            # Opened in this process: an inherited descriptor would share its lock with the
            # parent and the other workers (flock locks belong to the open file).
            try:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:  # only the order of the writers depends on it
                log.warning("audit: writers' lock file %s unusable (%s)", self._lock_path, exc)
                self._lock_path = None  # said once; the chain lock still orders the writers
                yield None
                return
            self._lock_fd = (pid, fd)
        fd = self._lock_fd[1]
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
