"""The floor app of ``request_bench``: what a page costs with no audit, no sessions, no rules.

Flask + SQLAlchemy + AES-256-GCM: one route reads 50 rows from a table, decrypts each
payload and renders them in a Jinja template; served by waitress like the real app. The
request benchmark measures fallstelle's case page against this under the same client, so
the ratio says what fallstelle's own work (sessions, access checks, audit) costs.

    python benchmarks/floor_app.py DATABASE PORT [--workers N] [--threads T]

``DATABASE``: a SQLite file, or a database URL (``postgresql+psycopg://…``): the request
benchmark gives the floor the app's own database server, so that both pay its round trips
(the table is ``floor_rows``; the app has none of that name).

``--workers`` forks N processes on one port exactly as ``run.py --workers`` does
(``fallstelle.cli.workers``), so both are served the same way.
"""

from __future__ import annotations

import os
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, render_template_string
from sqlalchemy import Column, Integer, LargeBinary, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Session

KEY = bytes(range(32))
PAGE = """<!doctype html><html lang="de"><head><title>Floor</title></head><body><h1>Rows</h1>
<table>{% for r in rows %}<tr><td>{{ r[0] }}</td><td>{{ r[1] }}</td></tr>{% endfor %}</table>
</body></html>"""


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "floor_rows"
    id = Column(Integer, primary_key=True)
    payload = Column(LargeBinary, nullable=False)


def url_of(database: str) -> str:
    """A database URL as given, a file name as a SQLite URL."""
    return database if "://" in database else f"sqlite:///{database}"


def build(database: str) -> None:
    """Create the table with 50 encrypted rows (once)."""
    engine = create_engine(url_of(database))
    Base.metadata.create_all(engine)
    aead = AESGCM(KEY)
    with Session(engine) as session, session.begin():
        if session.scalar(select(Row.id).limit(1)) is None:
            for i in range(50):
                nonce = os.urandom(12)
                text = f"Notiz {i}: ein Gespräch über den Vorfall".encode()
                session.add(Row(id=i, payload=nonce + aead.encrypt(nonce, text, None)))
    engine.dispose()


def create(database: str) -> Flask:
    engine = create_engine(url_of(database), pool_size=10)
    aead = AESGCM(KEY)
    app = Flask(__name__)

    @app.get("/")
    def rows() -> str:
        with Session(engine) as session:
            found = session.scalars(select(Row).order_by(Row.id)).all()
            shown = [
                (r.id, aead.decrypt(r.payload[:12], r.payload[12:], None).decode()) for r in found
            ]
        return render_template_string(PAGE, rows=shown)

    return app


def main() -> None:
    import argparse
    import logging
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fallstelle.cli import workers as forking

    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("port", type=int)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is 1"
    build(args.db)
    app = create(args.db)
    sockets = forking.bind("127.0.0.1", args.port, lambda exc: sys.exit(str(exc)))
    if args.workers == 1:
        forking.serve_worker(app, sockets, args.threads)
        return
    # No connection crosses the fork: create() opens none before the first request.
    sys.exit(
        forking.supervise(args.workers, lambda: forking.serve_worker(app, sockets, args.threads))
    )


if __name__ == "__main__":
    main()
