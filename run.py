"""Serve fallstelle with waitress (a production WSGI server; never Flask's dev server).

    python run.py [--host 127.0.0.1] [--port 5000] [--workers N] [--threads 8] [--version]

On the very first start, with neither keys nor database, it creates both and says where.
Otherwise it refuses to start (one line on stderr, exit code 78, nothing written) when keys
and database do not fit together; see SECURITY.md "Start-up refusals". A port it cannot
listen on is one line and exit code 69 (``cli.serve``). Every link it prints starts with
``FALLSTELLE_BASE_URL``; it warns when that address does not reach where it listens.
Logging goes to stderr (journald under systemd): one line per request (``web.requestlog``).
SIGTERM (``systemctl stop``) and SIGINT (Ctrl+C) stop it cleanly: the SQLite WAL is folded
into the database file (``PRAGMA wal_checkpoint(TRUNCATE)``), so the files at rest are whole.
``--workers N`` (default: one per core, at most four) serves with N processes of
``--threads`` threads each on one port (``cli.workers``); with ``--workers 1`` this process
serves itself.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from typing import Any

import fallstelle
from fallstelle import create_app, keyfiles
from fallstelle.audit import witness
from fallstelle.auth import service
from fallstelle.auth.login import enrolment_link
from fallstelle.cli import EX_TEMPFAIL, STORAGE_LINES
from fallstelle.cli import serve as serving
from fallstelle.cli import workers as forking
from fallstelle.cli.setup import initialise_and_record
from fallstelle.config import Settings
from fallstelle.db import storage_fault, utcnow
from fallstelle.errors import ConfigError
from fallstelle.runtime import get_runtime
from fallstelle.store import Store, inspect_database


def _first_start(settings: Settings) -> list[str]:
    """Initialise when neither keys nor database exist yet; otherwise leave everything."""
    if keyfiles.keys_present(settings.keys_dir) or inspect_database(settings).exists:
        return []
    return initialise_and_record(settings)


def first_admin_link(store: Store, base_url: str) -> str | None:
    """Return a fresh one-time link for the first admin while no account exists."""
    with store.sessions() as session, session.begin():
        if not service.no_user_yet(session):
            return None
        return enrolment_link(base_url, service.first_admin_link(session, utcnow()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve fallstelle.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker process")
    parser.add_argument(
        "--workers",
        type=int,
        default=forking.default_workers(),
        help="server processes (default: one per core, at most 4)",
    )
    parser.add_argument(
        "--version", action="version", version=f"fallstelle {fallstelle.__version__}"
    )
    args = parser.parse_args(argv)
    if args.workers < 1 or args.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    os.umask(0o077)  # database, WAL and attachments readable by the service user only
    try:
        # Links carry FALLSTELLE_BASE_URL, or else the host and port really listened on.
        settings = serving.served_settings(Settings.from_env(), args.host, args.port)
        for line in _first_start(settings):
            print(f"fallstelle: {line}", flush=True)
        app = create_app(settings)
        store = get_runtime(app).open(app, migrate=True)
        # The port before the link: a start that cannot listen issues no link.
        if args.workers == 1:
            server: Any = serving.listen(app, settings, args.host, args.port, args.threads)
        else:
            server = forking.bind(
                args.host, args.port, lambda exc: serving.refuse_port(exc, args.host, args.port)
            )
        serving.record_served_at(settings)  # `flask … users` prints links under it too
        link = first_admin_link(store, settings.base_url)
    except ConfigError as exc:
        print(f"fallstelle: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except Exception as exc:
        kind = storage_fault(exc)  # a full disk is not "the database is broken"
        if kind is None:
            raise
        print(f"fallstelle: {STORAGE_LINES[kind]}", file=sys.stderr, flush=True)
        return EX_TEMPFAIL

    # Logging starts only after the checks: a refusal is exactly one line on stderr.
    # journald stamps each line itself; elsewhere the line carries its own time.
    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    logging.basicConfig(level=logging.INFO, format=stamp + "%(levelname)s %(name)s: %(message)s")

    if link:
        print(
            "fallstelle: no account exists yet. Create the first administrator within 24 hours"
            f" at this one-time link (a new one is printed at every start until then):\n  {link}",
            flush=True,
        )
    warning = serving.base_url_warning(settings, args.host, args.port)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    processes = f" with {args.workers} worker processes" if args.workers > 1 else ""
    print(
        f"fallstelle {fallstelle.__version__}: serving on {args.host}:{args.port}{processes} "
        f"for {settings.base_url}/ (Ctrl+C stops)",
        flush=True,
    )
    if args.workers == 1:
        serve_until_stopped(server, store)
        return 0
    return serve_with_workers(app, server, store, args.workers, args.threads)


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # the same way out for SIGTERM (systemd) as for Ctrl+C


def serve_until_stopped(server: Any, store: Store) -> None:
    """Serve until SIGTERM or SIGINT, then stop cleanly: close the listening socket and
    fold the WAL into the database file (``Store.close``), so the files at rest are whole."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        store.close()
        print("fallstelle: stopped; database checkpointed", file=sys.stderr, flush=True)


def serve_with_workers(
    app: Any, sockets: list[Any], store: Store, workers: int, threads: int
) -> int:
    """Fork ``workers`` processes serving on ``sockets`` until SIGTERM or SIGINT; then, all
    of them stopped, fold the WAL into the database file like :func:`serve_until_stopped`."""
    runtime = get_runtime(app)
    adjust = serving.proxy_adjustments(runtime.settings)
    witness.flush_all()  # what the start wrote, before the children inherit the writers
    runtime.release()  # no connection crosses the fork

    def work() -> None:
        runtime.forked()
        try:
            forking.serve_worker(app, sockets, threads, **adjust)
        finally:
            witness.flush_all()  # the newest head this worker committed
            runtime.release()

    try:
        code = forking.supervise(workers, work)
    finally:
        for sock in sockets:
            sock.close()
        store.close()
        print("fallstelle: stopped; database checkpointed", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
