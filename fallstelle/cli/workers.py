"""Several server processes on one listening socket: ``python run.py --workers N``.

A Python process runs Python code on one core at a time, so one process with eight threads
serves about one core's worth of pages. ``run.py`` therefore binds the port and does every
start-up check (keys, migrations, the first link) in one parent process, closes its
database connections, and forks ``N`` workers. Each worker builds its own waitress server
(its own threads) on the inherited listening sockets; the kernel hands each new connection
to one of them.

What a process keeps for itself starts in the worker, after the fork, and is correct with
several processes:

* the audit chain's head is locked in the database (SQLite's write lock, ``BEGIN
  IMMEDIATE``; PostgreSQL's ``SELECT … FOR UPDATE``), so the group commits of all workers
  append one after the other to one chain (``audit.service``);
* each worker has its own group commit and its own witness writer (``audit.witness``: the
  file is locked with ``flock`` and never replaced by an older head);
* sessions, sign-in throttling and rate limits live in the database; the catalogue copies
  check the database's version row on every request.

The parent only supervises: SIGTERM (``systemctl stop``) or SIGINT (Ctrl+C) is passed on to
every worker, which finishes its requests and stops; once all have stopped, ``run.py``
folds the SQLite WAL into the database file. A worker that dies is replaced; one that keeps
dying (:data:`MAX_RESTARTS` within :data:`RESTART_WINDOW` seconds) stops the whole server
with exit code 70, so that systemd restarts it and the journal shows why. A worker whose
parent is gone (``kill -9``) stops by itself within a second.

Imports no ``web`` module: the app arrives as a parameter.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
import typing
from collections.abc import Callable
from typing import Any

#: sysexits.h EX_SOFTWARE: workers kept dying right after their start.
EX_SOFTWARE = 70
MAX_RESTARTS = 5
RESTART_WINDOW = 30.0
#: How long the workers get to finish their requests at a stop before they are killed
#: (below systemd's TimeoutStopSec=30s, so that the parent still folds the WAL).
STOP_GRACE = 20.0
BACKLOG = 1024  # waitress's default


def default_workers() -> int:
    """One worker per core this process may run on, at most four (each holds its own
    connections and copies; four cover an office's and a provider's load)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux, or a seccomp filter refuses the call
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def bind(host: str, port: int, refuse: Callable[[OSError], Any]) -> list[socket.socket]:
    """Bind and listen on every address ``host`` resolves to (as waitress would).

    ``refuse(exc)`` is called (and must exit) when an address cannot be bound.
    """
    from waitress.adjustments import Adjustments

    bound: list[socket.socket] = []
    try:
        try:
            where = typing.cast(list[tuple[Any, ...]], Adjustments(host=host, port=port).listen)
        except ValueError as exc:  # a name that does not resolve
            raise OSError(str(exc)) from None
        for family, socktype, proto, sockaddr in where:
            sock = socket.socket(family, socktype, proto)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(sockaddr)
            sock.listen(BACKLOG)
    except OSError as exc:
        for sock in bound:
            sock.close()
        refuse(exc)
        raise
    return bound


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _watch_parent(parent: int) -> None:
    """Stop this worker when its parent is gone (killed with SIGKILL, say)."""
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            return


def serve_worker(app: Any, sockets: list[socket.socket], threads: int, **adjust: Any) -> None:
    """In a worker: serve ``app`` on ``sockets`` until SIGTERM or SIGINT, then stop cleanly."""
    from waitress.server import create_server

    server = create_server(
        app, sockets=sockets, threads=threads, ident="fallstelle", **adjust
    )  # fmt: skip
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def supervise(count: int, work: Callable[[], None]) -> int:
    """Fork ``count`` workers that each run ``work()``; return an exit code once all stopped.

    ``work`` serves until SIGTERM/SIGINT (:func:`serve_worker`); a worker ends with exit
    code 0 when it returns, 1 when it raises. Call with no other thread running.
    """
    parent = os.getpid()
    workers: dict[int, int] = {}
    restarts: list[float] = []

    def start(slot: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                signal.signal(signal.SIGTERM, _raise_interrupt)
                signal.signal(signal.SIGINT, _raise_interrupt)
                threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
                work()
                code = 0
            except BaseException:  # reported, then the worker ends
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)  # never the parent's atexit handlers or its stack
        workers[pid] = slot

    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    code = 0
    try:
        for slot in range(count):
            start(slot)
        while workers:
            pid, status = os.wait()
            slot = workers.pop(pid, -1)
            if slot < 0:
                continue
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < RESTART_WINDOW] + [now]
            print(
                f"fallstelle: worker {pid} ended ({_how(status)}); starting another",
                file=sys.stderr, flush=True,
            )  # fmt: skip
            if len(restarts) > MAX_RESTARTS:
                print(
                    f"fallstelle: workers keep ending ({MAX_RESTARTS} within "
                    f"{RESTART_WINDOW:.0f} s): stopping",
                    file=sys.stderr, flush=True,
                )  # fmt: skip
                code = EX_SOFTWARE
                break
            start(slot)
    except KeyboardInterrupt:
        pass
    _stop_all(workers)
    return code


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def _stop_all(workers: dict[int, int]) -> None:
    """SIGTERM to every worker; wait up to :data:`STOP_GRACE`; then SIGKILL."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal does not cut the wait
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for pid in workers:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while workers and time.monotonic() < deadline:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid:
            workers.pop(pid, None)
        else:
            time.sleep(0.05)
    for pid in workers:
        _signal(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
