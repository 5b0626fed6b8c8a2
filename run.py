"""Serve fallstelle with waitress (a production WSGI server; never Flask's dev server).

    python run.py [--host 127.0.0.1] [--port 5000] [--threads 8] [--version]

On the very first start, with neither keys nor database, it creates both and says where.
Otherwise it refuses to start (one line on stderr, exit code 78, nothing written) when keys
and database do not fit together; see SECURITY.md "Start-up refusals". A port it cannot
listen on is one line and exit code 69 (``cli.serve``). Every link it prints starts with
``FALLSTELLE_BASE_URL``; it warns when that address does not reach where it listens.
Logging goes to stderr (journald under systemd): one line per request (``web.requestlog``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

import fallstelle
from fallstelle import create_app, keyfiles
from fallstelle.auth import service
from fallstelle.auth.login import enrolment_link
from fallstelle.cli import serve as serving
from fallstelle.cli.setup import initialise_and_record
from fallstelle.config import Settings
from fallstelle.db import utcnow
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
    parser.add_argument("--threads", type=int, default=8, help="worker threads")
    parser.add_argument(
        "--version", action="version", version=f"fallstelle {fallstelle.__version__}"
    )
    args = parser.parse_args(argv)
    os.umask(0o077)  # database, WAL and attachments readable by the service user only
    try:
        # Links carry FALLSTELLE_BASE_URL, or else the host and port really listened on.
        settings = serving.served_settings(Settings.from_env(), args.host, args.port)
        for line in _first_start(settings):
            print(f"fallstelle: {line}", flush=True)
        app = create_app(settings)
        store = get_runtime(app).open(app, migrate=True)
        # The port before the link: a start that cannot listen issues no link.
        server = serving.listen(app, settings, args.host, args.port, args.threads)
        serving.record_served_at(settings)  # `flask … users` prints links under it too
        link = first_admin_link(store, settings.base_url)
    except ConfigError as exc:
        print(f"fallstelle: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code

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
    print(
        f"fallstelle {fallstelle.__version__}: serving on {args.host}:{args.port} for "
        f"{settings.base_url}/ (Ctrl+C stops)",
        flush=True,
    )
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
