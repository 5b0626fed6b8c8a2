"""The floor app of ``request_bench``: what a page costs with no audit, no sessions, no rules.

Flask + SQLAlchemy + AES-256-GCM: one route reads 50 rows from a SQLite table, decrypts each
payload and renders them in a Jinja template; served by waitress like the real app. The
request benchmark measures fallstelle's case page against this under the same client, so
the ratio says what fallstelle's own work (sessions, access checks, audit) costs.

    python benchmarks/floor_app.py DB_FILE PORT
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
    __tablename__ = "rows"
    id = Column(Integer, primary_key=True)
    payload = Column(LargeBinary, nullable=False)


def build(path: str) -> None:
    """Create the table with 50 encrypted rows (once)."""
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    aead = AESGCM(KEY)
    with Session(engine) as session, session.begin():
        if session.scalar(select(Row.id).limit(1)) is None:
            for i in range(50):
                nonce = os.urandom(12)
                text = f"Notiz {i}: ein Gespräch über den Vorfall".encode()
                session.add(Row(id=i, payload=nonce + aead.encrypt(nonce, text, None)))
    engine.dispose()


def create(path: str) -> Flask:
    engine = create_engine(f"sqlite:///{path}", pool_size=10)
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


if __name__ == "__main__":
    from waitress import serve

    db, port = sys.argv[1], int(sys.argv[2])
    build(db)
    serve(create(db), host="127.0.0.1", port=port, threads=8, _quiet=True)
