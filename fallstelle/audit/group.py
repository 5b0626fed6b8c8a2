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
the content).

No thread of its own: the first waiting request leads, writes the batch queued so far and
hands the lead to the next waiting request, so no request serves others for long. Each
process has one; several processes (``run.py --workers``) serialise on the chain lock as
before. On SQLite a batch first takes ``lock_path`` with ``flock``: a leader of another
process that holds SQLite's write lock would otherwise make this one poll for it (SQLite's
busy handler sleeps 1, 2, 5, 10 … ms between tries), while a blocked ``flock`` wakes the
moment it is free, and the requests that arrive meanwhile join the next, larger batch.
(2 workers on SQLite served fewer case pages than one before this.)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from fallstelle.audit.events import Event
from fallstelle.audit.service import record

#: Most events appended in one transaction (bounds the time a batch holds the chain lock).
MAX_BATCH = 512


class _Ticket:
    __slots__ = ("error", "events", "lead", "ready")

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events
        self.ready = threading.Event()
        self.lead = False
        self.error: BaseException | None = None


class GroupCommit:
    """Append events of many threads in shared transactions of ``sessions``."""

    def __init__(self, sessions: sessionmaker[Session], lock_path: Path | None = None) -> None:
        self._sessions = sessions
        self._lock_path = lock_path
        self._lock_fd: tuple[int, int] | None = None  # (pid, fd): a lock of this process's own
        self._lock = threading.Lock()
        self._queue: list[_Ticket] = []
        self._leading = False
        self.batches = 0  # committed batches, for tests and the benchmark

    def append(self, events: Sequence[Event]) -> None:
        """Append ``events`` to the chain; return once they are committed.

        Raises:
            Exception: whatever made the batch's commit fail (nothing of it was stored).
        """
        if not events:
            return
        ticket = _Ticket(events)
        with self._lock:
            self._queue.append(ticket)
            if not self._leading:
                self._leading = ticket.lead = True
        if not ticket.lead:
            # Woken either because a leader wrote our events, or because the lead passed to
            # us (we are first in the queue and nobody else leads): then we write them.
            ticket.ready.wait()
        if ticket.lead:
            self._lead(ticket)
        if ticket.error is not None:
            raise ticket.error

    def _lead(self, own: _Ticket) -> None:
        """Write batches until our own events are in; then pass the lead on."""
        done = False
        while not done:
            with self._lock:
                batch = self._queue[:MAX_BATCH]
                del self._queue[:MAX_BATCH]
            done = own in batch or not batch
            self._write(batch)
        with self._lock:
            if self._queue:
                nxt = self._queue[0]
                nxt.lead = True
                nxt.ready.set()  # the next waiting request leads now
            else:
                self._leading = False

    def _write(self, batch: list[_Ticket]) -> None:
        if not batch:
            return
        error: BaseException | None = None
        try:
            with self._between_processes(), self._sessions() as session, session.begin():
                for ticket in batch:
                    for ev in ticket.events:
                        record(session, ev)
            self.batches += 1
        except BaseException as exc:  # handed to every waiting request, then re-raised there
            error = exc
        for ticket in batch:
            ticket.error = error
            ticket.lead = False
            ticket.ready.set()

    @contextmanager
    def _between_processes(self) -> Iterator[None]:
        """Hold the writers' file lock (SQLite) for one batch; nothing on PostgreSQL."""
        if self._lock_path is None or os.name != "posix":
            yield
            return
        import fcntl

        pid = os.getpid()
        if self._lock_fd is None or self._lock_fd[0] != pid:
            # Opened in this process: an inherited descriptor would share its lock with the
            # parent and the other workers (flock locks belong to the open file).
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_fd = (pid, fd)
        fd = self._lock_fd[1]
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
