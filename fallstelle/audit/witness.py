"""The witness: the newest signed chain head, kept in a file outside the database.

Imports the standard library, ``cryptography`` (via ``chain``) and ``db``. Someone who can
write the database but not the data directory can cut the log's tail or roll the whole
database back to an older copy; the file ``<data>/audit-witness`` still names a later head,
signed with the audit signing key, and ``audit verify`` reports the cut (SECURITY.md
"Audit log"). The file holds one signed checkpoint note (``chain.Checkpoint.note``).

Writes are grouped: a commit hands its new head to :meth:`Writer.offer`, and a timer thread
writes the newest offered head as soon as the last write is ``interval`` seconds old. So an
append never waits for the witness's fsync, and a crash loses at most the last ``interval``
of witness (the database then simply extends past the witness, which is not damage). Each
write goes to a temporary file that is fsynced and renamed over the old one: the file is
always a whole note (a witness ahead of the database would be a false alarm; it cannot
happen, since only committed heads are offered).
Several processes on one data directory take an ``flock`` and never replace a newer head by
an older one. A failed write is logged and retried with the next head; it never fails the
request whose events are already committed.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fallstelle.audit import chain
from fallstelle.db import utcnow

log = logging.getLogger(__name__)


def read(path: Path) -> chain.Checkpoint | None:
    """Return the witness note in ``path``, or None when there is no such file.

    Raises:
        ValueError: the file exists but is not a signed checkpoint note.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"unreadable witness file: {exc}") from None
    return chain.parse_note(text)


def write(path: Path, note: chain.Checkpoint) -> bool:
    """Replace the witness by ``note`` unless it already names a later head; atomic.

    Returns whether the file was written.
    """
    lock_fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _lock(lock_fd)
        try:
            current = read(path)
        except ValueError:
            current = None  # a damaged file is replaced; verify would have reported it
        if current is not None and current.seq >= note.seq:
            return False
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, note.note().encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        # No fsync of the directory: after a crash the rename may be lost and the previous
        # witness stays, which names an earlier head (the log extends past it: no damage).
        os.replace(tmp, path)
        return True
    finally:
        os.close(lock_fd)  # releases the flock


def _lock(fd: int) -> None:
    if os.name == "posix":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


class Writer:
    """Writes the newest head offered by this process to one witness file, grouped."""

    def __init__(self, path: Path, key: Ed25519PrivateKey, interval: float) -> None:
        self.path = path
        self._key = key
        self.interval = interval
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._pending: chain.Head | None = None
        self._last_write = float("-inf")
        self._timer: threading.Timer | None = None
        self.writes = 0  # for tests and the benchmark

    def offer(self, head: chain.Head) -> None:
        """Note ``head`` (just committed); write it now or when the interval has passed."""
        with self._lock:
            if self._pending is None or head.seq > self._pending.seq:
                self._pending = head
            if self._timer is not None:
                return
            wait = max(0.0, self._last_write + self.interval - time.monotonic())
            # Always on a timer thread: the committing request does not wait for an fsync.
            self._timer = threading.Timer(wait, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def flush(self) -> None:
        """Write the pending head now (if any).

        The file is written outside the lock that :meth:`offer` takes, so a committing
        request never waits for the witness's fsync.
        """
        with self._writing:
            with self._lock:
                self._timer = None
                head, self._pending = self._pending, None
                if head is None:
                    return
                self._last_write = time.monotonic()
            note = chain.sign(
                self._key, head.seq, head.epoch, head.entry_hash, chain.format_time(utcnow())
            )
            try:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                write(self.path, note)
                self.writes += 1
            except OSError as exc:
                log.warning("audit witness %s not written: %s", self.path, exc)


_writers: dict[Path, Writer] = {}
_registry = threading.Lock()


def writer(path: Path, key: Ed25519PrivateKey, interval: float) -> Writer:
    """Return this process's one writer of the witness file ``path``."""
    with _registry:
        found = _writers.get(path)
        if found is None:
            found = _writers[path] = Writer(path, key, interval)
        return found


def _forget_in_child() -> None:
    """A forked process (``run.py --workers``) starts with writers of its own: the parent's
    timer thread does not exist in the child, and a lock may have been held at the fork."""
    global _registry
    _writers.clear()
    _registry = threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)


@atexit.register
def flush_all() -> None:
    """Write every pending head (a command line process ends right after its commit)."""
    with _registry:
        pending = list(_writers.values())
    for w in pending:
        w.flush()
