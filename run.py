"""Serve fallstelle with waitress (a production WSGI server; never Flask's dev server).

    python run.py [--host 127.0.0.1] [--port 5000] [--threads 8]

On the very first start, with neither keys nor database, it creates both and says where.
Otherwise it refuses to start (one line on stderr, exit code 78, nothing written) when keys
and database do not fit together; see SECURITY.md "Start-up refusals".
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from fallstelle import create_app, keyfiles
from fallstelle.auth import service
from fallstelle.cli.setup import initialise_and_record
from fallstelle.cli.users import enrolment_link
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
    args = parser.parse_args(argv)
    os.umask(0o077)  # database, WAL and attachments readable by the service user only
    try:
        settings = Settings.from_env()
        for line in _first_start(settings):
            print(f"fallstelle: {line}", flush=True)
        app = create_app(settings)
        store = get_runtime(app).open(app, migrate=True)
        base = settings.base_url if "FALLSTELLE_BASE_URL" in os.environ else None
        link = first_admin_link(store, base or f"http://{args.host}:{args.port}")
    except ConfigError as exc:
        print(f"fallstelle: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code

    from waitress import serve

    # Logging starts only after the checks: a refusal is exactly one line on stderr.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    if link:
        print(
            "fallstelle: no account exists yet. Create the first administrator within 24 hours"
            f" at this one-time link (a new one is printed at every start until then):\n  {link}",
            flush=True,
        )
    print(f"fallstelle: serving on http://{args.host}:{args.port}/ (Ctrl+C stops)", flush=True)
    proxy: dict[str, object] = {}
    if settings.trusted_proxy:
        # The client address for throttling and the scheme for cookies come from the proxy.
        proxy = {
            "trusted_proxy": settings.trusted_proxy,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True,
        }
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="fallstelle", **proxy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
