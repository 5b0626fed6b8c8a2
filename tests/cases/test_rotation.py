"""KEK rotation: online, batched, restartable after a kill at any point; retire when unused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from fallstelle import keyfiles
from fallstelle.cases import rotation
from fallstelle.cases.models import Case
from fallstelle.cases.work import CaseWork
from fallstelle.config import Settings
from fallstelle.runtime import get_runtime
from fallstelle.store import Store, open_store
from tests.backup.conftest import invoke
from tests.cases.factories import World, create, make_world

KILLS = 50  # random kill points in the suite; benchmarks/backup_bench.py runs more


class Killed(BaseException):
    """Stands for SIGKILL: nothing after the kill point runs, uncommitted work is lost."""


def all_decrypt(settings: Settings) -> set[str]:
    """Open the installation as a fresh process would; every case must decrypt.

    Returns the KEK ids that wrap the data keys.
    """
    store = open_store(settings)
    try:
        with store.sessions() as session:
            cases = list(session.scalars(select(Case)))
            for case in cases:
                CaseWork.open(session, case, store.keys)
            return {case.dek_kid for case in cases}
    finally:
        store.close()


def killer(at: int, monkeypatch: pytest.MonkeyPatch) -> rotation.Step:
    """A step hook (and a key-ring writer) that 'kills' the rotation at the at-th point."""
    seen = [0]

    def point(_label: str) -> None:
        seen[0] += 1
        if seen[0] == at:
            raise Killed

    original = keyfiles.write_ring

    def write_ring(keys_dir: Path, ring: dict[str, object]) -> None:
        point("before ring write")  # after the key file, before the ring lists it
        original(keys_dir, ring)
        point("after ring write")

    monkeypatch.setattr(keyfiles, "write_ring", write_ring)
    return point


def kill_and_finish(settings: Settings, at: int, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a rotation killed at point ``at``; check the state; run it again to the end."""
    with monkeypatch.context() as patch:
        point = killer(at, patch)
        doomed = open_store(settings)
        try:
            rotation.rotate(doomed.sessions, settings.keys_dir, batch=3, pause=0, step=point)
        except Killed:
            pass
        finally:
            doomed.engine.dispose()  # no clean close: the process is gone
    all_decrypt(settings)  # a restarted process starts and reads every case
    again = open_store(settings)
    try:
        done = rotation.rotate(again.sessions, settings.keys_dir, batch=3, pause=0)
    finally:
        again.close()
    assert all_decrypt(settings) == {done.primary}, f"kill point {at}"
    return done.primary


def test_rotation_survives_random_kills(
    store: Store, world: World, initialised: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for actor in (world.alice, world.bert, world.olga) * 4:
        create(store, actor)
    store.close()
    rng = random.Random(12)  # noqa: S311 - test randomness, fixed seed
    primaries = {kill_and_finish(initialised, rng.randint(1, 12), monkeypatch)
                 for _ in range(KILLS)}  # fmt: skip
    assert len(primaries) > KILLS // 2  # most runs started a new rotation
    ring = keyfiles.read_ring(initialised.keys_dir)
    assert sum(k["status"] == keyfiles.PRIMARY for k in ring["keks"]) == 1


def test_status_rotate_and_retire_from_the_command_line(app: Flask, initialised: Settings) -> None:
    store = get_runtime(app).open(app)
    world = make_world(store)
    create(store, world.alice)
    code, out, _err = invoke(app, "keys", "status")
    assert code == 0 and out.splitlines()[0] == "kid\tstatus\tcreated\tage_days\tdata_keys"
    old = out.splitlines()[1].split("\t")
    assert old[1] == "primary" and old[4] == "1"
    assert "audit-signing.key" in out and "blind-index.key" in out
    code, out, err = invoke(app, "keys", "retire", old[0])
    assert code == 1 and "primary" in err
    code, out, err = invoke(app, "keys", "rotate")
    assert code == 0, err
    assert "1 data keys re-wrapped" in out
    code, out, err = invoke(app, "keys", "retire", old[0])
    assert code == 0, err
    assert not (initialised.keys_dir / keyfiles.kek_file(bytes.fromhex(old[0]))).exists()
    code, out, _err = invoke(app, "keys", "status")
    assert f"{old[0]}\tdestroyed" in out
    assert all_decrypt(initialised)  # starts with the retired key gone


def test_retire_refuses_a_key_that_still_wraps_data_keys(store: Store, world: World) -> None:
    create(store, world.alice)
    old = store.keys.keyring.primary.hex()
    kid, _ = keyfiles.stage_kek(store.settings.keys_dir)
    keyfiles.promote_kek(store.settings.keys_dir, kid)  # as if killed before any batch
    with pytest.raises(rotation.RetireRefused, match="still wraps 1 data keys"):
        rotation.retire(store.sessions, store.settings.keys_dir, old)
    with store.sessions() as session:
        assert session.scalar(select(func.count()).where(Case.dek_kid == old)) == 1
