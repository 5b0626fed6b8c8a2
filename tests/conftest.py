"""Shared fixtures: an installation (keys + database) per test, on SQLite or PostgreSQL.

The database comes from ``FALLSTELLE_TEST_DATABASE_URL``: unset means a SQLite file in the
test's temporary directory; a ``postgresql+psycopg://`` URL means a fresh schema per test on
that server (dropped afterwards). Under ``CI=true`` a PostgreSQL URL that cannot be reached
fails the run instead of skipping.

Building an installation (keys, migrations, the vocabulary seed) took most of a test's time.
It is built once per run (``_template``) and copied for every test that needs one (any test
whose fixtures include ``initialised``): the SQLite file is copied; on PostgreSQL the
template schema is dumped once (``pg_dump``, the server's own tool) and the dump replayed
into the test's schema; the keys directory is copied beside it. Each test still gets its own
database and files, so tests stay isolated; they share key material, which no test depends
on being unique (tests about keys make their own). Tests that need a database with nothing
in it (first start, refusals) get an empty one.

On PostgreSQL, replaying the dump (about 0.55 s) and dropping a test's schema afterwards
(about 0.3 s) are the server's work: a thread of this process (:class:`_Prepared`) restores
the next copies while a test runs and drops used schemas behind it, so the server does them
on the other core instead of the test run waiting for them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from fallstelle import create_app
from fallstelle.config import Settings
from fallstelle.store import Store, initialise, open_store

PG_URL = os.environ.get("FALLSTELLE_TEST_DATABASE_URL", "").strip()
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_report_header() -> str:
    backend = make_url(PG_URL).render_as_string() if PG_URL else "SQLite (temporary files)"
    return f"fallstelle test database: {backend}"


def _pg_schema_url(schema: str) -> str:
    # synchronous_commit=off: a test never survives a server crash anyway, and waiting for
    # each commit's WAL flush is most of a PostgreSQL test's time. A killed client process
    # (the kill tests) still finds every commit it was told about.
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    url = make_url(PG_URL).update_query_dict({"options": options})
    return url.render_as_string(hide_password=False)


def _admin() -> Engine:
    try:
        engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with engine.connect():
            pass
    except Exception as exc:  # pragma: no cover - depends on the machine
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} not reachable in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    return engine


@dataclass(frozen=True)
class Template:
    """An installation built once per run, copied for every test that needs one."""

    settings: Settings
    sqlite_file: Path | None = None
    schema: str = ""
    dump: str = ""  # the template schema as SQL, its name replaced per test

    def restore_into(self, conn: Connection, schema: str) -> None:
        # The driver's own connection: the dump's "%" must not be read as a placeholder.
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute(self.dump.replace(self.schema, schema))


def _restore(template: Template) -> str:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = _admin()
    try:
        with admin.connect() as conn:
            template.restore_into(conn, schema)
    finally:
        admin.dispose()
    return schema


def _drop(schema: str) -> None:
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


class _Prepared:
    """Copies of the template schema restored ahead (``AHEAD``), and used schemas dropped, in
    order on one thread: a test takes a copy that is (usually) ready."""

    AHEAD = 2

    def __init__(self, template: Template) -> None:
        self._template = template
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-copies")
        self._ahead: deque[Future[str]] = deque()

    def take(self) -> str:
        while len(self._ahead) < self.AHEAD + 1:
            self._ahead.append(self._pool.submit(_restore, self._template))
        return self._ahead.popleft().result()

    def give_back(self, schema: str) -> None:
        self._pool.submit(_drop, schema)

    def close(self) -> None:
        for ahead in self._ahead:
            if not ahead.cancel() and ahead.exception() is None:
                self._pool.submit(_drop, ahead.result())
        self._pool.shutdown(wait=True)


def _dump_schema(schema: str) -> str:
    url = make_url(PG_URL)
    command = [
        "pg_dump", "--schema", schema, "--no-owner", "--no-privileges", "--inserts",
        "--rows-per-insert=1000", "--host", url.host or "127.0.0.1", "--port",
        str(url.port or 5432), "--username", url.username or "postgres",
        "--dbname", url.database or "postgres",
    ]  # fmt: skip
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    dumped = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    # psql meta-commands (\restrict …) are not SQL; everything else runs as it is.
    return "\n".join(line for line in dumped.stdout.splitlines() if not line.startswith("\\"))


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    base = tmp_path_factory.mktemp("template")
    data = base / "data"
    if not PG_URL:
        url = f"sqlite:///{data / 'fallstelle.db'}"
        built = Settings(data_dir=data, keys_dir=base / "keys", database_url=url, bcrypt_rounds=4)
        initialise(built)
        yield Template(built, sqlite_file=data / "fallstelle.db")
        return
    schema = f"tpl_{uuid.uuid4().hex[:16]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        built = Settings(data_dir=data, keys_dir=base / "keys",
                         database_url=_pg_schema_url(schema), bcrypt_rounds=4)  # fmt: skip
        initialise(built)
        yield Template(built, schema=schema, dump=_dump_schema(schema))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def _copies(_template: Template) -> Iterator[_Prepared]:
    """PostgreSQL: copies of the template schema, restored ahead on a thread."""
    prepared = _Prepared(_template)
    yield prepared
    prepared.close()


@pytest.fixture
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database URL: a copy of the template installation's database for tests that use
    ``initialised`` (or anything built on it), else a database with nothing in it yet."""
    copy: Template | None = (
        request.getfixturevalue("_template") if "initialised" in request.fixturenames else None
    )
    if not PG_URL:
        path = tmp_path / "data" / "fallstelle.db"
        if copy is not None and copy.sqlite_file is not None:
            path.parent.mkdir(mode=0o700)
            shutil.copy2(copy.sqlite_file, path)
        yield f"sqlite:///{path}"
        return
    if copy is not None:
        copies: _Prepared = request.getfixturevalue("_copies")
        schema = copies.take()
        try:
            yield _pg_schema_url(schema)
        finally:
            copies.give_back(schema)
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
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
def initialised(settings: Settings, _template: Template) -> Settings:
    """Settings of an installation whose keys and database exist (a copy of the template:
    ``database_url`` copied the database, this copies the keys that fit it)."""
    shutil.copytree(_template.settings.keys_dir, settings.keys_dir)
    return settings


@pytest.fixture
def store(initialised: Settings) -> Iterator[Store]:
    opened = open_store(initialised)
    yield opened
    opened.close()


@pytest.fixture
def app(initialised: Settings) -> Iterator[Flask]:
    application = create_app(initialised)
    application.config["TESTING"] = True
    yield application
    from fallstelle.runtime import get_runtime

    runtime = get_runtime(application)
    if runtime.is_open:
        runtime.open(application).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
