"""Erasure (crypto-shredding) and the erasure register that survives restores."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from fallstelle.audit.models import AuditEvent
from fallstelle.cases import attachments
from fallstelle.cases.erasure import Register, RegisterDamaged, erase_case, reapply, settle
from fallstelle.cases.errors import CaseNotFound, Invalid
from fallstelle.cases.models import (
    Case,
    CaseCounsellor,
    CaseEntry,
    CaseIdentity,
    ErasureRecord,
    StatisticalCount,
    StatisticalRecord,
)
from fallstelle.store import Store, sqlite_path
from tests.cases.factories import World, create, version_of

PDF = b"%PDF-1.4 erasure test " + bytes(range(256)) * 4
CASE_TABLES: list[Table] = [
    t.__table__
    for t in (Case, CaseCounsellor, CaseEntry, CaseIdentity)  # type: ignore[misc]
]


@pytest.fixture
def register(store: Store) -> Register:
    return Register.open(store.settings.keys_dir)


@pytest.fixture
def files(store: Store) -> Path:
    return store.settings.data_dir / "attachments"


def _case_with_attachment(store: Store, world: World, files: Path) -> uuid.UUID:
    case_id, version = create(store, world.alice)
    with store.sessions() as session, session.begin():
        attachments.add(session, world.alice, store.keys, files, case_id, version, "a.pdf", PDF)
    return case_id


def _erase(store: Store, register: Register, files: Path, case_id: uuid.UUID, world: World):  # type: ignore[no-untyped-def]
    with store.sessions() as session, session.begin():
        return erase_case(session, store.keys, register, files, case_id, rule="request",
                          reason="art17_request", actor=world.alice)  # fmt: skip


def _counts(session: Session) -> list[tuple[object, ...]]:
    return [tuple(r) for r in session.execute(select(StatisticalCount.__table__))]


def _snapshot(store: Store, case_id: uuid.UUID) -> dict[str, list[dict[str, object]]]:
    """The case's rows as a backup taken now holds them."""
    with store.engine.connect() as conn:
        out = {}
        for table in CASE_TABLES:
            key = table.c.id if table.name == "cases" else table.c.case_id
            out[table.name] = [
                dict(r._mapping) for r in conn.execute(select(table).where(key == case_id))
            ]
        return out


def _restore(
    store: Store, snapshot: dict[str, list[dict[str, object]]], case_id: uuid.UUID
) -> None:
    """Put the case back as restoring the older backup would (and drop the newer record)."""
    with store.engine.begin() as conn:
        conn.execute(delete(ErasureRecord.__table__).where(ErasureRecord.case_id == case_id))
        for table in CASE_TABLES:
            if snapshot[table.name]:
                conn.execute(insert(table), snapshot[table.name])


def test_erase_shreds_the_case_and_keeps_the_statistics(
    store: Store, world: World, register: Register, files: Path
) -> None:
    case_id = _case_with_attachment(store, world, files)
    assert len(list(files.iterdir())) == 1
    with store.sessions() as session:
        counts_before = _counts(session)
        records_before = session.scalar(select(func.count()).select_from(StatisticalRecord))
    erasure = _erase(store, register, files, case_id, world)
    assert erasure.erased_now and erasure.rule == "request" and erasure.register_seq == 1
    with store.sessions() as session:
        for table in (Case, CaseEntry, CaseIdentity, CaseCounsellor):
            column = table.id if table is Case else table.case_id  # type: ignore[attr-defined]
            assert session.scalar(select(func.count()).where(column == case_id)) == 0
        assert session.scalar(select(func.count()).select_from(StatisticalRecord)) == records_before
        assert _counts(session) == counts_before
        row = session.get(ErasureRecord, case_id)
        assert row is not None and row.case_number == erasure.case_number
        assert row.reason == "art17_request" and row.actor_role == "counsellor"
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.erase")).one()
        assert event.object_id == str(case_id) and event.reason == "request"
    assert list(files.iterdir()) == []
    [entry] = register.entries()
    assert entry["case"] == str(case_id) and len(entry["files"]) == 1
    assert "Yilmaz" not in register.path.read_text()


def test_erasing_twice_changes_nothing(
    store: Store, world: World, register: Register, files: Path
) -> None:
    case_id, _ = create(store, world.alice)
    first = _erase(store, register, files, case_id, world)
    again = _erase(store, register, files, case_id, world)
    assert not again.erased_now and again.register_seq == first.register_seq
    assert len(register.lines()) == 1
    with pytest.raises(CaseNotFound):
        _erase(store, register, files, uuid.uuid4(), world)


def test_rule_and_reason_are_codes_not_text(
    store: Store, world: World, register: Register, files: Path
) -> None:
    case_id, _ = create(store, world.alice)
    with store.sessions() as session, session.begin(), pytest.raises(Invalid):
        erase_case(session, store.keys, register, files, case_id, rule="request",
                   reason="Frau Yilmaz wollte das", actor=world.alice)  # fmt: skip
    assert register.lines() == []


def test_a_rolled_back_erasure_is_voided_and_never_reapplied(
    store: Store, world: World, register: Register, files: Path
) -> None:
    case_id = _case_with_attachment(store, world, files)
    with store.sessions() as session, session.begin():
        erase_case(session, store.keys, register, files, case_id, rule="request",
                   reason="art17_request", actor=world.alice)  # fmt: skip
        session.rollback()
    assert register.entries() == [] and len(register.lines()) == 2
    assert len(list(files.iterdir())) == 1
    with store.sessions() as session, session.begin():
        assert reapply(session, store.keys, register, files) == 0
    assert version_of(store, case_id) >= 1


def test_a_restored_copy_loses_the_case_again(
    store: Store, world: World, register: Register, files: Path
) -> None:
    """Issue 13: restore of a backup taken before a deletion does not bring the case back."""
    case_id = _case_with_attachment(store, world, files)
    backup = _snapshot(store, case_id)
    saved_files = {p.name: p.read_bytes() for p in files.iterdir()}
    _erase(store, register, files, case_id, world)
    _restore(store, backup, case_id)
    for name, data in saved_files.items():
        (files / name).write_bytes(data)
    with store.sessions() as session, session.begin():
        assert reapply(session, store.keys, register, files) == 1
    with store.sessions() as session, session.begin():
        assert session.get(Case, case_id) is None
        row = session.get(ErasureRecord, case_id)
        assert row is not None and row.reapplied == 1
        assert reapply(session, store.keys, register, files) == 0
    assert list(files.iterdir()) == []


def test_a_tampered_register_is_refused_and_nothing_is_erased(
    store: Store, world: World, register: Register, files: Path
) -> None:
    """The adversary edits the register (drops a deletion from the middle, or rewrites one)."""
    gone = [create(store, world.alice)[0] for _ in range(3)]
    for case_id in gone:
        _erase(store, register, files, case_id, world)
    lines = register.path.read_bytes().splitlines(keepends=True)
    register.path.write_bytes(lines[0] + lines[2])
    with store.sessions() as session, session.begin(), pytest.raises(RegisterDamaged):
        reapply(session, store.keys, register, files)
    register.path.write_bytes(lines[0] + lines[1].replace(b'"request"', b'"requesx"') + lines[2])
    with pytest.raises(RegisterDamaged):
        register.entries()
    register.path.write_bytes(b"".join(lines) + b'{"torn')  # a crash mid-append is no damage
    assert len(register.entries()) == 3
    assert register.append({"void": 99}) == 4
    assert len(register.lines()) == 4


def test_no_erased_ciphertext_stays_in_the_data_directory(
    store: Store, world: World, register: Register, files: Path
) -> None:
    """The adversary reads the raw files: neither the wrapped data key nor a payload is there."""
    path = sqlite_path(store.settings)
    if path is None:
        pytest.skip("PostgreSQL keeps dead tuples until VACUUM; the key is gone (SECURITY.md)")
    case_id = _case_with_attachment(store, world, files)
    with store.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        needles = [bytes(case.dek_wrapped), bytes(case.payload)[-32:]]
        needles += [bytes(e.payload)[-32:] for e in session.scalars(
            select(CaseEntry).where(CaseEntry.case_id == case_id))]  # fmt: skip
    settle(store.engine)  # the case's pages now live in the database file too
    _erase(store, register, files, case_id, world)
    raw = b"".join(p.read_bytes() for p in path.parent.rglob("*") if p.is_file())
    assert [n for n in needles if n in raw] == []
