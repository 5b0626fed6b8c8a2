"""Nothing about a person is readable at rest; a ciphertext only opens where it was sealed."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import LargeBinary, String, Text, inspect, select, text

from fallstelle.cases import service
from fallstelle.cases.models import Case, CaseEntry
from fallstelle.cases.sections import CaseDetails, Identity, Incident
from fallstelle.errors import DecryptionFailed
from fallstelle.store import Store, sqlite_path
from tests.cases.factories import World, create, short_form

SURNAME = "Zzyzxqvarn"
NARRATIVE = "Pastafari-Kanari"
RARE = "sexuelle_identitaet.asexuell"
INSTITUTION = "Quxbrauerei Wumpelfeld"


def _canary(world: World) -> service.NewCase:
    new = short_form(world.office_a)
    new.details = CaseDetails(request_type="beratungsfall", narrative=NARRATIVE)
    new.identity = Identity(surname=SURNAME, email="zzyzxqvarn@example.org")
    assert new.incident is not None
    new.incident = dataclasses.replace(new.incident, grounds=[RARE])
    return new


def test_canary_strings_never_reach_the_database(store: Store, world: World) -> None:
    new = _canary(world)
    assert new.incident is not None
    new.incident.actor_institution = INSTITUTION
    create(store, world.alice, new)
    needles = [s.encode() for s in (SURNAME, NARRATIVE, INSTITUTION, "zzyzxqvarn")]
    path = sqlite_path(store.settings)
    if path is not None:
        store.close()
        raw = path.read_bytes()
        wal = path.with_name(path.name + "-wal")
        raw += wal.read_bytes() if wal.exists() else b""
        assert len(raw) > 10_000
        assert [n for n in needles if n in raw] == []
    # On both databases: no text or binary column of a case table holds any of them, nor the
    # rare category (the statistical record holds codes by design, ARCHITECTURE.md).
    assert _found_in_case_tables(store, [*needles, RARE.encode(), b"asexuell"]) == []


def _found_in_case_tables(store: Store, needles: list[bytes]) -> list[tuple[str, bytes]]:
    found = []
    with store.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if not table.startswith("case"):
                continue
            for column in inspect(conn).get_columns(table):
                if isinstance(column["type"], String | Text | LargeBinary):
                    query = f'SELECT "{column["name"]}" FROM "{table}"'
                    for (value,) in conn.execute(text(query)):
                        data = (
                            bytes(value)
                            if isinstance(value, bytes | memoryview)
                            else str(value).encode()
                        )
                        found += [(table, n) for n in needles if n in data]
    return found


def test_a_ciphertext_moved_to_another_case_does_not_decrypt(store: Store, world: World) -> None:
    first, _ = create(store, world.alice, _canary(world))
    second, _ = create(store, world.alice)
    with store.sessions() as session, session.begin():
        payload_a = session.scalars(
            select(CaseEntry.payload).where(
                CaseEntry.case_id == first, CaseEntry.kind == "incident"
            )
        ).one()
        target = session.scalars(
            select(CaseEntry).where(CaseEntry.case_id == second, CaseEntry.kind == "incident")
        ).one()
        target.payload = payload_a
    with store.sessions() as session, pytest.raises(DecryptionFailed):
        service.get_case(session, world.alice, store.keys, second)


def test_an_entry_relabelled_as_another_kind_does_not_decrypt(store: Store, world: World) -> None:
    case_id, _ = create(store, world.alice)
    with store.sessions() as session, session.begin():
        row = session.scalars(
            select(CaseEntry).where(CaseEntry.case_id == case_id, CaseEntry.kind == "incident")
        ).one()
        row.kind = "contact"
    with store.sessions() as session, pytest.raises(DecryptionFailed):
        service.get_case(session, world.alice, store.keys, case_id)


def test_the_case_payload_of_another_case_does_not_decrypt(store: Store, world: World) -> None:
    first, _ = create(store, world.alice)
    second, _ = create(store, world.alice)
    with store.sessions() as session, session.begin():
        one, two = session.get(Case, first), session.get(Case, second)
        assert one is not None and two is not None
        two.payload = one.payload
    with store.sessions() as session, pytest.raises(DecryptionFailed):
        service.get_case(session, world.alice, store.keys, second)
    assert Incident  # the incident class is the payload moved above
