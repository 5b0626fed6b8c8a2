"""A clean stop (SIGTERM from systemd, SIGINT from Ctrl+C) leaves whole files at rest."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import start_server, stop_server
from tests.conftest import PG_URL


@pytest.mark.skipif(bool(PG_URL), reason="the WAL file is SQLite's")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_clean_stop_folds_the_wal_into_the_database_file(
    tmp_path: Path, database_url: str, signum: int
) -> None:
    server = start_server(tmp_path, database_url)
    for _ in range(3):
        with urllib.request.urlopen(server.url + "/anmelden") as page:  # noqa: S310 - local
            assert page.status == 200
    server.process.send_signal(signum)
    assert server.process.wait(timeout=30) == 0
    out = stop_server(server)
    assert "database checkpointed" in out
    db = tmp_path / "data" / "fallstelle.db"
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    # The database file alone, copied as a naive backup would, holds every commit.
    alone = tmp_path / "copy.db"
    shutil.copyfile(db, alone)
    with sqlite3.connect(alone) as conn:
        events = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        links = conn.execute("SELECT count(*) FROM enrolment_tokens").fetchone()[0]
    assert events >= 1 and links == 1
