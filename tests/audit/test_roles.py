"""PostgreSQL least privilege: migrations as the owner, the app as a role that owns nothing.

The app's role cannot switch the audit triggers off, alter the tables, or update or delete
audit rows (SECURITY.md "Database", issue 11). PostgreSQL only: roles are the server's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from fallstelle.audit import Event, record
from fallstelle.config import Settings
from fallstelle.store import initialise, open_store
from tests.audit.helpers import check
from tests.conftest import PG_URL, _admin, _pg_schema_url


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


@pytest.fixture
def two_roles(tmp_path: Path) -> Iterator[Settings]:
    if not PG_URL:
        pytest.skip("roles and grants are PostgreSQL's")
    tag = uuid.uuid4().hex[:10]
    owner, app, schema = f"fs_owner_{tag}", f"fs_app_{tag}", f"r_{tag}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN'))
        conn.execute(text(f'CREATE ROLE "{app}" LOGIN'))
        conn.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"'))
    url = _pg_schema_url(schema)
    try:
        yield Settings(
            data_dir=tmp_path / "data",
            keys_dir=tmp_path / "keys",
            database_url=_as(url, app),
            migration_database_url=_as(url, owner),
            bcrypt_rounds=4,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            for role in (app, owner):
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_the_app_role_cannot_touch_the_audit_guards(two_roles: Settings) -> None:
    done = initialise(two_roles)
    role = make_url(two_roles.database_url).username
    assert f"granted the app role {role} least privilege (SECURITY.md)" in done
    store = open_store(two_roles)
    try:
        with store.sessions() as session:  # the app appends as usual
            for n in range(3):
                record(session, Event("case.read", object_id=f"c-{n}"))
            session.commit()
        app = create_engine(two_roles.database_url, poolclass=NullPool)
        refused = [
            "ALTER TABLE audit_events DISABLE TRIGGER USER",
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_delete",
            "ALTER TABLE audit_events ADD COLUMN x integer",
            "DROP TRIGGER audit_events_no_update ON audit_events",
            "UPDATE audit_events SET actor_id = 'u-evil' WHERE seq = 1",
            "DELETE FROM audit_events WHERE seq = 1",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_checkpoints SET seq = 0",
            "TRUNCATE audit_events",
            "DELETE FROM audit_head",
            "UPDATE alembic_version SET version_num = '0001'",
        ]
        for statement in refused:
            with app.connect() as conn, pytest.raises(DBAPIError) as caught:
                conn.execute(text(statement))
            assert caught.value.orig is not None
            assert type(caught.value.orig).__name__ in {
                "InsufficientPrivilege",
                "RaiseException",
            }, (statement, caught.value.orig)
        app.dispose()
        assert check(store).ok
    finally:
        store.close()
