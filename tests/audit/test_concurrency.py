"""Concurrent appends give one unbroken, gapless chain: threads, and two OS processes on PG."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from fallstelle.audit import Event, record
from fallstelle.store import Store
from tests.audit.helpers import rows, verify

ROOT = Path(__file__).resolve().parents[2]
THREADS, PER_THREAD = 8, 50


def test_threads_append_one_gapless_chain(store: Store) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(name: str) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                with store.sessions() as session:
                    record(session, Event("case.read", actor_id=name, object_id=str(i)))
                    session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t-{n}",)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    log = rows(store)
    assert [r.seq for r in log] == list(range(1, THREADS * PER_THREAD + 1))
    assert Counter(r.actor_id for r in log) == {f"t-{n}": PER_THREAD for n in range(THREADS)}
    assert verify(store).startswith(f"audit log intact: {THREADS * PER_THREAD} events")


CHILD = """
import sys, time
from pathlib import Path
from fallstelle.audit import Event, record
from fallstelle.config import Settings
from fallstelle.store import open_store

url, name, count, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
data, keys = Path(sys.argv[5]), Path(sys.argv[6])
sessions = open_store(Settings(data_dir=data, keys_dir=keys, database_url=url)).sessions
while time.time() < start:
    time.sleep(0.001)
for i in range(count):
    with sessions() as session:
        record(session, Event("case.read", actor_id=name, object_id=str(i)))
        session.commit()
"""


def test_two_processes_append_one_gapless_chain(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("two app processes share a database only on PostgreSQL")
    count = 200
    start = time.time() + 2.0
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                store.settings.database_url,
                name,
                str(count),
                str(start),
                str(store.settings.data_dir),
                str(store.settings.keys_dir),
            ],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("p-a", "p-b")
    ]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    log = rows(store)
    assert [r.seq for r in log] == list(range(1, 2 * count + 1))
    assert Counter(r.actor_id for r in log) == {"p-a": count, "p-b": count}
    # The two really overlapped: their events interleave somewhere in the chain.
    switches = sum(1 for a, b in itertools.pairwise(log) if a.actor_id != b.actor_id)
    assert switches > 1
    assert verify(store).startswith(f"audit log intact: {2 * count} events")
