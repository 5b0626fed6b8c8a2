"""``run.py --workers N``: several processes on one port, one audit chain, one clean stop."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ROOT, Server, start_server, stop_server
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")


def workers_of(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(c) for c in children}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ")[1][0] != "Z"


def wait_until(check: object, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def unknown_session_reads(server: Server, n: int) -> list[int]:
    """``n`` concurrent requests, each on a fresh connection, with a session cookie that
    names no session: each is a read whose audit event (``auth.session_unknown``) goes
    through the group commit of whichever worker accepted it."""
    where = urlsplit(server.url)

    def one(i: int) -> int:
        conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=30)
        conn.request("GET", "/anmelden", headers={"Cookie": f"fallstelle_session=gibtsnicht{i}"})
        status = conn.getresponse().status
        conn.close()
        return status

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(n)))


def flask(server: Server, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FALLSTELLE_DATA_DIR": str(server.data_dir),
        "FALLSTELLE_KEYS_DIR": str(server.keys_dir),
        "FALLSTELLE_DATABASE_URL": database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "fallstelle", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_two_workers_serve_one_chain_and_a_sigterm_stops_all(
    tmp_path: Path, database_url: str
) -> None:
    server = start_server(tmp_path, database_url, args=("--workers", "2"))
    try:
        pids = workers_of(server.process.pid)
        assert len(pids) == 2
        before = {pid: _cpu(pid) for pid in pids}
        statuses = unknown_session_reads(server, 200)
        assert statuses == [200] * 200
        # Both workers took requests (each spent CPU time on them).
        assert all(_cpu(pid) > before[pid] for pid in pids), "one worker served everything"
    finally:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=40) == 0
        out = stop_server(server)
    assert "with 2 worker processes" in out
    assert "database checkpointed" in out
    assert wait_until(lambda: not any(alive(pid) for pid in pids))
    verified = flask(server, database_url, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit log intact" in verified.stdout
    count = int(verified.stdout.split("intact: ")[1].split(" events")[0])
    assert count >= 200, verified.stdout  # every read's event is in the one chain
    if not PG_URL:
        wal = server.data_dir / "fallstelle.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0


def _cpu(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks


def test_a_worker_that_dies_is_replaced(tmp_path: Path, database_url: str) -> None:
    server = start_server(tmp_path, database_url, args=("--workers", "2"))
    try:
        first = workers_of(server.process.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: len(workers_of(server.process.pid) - {victim}) == 2)
        with urllib.request.urlopen(server.url + "/health", timeout=10) as page:  # noqa: S310
            assert page.status == 200
    finally:
        out = stop_server(server)
    assert f"worker {victim} ended (signal 9); starting another" in out


def test_workers_stop_when_the_parent_is_killed(tmp_path: Path, database_url: str) -> None:
    server = start_server(tmp_path, database_url, args=("--workers", "2"))
    pids = workers_of(server.process.pid)
    server.process.kill()
    server.process.wait(timeout=10)
    try:
        assert wait_until(lambda: not any(alive(pid) for pid in pids), 15)
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        stop_server(server)


def test_one_worker_serves_in_the_process_itself(tmp_path: Path, database_url: str) -> None:
    server = start_server(tmp_path, database_url, args=("--workers", "1"))
    try:
        assert workers_of(server.process.pid) == set()
        assert unknown_session_reads(server, 20) == [200] * 20
    finally:
        out = stop_server(server)
    assert "worker processes" not in out and "database checkpointed" in out
