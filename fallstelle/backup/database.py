"""A consistent copy of the database while writers run, and loading one back.

Imports the standard library, SQLAlchemy and ``errors``. SQLite: the online backup API
(``sqlite3.Connection.backup``) copies pages from one read snapshot, so a copy taken while
the server writes holds exactly the transactions committed before it began — the WAL
included, which a plain file copy of ``fallstelle.db`` misses. PostgreSQL: ``pg_dump``
(plain SQL, one ``REPEATABLE READ`` snapshot), restored with ``psql``. An installation in
its own schema (``options=-csearch_path=…`` in the URL, as the tests use) is dumped with
``--schema`` and can be loaded into another schema.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import make_url
from sqlalchemy.engine import URL

from fallstelle.errors import FallstelleError

SQLITE_PART = "fallstelle.db"
PG_PART = "database.sql"


class DumpFailed(FallstelleError):
    """The database could not be copied or loaded (the tool's first line says why)."""


def copy_sqlite(source: Path, target: Path, progress: Callable[[int, int], None]) -> None:
    """Copy a live SQLite database to ``target`` with the online backup API.

    The copy is written in rollback-journal mode (``journal_mode=DELETE``), so it is one
    whole file; the app switches it back to WAL when it opens it.
    """
    src = sqlite3.connect(f"file:{source.as_posix()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout = 10000")

        # All pages in one step, i.e. from one read snapshot: a backup in several steps
        # restarts whenever another connection writes, and under steady writes never ends.
        # In WAL mode the snapshot does not block the writers.
        src.backup(dst, pages=-1)
        progress(1, 1)
        dst.execute("PRAGMA journal_mode = DELETE")
        dst.commit()
    finally:
        dst.close()
        src.close()


def libpq_url(url: URL) -> str:
    """Return the SQLAlchemy URL as a libpq connection URI (what pg_dump/psql read)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def schema_of(url: URL) -> str | None:
    """Return the schema named by ``options=-csearch_path=…``, or None (``public``)."""
    options = url.query.get("options")
    text = options if isinstance(options, str) else " ".join(options or ())
    for word in unquote(text).split():
        if word.startswith("-csearch_path="):
            return word.split("=", 1)[1].split(",")[0].strip('"')
    return None


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = (done.stderr or done.stdout or "no output").strip().splitlines()
        raise DumpFailed(f"{what} failed: {lines[-1][:300] if lines else 'no output'}")


def schema_of_url(database_url: str) -> str | None:
    return None if database_url.startswith("sqlite") else schema_of(make_url(database_url))


def dump_postgres(database_url: str, target: Path, snapshot: str | None = None) -> None:
    """Dump the database (its schema only, when the URL names one) to a plain SQL file.

    Raises:
        DumpFailed: pg_dump is missing or failed.
    """
    url = make_url(database_url)
    if shutil.which("pg_dump") is None:
        raise DumpFailed("pg_dump not found: install the PostgreSQL client tools")
    schema = schema_of(url)
    command = ["pg_dump", "--no-owner", "--no-privileges", "--file", str(target)]
    if schema:
        command += ["--schema", schema]
    if snapshot:
        command += ["--snapshot", snapshot]
    _run([*command, "--dbname", libpq_url(url)], "pg_dump")


def load_postgres(database_url: str, dump: Path, source_schema: str | None) -> None:
    """Load a dump into the (empty) database of ``database_url``, in one transaction.

    Raises:
        DumpFailed: psql is missing or a statement failed (nothing is left half-loaded).
    """
    url = make_url(database_url)
    if shutil.which("psql") is None:
        raise DumpFailed("psql not found: install the PostgreSQL client tools")
    target_schema = schema_of(url)
    if bool(source_schema) != bool(target_schema):
        raise DumpFailed(
            "a backup of one schema restores into one schema (options=-csearch_path=… in "
            "FALLSTELLE_DATABASE_URL), a whole-database backup into a whole database"
        )
    text = dump.read_text(encoding="utf-8")
    if source_schema and target_schema:
        # Schema names of a schema-scoped installation are unique tokens (``t_<hex>`` in the
        # tests); the data holds no such text (bytea is hex, ids are UUIDs). The target
        # schema may exist already (empty).
        text = text.replace(source_schema, target_schema).replace(
            f"CREATE SCHEMA {target_schema};", f"CREATE SCHEMA IF NOT EXISTS {target_schema};"
        )
    script = dump.with_name("load.sql")
    script.write_text(text, encoding="utf-8")
    command = ["psql", "--quiet", "--no-psqlrc", "--single-transaction", "--set",
               "ON_ERROR_STOP=1", "--file", str(script), "--dbname", libpq_url(url)]  # fmt: skip
    try:
        _run(command, "psql")
    finally:
        script.unlink()
