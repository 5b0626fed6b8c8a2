"""Backups: create while writers run, verify (a flipped byte), refusals, the restore drill."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from fallstelle import create_app
from fallstelle.backup import archive, identity, restore
from fallstelle.cases import attachments, stat_counts
from fallstelle.cases.erasure import Register, erase_case
from fallstelle.cases.models import Case
from fallstelle.cases.work import CaseWork
from fallstelle.config import Settings
from fallstelle.keyfiles import load_keys
from fallstelle.runtime import get_runtime
from fallstelle.store import Store, initialise, open_store
from tests.backup.conftest import invoke
from tests.cases.factories import create, make_world

PDF = b"%PDF-1.4 backup test " + bytes(range(256)) * 8


def _quiet(_line: str) -> None:
    pass


def _bar(_done: int, _total: int) -> None:
    pass


def _store(app: Flask) -> Store:
    return get_runtime(app).open(app)


def _backup(store: Store, out: Path) -> Path:
    return archive.create(store.settings, store.keys, store.engine, out, app_version="test",
                          say=_quiet, bar=_bar)  # fmt: skip


def _ident(settings: Settings) -> object:
    return identity.identity(settings.keys_dir / identity.IDENTITY)


def _restore(backup: Path, settings: Settings, to: Settings) -> restore.Restored:
    keys = load_keys(settings.keys_dir)
    return restore.restore(backup, _ident(settings), keys, to, to.data_dir, say=_quiet, bar=_bar)


def _readable_cases(settings: Settings) -> set[uuid.UUID]:
    """Every case of the restored installation that opens with the keys (decrypts)."""
    store = open_store(settings)
    try:
        with store.sessions() as session, session.begin():
            cases = list(session.scalars(select(Case)))
            for case in cases:
                CaseWork.open(session, case, store.keys)  # every section decrypts
            ids = [case.id for case in cases]
            counts = stat_counts.recount(session)
            assert stat_counts.differences(session, counts) == {}  # report recount --check
        return set(ids)
    finally:
        store.close()


def test_create_verify_restore_from_the_command_line(
    app: Flask, elsewhere: Settings, tmp_path: Path
) -> None:
    store = _store(app)
    world = make_world(store)
    case_id, version = create(store, world.alice)
    files = store.settings.data_dir / "attachments"
    with store.sessions() as session, session.begin():
        attachments.add(session, world.alice, store.keys, files, case_id, version, "b.pdf", PDF)
    code, out, err = invoke(app, "backup", "create", "--out", str(tmp_path / "out"))
    assert code == 0, err
    path = Path(out.splitlines()[-1])
    assert path.is_file() and path.parent == tmp_path / "out"
    assert "backup: copying the database" in err  # progress on stderr
    assert (path.stat().st_mode & 0o077) == 0
    assert b"Yilmaz" not in path.read_bytes() and b"SQLite format" not in path.read_bytes()
    scratch = [] if store.settings.is_sqlite else ["--scratch", elsewhere.database_url]
    code, out, err = invoke(app, "backup", "verify", str(path), *scratch)
    assert code == 0, err
    assert out.startswith("backup intact: 2 parts") and "audit log intact" in out
    if scratch:  # the scratch schema holds the copy now; the drill restores on PostgreSQL
        return
    restored = create_app(elsewhere)
    code, out, err = invoke(restored, "backup", "restore", str(path), "--to",
                            str(elsewhere.data_dir), "--identity",
                            str(store.settings.keys_dir / identity.IDENTITY))  # fmt: skip
    assert code == 0, err
    assert f"FALLSTELLE_DATA_DIR={elsewhere.data_dir}" in out
    target = replace(elsewhere, database_url=f"sqlite:///{elsewhere.data_dir}/fallstelle.db")
    assert _readable_cases(target) == {case_id}
    assert len(list((elsewhere.data_dir / "attachments").iterdir())) == 1


@pytest.mark.parametrize("where", [0.0, 0.5, 0.999])
def test_a_flipped_byte_fails_verification(app: Flask, tmp_path: Path, where: float) -> None:
    store = _store(app)
    path = _backup(store, tmp_path / "out")
    data = bytearray(path.read_bytes())
    data[min(len(data) - 1, int(len(data) * where) + 60)] ^= 0x01
    path.write_bytes(bytes(data))
    code, out, err = invoke(app, "backup", "verify", str(path))
    assert code == 1 and out == ""
    assert err.splitlines()[-1].startswith("fallstelle: ") and "Traceback" not in err


def test_a_backup_of_another_installation_is_refused(
    app: Flask, initialised: Settings, tmp_path: Path
) -> None:
    path = _backup(_store(app), tmp_path / "out")
    other = Settings(data_dir=tmp_path / "other", keys_dir=tmp_path / "other-keys",
                     database_url=f"sqlite:///{tmp_path}/other/o.db", bcrypt_rounds=4)  # fmt: skip
    initialise(other)
    to = tmp_path / "into"
    ident = str(initialised.keys_dir / identity.IDENTITY)
    code, out, err = invoke(
        create_app(other), "backup", "restore", str(path), "--to", str(to), "--identity", ident
    )
    assert code == 1 and out == ""
    assert "belongs to another installation" in err.splitlines()[-1] and "Traceback" not in err
    assert not to.exists()


def test_a_backup_of_a_newer_schema_is_refused(
    app: Flask, initialised: Settings, elsewhere: Settings, tmp_path: Path
) -> None:
    store = _store(app)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    path = _backup(store, tmp_path / "out")
    with pytest.raises(archive.BackupFailed, match="newer than this version"):
        _restore(path, initialised, elsewhere)
    assert not elsewhere.data_dir.exists()


def test_restore_drill_with_writers_running(
    store: Store, initialised: Settings, elsewhere: Settings, tmp_path: Path
) -> None:
    """Writers keep creating cases; every case acknowledged before the backup began is in
    the restored copy and decrypts; the log verifies; the counts match the records; a case
    erased after the backup stays erased."""
    world = make_world(store)
    acked: list[uuid.UUID] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(actor_name: str) -> None:
        actor = getattr(world, actor_name)
        try:
            while not stop.is_set():
                acked.append(create(store, actor)[0])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("alice", "anton", "bert")]
    for t in threads:
        t.start()
    try:
        while len(acked) < 6:
            stop.wait(0.05)
        before = list(acked)
        path = _backup(store, tmp_path / "out")
        while len(acked) < len(before) + 3:  # writers went on during and after the backup
            stop.wait(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    gone = before[0]
    with store.sessions() as session, session.begin():
        erase_case(session, store.keys, Register.open(store.settings.keys_dir),
                   store.settings.data_dir / "attachments", gone, rule="request",
                   reason="art17_request", actor=world.alice)  # fmt: skip
    done = _restore(path, initialised, elsewhere)
    assert done.reapplied == 1
    readable = _readable_cases(done.settings)
    assert set(before) - {gone} <= readable and gone not in readable
    restored = open_store(done.settings)
    try:
        result = restore.verify_audit(restored.engine, restored.keys, None)
        assert result.ok, result.message()
        with restored.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == len(readable)
    finally:
        restored.close()
