"""Fixtures of the backup tests: a second, empty database to restore into."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from fallstelle.config import Settings
from tests.conftest import PG_URL, _admin, _pg_schema_url


@pytest.fixture
def elsewhere(initialised: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Settings of the place a backup is restored to: same keys, an empty database."""
    target = tmp_path / "restored"
    if not PG_URL:
        yield replace(initialised, data_dir=target, database_url=f"sqlite:///{target}/x.db")
        return
    schema = f"r_{uuid.uuid4().hex[:16]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield replace(initialised, data_dir=target, database_url=_pg_schema_url(schema))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def invoke(app: Flask, *args: str) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.stdout, result.stderr
