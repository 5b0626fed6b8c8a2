"""Group commit of read events (issue 15): shared transactions, same guarantees.

Many threads append through one group commit while others append the ordinary way, two group
commits share one database as two processes would, and on PostgreSQL two OS processes do:
the chain stays gapless and verifies. A failing commit reaches every request of its batch
and stores nothing of it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from fallstelle import db
from fallstelle.audit import Event, pg_append, record, service, witness
from fallstelle.audit.group import GroupCommit
from fallstelle.store import Store
from tests.audit.helpers import flush_witness, rows, verify

ROOT = Path(__file__).resolve().parents[2]
THREADS, PER_THREAD = 8, 25


def _run(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_group_and_direct_appends_make_one_gapless_chain(store: Store) -> None:
    group = GroupCommit(store.sessions)
    errors: list[BaseException] = []
    start = threading.Barrier(2 * THREADS)

    def grouped(name: str) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                group.append([Event("case.read", actor_id=name, object_id=str(i))])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def direct(name: str) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                with store.sessions() as session:
                    record(session, Event("case.update", actor_id=name, object_id=str(i)))
                    session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    _run(
        [threading.Thread(target=grouped, args=(f"g-{n}",)) for n in range(THREADS)]
        + [threading.Thread(target=direct, args=(f"d-{n}",)) for n in range(THREADS)]
    )
    assert errors == []
    log = rows(store)
    total = 2 * THREADS * PER_THREAD
    assert [r.seq for r in log] == list(range(1, total + 1))
    assert all(n == PER_THREAD for n in Counter(r.actor_id for r in log).values())
    assert group.batches < THREADS * PER_THREAD  # reads shared transactions
    assert verify(store).startswith(f"audit log intact: {total} events")


def test_two_group_commits_on_one_database(store: Store) -> None:
    """Two app processes each have one; the chain lock orders their batches."""
    other_engine = db.make_engine(store.settings)
    other = db.make_sessionmaker(other_engine, store.sessions.kw["info"])  # keys, settings
    groups = [GroupCommit(store.sessions), GroupCommit(other)]
    try:
        _run(
            [
                threading.Thread(
                    target=lambda g=g, n=n: [
                        g.append([Event("case.read", actor_id=f"p{n}", object_id=str(i))])
                        for i in range(PER_THREAD)
                    ]
                )
                for n, g in enumerate(groups * 4)
            ]
        )
    finally:
        other_engine.dispose()
    log = rows(store)
    assert [r.seq for r in log] == list(range(1, 8 * PER_THREAD + 1))
    assert verify(store).startswith(f"audit log intact: {8 * PER_THREAD} events")


def _fails_every_request(group: GroupCommit) -> list[BaseException]:
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def read(n: int) -> None:
        start.wait()
        try:
            group.append([Event("case.read", object_id=str(n))])
        except Exception as exc:  # OSError from a listener; PostgreSQL's error from a trigger
            failures.append(exc)

    _run([threading.Thread(target=read, args=(n,)) for n in range(THREADS)])
    return failures


def _disk_full(*_args: object) -> None:
    raise OSError("disk full")


def test_a_failed_commit_fails_every_request_in_its_batch_and_stores_nothing(
    store: Store,
) -> None:
    """The database refuses the COMMIT itself (a full disk): every reader gets the error."""
    with _refused(store, "commit"):
        failures = _fails_every_request(GroupCommit(store.sessions))
    assert len(failures) == THREADS
    assert rows(store) == []
    assert verify(store).startswith("audit log intact: 0 events")


def test_a_batch_that_fails_halfway_stores_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events inserted and the head moved, then the checkpoint's insert fails: no event of the
    batch stays, the head stays where it was, and the next batch appends from it. (On
    PostgreSQL the head's move fails, after the events' insert, in the same message.)"""
    group = GroupCommit(store.sessions)
    with _refused(store, "halfway", monkeypatch):
        assert len(_fails_every_request(group)) == THREADS
    assert rows(store) == []
    group.append([Event("case.read", object_id="after")])
    assert [r.seq for r in rows(store)] == [1]
    assert verify(store).startswith("audit log intact: 1 events")


@contextlib.contextmanager
def _refused(
    store: Store, when: str, monkeypatch: pytest.MonkeyPatch | None = None
) -> Iterator[None]:
    """Make the database refuse a batch at its COMMIT, or halfway (events inserted, then the
    checkpoints' insert on SQLite, the head's move on PostgreSQL, fail): on SQLite through a
    listener and the append's own function, on PostgreSQL (one message, see
    ``audit.pg_append``) through triggers that the server runs, as a full disk would fail it."""
    engine = store.sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        if when == "commit":
            event.listen(engine, "commit", _disk_full)
        else:
            assert monkeypatch is not None
            monkeypatch.setattr(service, "_insert_checkpoints", _disk_full)
        try:
            yield
        finally:
            if when == "commit":
                event.remove(engine, "commit", _disk_full)
            elif monkeypatch is not None:
                monkeypatch.undo()
        return
    trigger = (
        "CREATE CONSTRAINT TRIGGER t_refuse AFTER INSERT ON audit_events "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse()"
        if when == "commit"
        else "CREATE TRIGGER t_refuse BEFORE UPDATE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION refuse()"
    )
    table = "audit_events" if when == "commit" else "audit_head"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
        )
        conn.exec_driver_sql(trigger)
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TRIGGER t_refuse ON {table}")
            conn.exec_driver_sql("DROP FUNCTION refuse()")


def _hold_first_batch(store: Store, hold: Callable[[], None]) -> Callable[[], None]:
    """Run ``hold`` inside the first batch's write, before it commits; returns the undo."""
    engine = store.sessions.kw["bind"]
    if engine.dialect.name == "postgresql":
        original = pg_append._send

        def send(*args: Any) -> Any:
            hold()
            return original(*args)

        pg_append._send = send  # type: ignore[assignment]
        return lambda: setattr(pg_append, "_send", original)

    def listener(*_args: object) -> None:
        hold()

    event.listen(engine, "commit", listener)
    return lambda: event.remove(engine, "commit", listener)


def test_a_batch_is_written_without_an_orm_session(store: Store) -> None:
    """Issue 15: a batch's ORM session (sessionmaker, begin, listeners, flush, commit) cost
    more instructions than its append; a batch goes through a Core connection. The events,
    their checkpoints and the witness are the same as for any other append."""
    service.enable_checkpoints(store.sessions, store.keys.audit_signing_key, every=4)
    group = GroupCommit(store.sessions)
    opened: list[object] = []

    def note(*args: object) -> None:
        opened.append(args)

    event.listen(Session, "after_begin", note)
    try:
        for n in range(10):
            group.append([Event("case.read", actor_id="a", object_id=str(n))])
    finally:
        event.remove(Session, "after_begin", note)
    assert opened == []
    assert [r.seq for r in rows(store)] == list(range(1, 11))
    flush_witness()
    found = witness.read(store.settings.audit_witness)
    assert found is not None and found.seq == 10
    assert verify(store) == (
        "audit log intact: 10 events (seq 1-10); 2 signed checkpoints match; the witness matches"
    )


CHILD = """
import sys, threading, time
from fallstelle.audit import Event
from fallstelle.audit.group import GroupCommit
from pathlib import Path
from fallstelle.config import Settings
from fallstelle.store import open_store

url, name, count, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
data, keys = Path(sys.argv[5]), Path(sys.argv[6])
store = open_store(Settings(data_dir=data, keys_dir=keys, database_url=url))
group = GroupCommit(store.sessions)
while time.time() < start:
    time.sleep(0.001)
def reader(t):
    for i in range(count):
        group.append([Event("case.read", actor_id=f"{name}-{t}", object_id=str(i))])
threads = [threading.Thread(target=reader, args=(t,)) for t in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(group.batches)
"""


def test_two_processes_group_commit_on_postgresql(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("two app processes share a database only on PostgreSQL")
    count = 50
    start = time.time() + 2.0
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, store.settings.database_url, name, str(count),
             str(start), str(store.settings.data_dir), str(store.settings.keys_dir)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in ("p-a", "p-b")
    ]
    for child in children:
        _, err = child.communicate(timeout=180)
        assert child.returncode == 0, err
    log = rows(store)
    assert [r.seq for r in log] == list(range(1, 2 * 4 * count + 1))
    assert verify(store).startswith(f"audit log intact: {2 * 4 * count} events")


def test_events_handed_in_early_are_written_by_whoever_waits(store: Store) -> None:
    """A request that submitted and is still rendering never holds up one that waits."""
    gate, writing = threading.Event(), threading.Event()

    held: list[object] = []

    def hold() -> None:
        """The first batch's commit waits for ``gate`` (a batch in flight)."""
        held.append(None)
        if len(held) == 1:
            writing.set()
            assert gate.wait(10)

    undo = _hold_first_batch(store, hold)
    group = GroupCommit(store.sessions)
    first = threading.Thread(target=group.append, args=([Event("case.read", object_id="a")],))
    first.start()
    assert writing.wait(10)  # "a" is being written; its request leads
    early = group.submit([Event("case.read", object_id="early")])  # its request renders on
    waiting = threading.Thread(target=group.append, args=([Event("case.read", object_id="b")],))
    waiting.start()
    gate.set()
    first.join(10)
    waiting.join(10)  # the lead went to the waiting request, not to the rendering one
    assert not waiting.is_alive()
    undo()
    assert [r.object_id for r in rows(store)] == ["a", "early", "b"]
    group.wait(early)  # written meanwhile: returns at once


def test_withdrawn_events_are_not_written(store: Store) -> None:
    group = GroupCommit(store.sessions)
    taken_back = group.submit([Event("case.read", object_id="failed-page")])
    assert [e.object_id for e in group.withdraw(taken_back) or ()] == ["failed-page"]
    written = group.submit([Event("case.read", object_id="shown-page")])
    group.wait(written)
    assert group.withdraw(written) is None  # too late: already in the log
    assert [r.object_id for r in rows(store)] == ["shown-page"]


def test_a_leader_takes_its_batch_when_its_turn_has_come(store: Store, tmp_path: Path) -> None:
    """Another process writes (it holds the writers' lock file): the requests that arrive
    while this process's leader waits for its turn go into the leader's batch, one commit
    for all (before, the leader had taken its batch before the wait: two commits)."""
    import fcntl

    lock = tmp_path / "writer.lock"
    group = GroupCommit(store.sessions, lock)
    other = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)  # the other process's batch
    try:
        first = threading.Thread(target=group.append, args=([Event("case.read", object_id="a")],))
        first.start()
        deadline = time.monotonic() + 10
        while not group._leading and time.monotonic() < deadline:  # the leader waits its turn
            time.sleep(0.01)
        later = [group.submit([Event("case.read", object_id=n)]) for n in ("b", "c", "d")]
        waiting = [threading.Thread(target=group.wait, args=(t,)) for t in later]
        for t in waiting:
            t.start()
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    for t in (first, *waiting):
        t.join(10)
    assert group.batches == 1
    assert [r.object_id for r in rows(store)] == ["a", "b", "c", "d"]


def test_a_lock_file_that_cannot_be_opened_costs_the_order_not_the_reads(
    store: Store, tmp_path: Path
) -> None:
    """The writers' lock file only orders the processes; when it cannot be opened (its
    directory is gone), every read is still written and none waits for ever (a leader that
    died on it once left every other reader of its process waiting)."""
    group = GroupCommit(store.sessions, tmp_path / "gone" / "writer.lock")
    threads = [
        threading.Thread(target=group.append, args=([Event("case.read", object_id=str(n))],))
        for n in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    assert sorted(r.object_id for r in rows(store)) == sorted(str(n) for n in range(THREADS))
