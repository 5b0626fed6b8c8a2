"""Shared fixtures: a fresh installation (keys + database) per test, on SQLite or PostgreSQL.

The database comes from ``FALLSTELLE_TEST_DATABASE_URL``: unset means a SQLite file in the
test's temporary directory; a ``postgresql+psycopg://`` URL means a fresh schema per test on
that server (dropped afterwards). Under ``CI=true`` a PostgreSQL URL that cannot be reached
fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fallstelle import create_app
from fallstelle.config import Settings
from fallstelle.store import Store, initialise, open_store

PG_URL = os.environ.get("FALLSTELLE_TEST_DATABASE_URL", "").strip()
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_report_header() -> str:
    backend = make_url(PG_URL).render_as_string() if PG_URL else "SQLite (temporary files)"
    return f"fallstelle test database: {backend}"


def _pg_schema_url(schema: str) -> str:
    url = make_url(PG_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database URL with nothing in it yet."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'data' / 'fallstelle.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} not reachable in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings of an installation that does not exist yet."""
    return Settings(
        data_dir=tmp_path / "data",
        keys_dir=tmp_path / "keys",
        database_url=database_url,
        bcrypt_rounds=4,
    )


@pytest.fixture
def initialised(settings: Settings) -> Settings:
    """Settings of an installation whose keys and database exist."""
    initialise(settings)
    return settings


@pytest.fixture
def store(initialised: Settings) -> Iterator[Store]:
    opened = open_store(initialised)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def app(initialised: Settings) -> Iterator[Flask]:
    application = create_app(initialised)
    application.config["TESTING"] = True
    yield application
    from fallstelle.runtime import get_runtime

    runtime = get_runtime(application)
    if runtime.is_open:
        runtime.open(application).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
