"""A full disk or a read-only database: a clear page, /health says so, one CLI line, and
nothing half-written; when space returns, work goes on (issue 12)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from fallstelle import create_app, db
from fallstelle.config import Settings
from fallstelle.runtime import get_runtime
from tests.auth.factories import make_account, make_office
from tests.conftest import IN_CI, PG_URL
from tests.web.helpers import password_step, sign_in

SIZE = "6m"


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of a few MiB, or a skip saying why (a failure under CI as root)."""
    if PG_URL:
        pytest.skip("the PostgreSQL server's disk is not ours to fill; SQLite only")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = _mount("-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(disk))
    if done.returncode != 0:
        reason = (done.stderr or "mount failed").strip().splitlines()[-1]
        if IN_CI and os.geteuid() == 0:
            pytest.fail(f"root under CI but no tmpfs: {reason}")
        pytest.skip(f"cannot mount a tmpfs here ({reason}); run as root to test a full disk")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.fixture
def on_small_disk(initialised: Settings, small_disk: Path) -> Iterator[Flask]:
    data = small_disk / "data"
    shutil.copytree(initialised.data_dir, data)
    settings = replace(initialised, data_dir=data,
                       database_url=f"sqlite:///{data / 'fallstelle.db'}")  # fmt: skip
    app = create_app(settings)
    app.config["TESTING"] = True
    # As in production: a failure after the view (the commit, the session cookie's row)
    # reaches the error pages instead of the test.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app
    get_runtime(app).close()


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def _wrong_password(client: FlaskClient, account: object) -> tuple[int, str]:
    response = password_step(client, account, "not the password")  # type: ignore[arg-type]
    return response.status_code, response.get_data(as_text=True)


def test_a_full_then_read_only_disk(on_small_disk: Flask, small_disk: Path) -> None:
    app = on_small_disk
    store = get_runtime(app).open(app)
    with store.sessions() as session, session.begin():
        office = make_office(session, "MG-A").id
    anna = make_account(store, "anna", ["counsellor"], [office])
    client = app.test_client()
    sign_in(client, anna)
    with store.engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    db.checkpoint(store.engine)  # an empty WAL: the next write must grow a file

    filler = _fill(small_disk)
    token_first = app.test_client()  # the sign-in page itself: its session row is a write
    page = token_first.get("/anmelden")
    assert page.status_code == 507
    assert "Speicher voll – bitte Administration informieren" in page.get_data(as_text=True)
    health = client.get("/health")
    assert health.status_code == 503 and health.json == {"status": "unavailable",
                                                          "storage": "full"}  # fmt: skip
    result = app.test_cli_runner().invoke(args=["offices", "create", "mg-b", "--name", "B"])
    assert result.exit_code == 75 and "Traceback" not in result.output
    assert result.stderr.startswith("fallstelle: storage full:"), result.output

    filler.unlink()  # space returns: work goes on, nothing was half-written
    status, page = _wrong_password(app.test_client(), anna)
    assert status == 401  # the ordinary "wrong password" answer
    assert client.get("/health").json == {"status": "ok"}
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        after = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    assert after > before
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0

    get_runtime(app).close()  # no file open for writing: the mount can turn read-only
    assert _mount("-o", "remount,ro", str(small_disk)).returncode == 0
    try:
        page = app.test_client().get("/anmelden")
        assert page.status_code == 503
        assert "bitte Administration informieren" in page.get_data(as_text=True)
        health = app.test_client().get("/health")  # a monitor: no session cookie
        assert health.json == {"status": "unavailable", "storage": "read_only"}
    finally:
        assert _mount("-o", "remount,rw", str(small_disk)).returncode == 0
    assert _wrong_password(app.test_client(), anna)[0] == 401
