"""Prefix search over the per-office truncated prefix index (issue 14)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import MetaData, select

from fallstelle import crypto
from fallstelle.audit.models import AuditEvent
from fallstelle.cases import corrections, deletion, entries, sealing, search
from fallstelle.cases.erasure import Register
from fallstelle.cases.errors import Invalid
from fallstelle.cases.models import Case, CaseIdentity
from fallstelle.cases.sections import Identity, Person
from fallstelle.store import Store, alembic_config
from tests.cases.factories import World, create, short_form, version_of


def _person(
    store: Store, world: World, surname: str, phone: str = "", office: int = 0
) -> uuid.UUID:
    new = short_form(office or world.office_a)
    new.identity = Identity(first_name="Vorname", surname=surname, phone=phone)
    actor = world.bert if office == world.office_b else world.alice
    return create(store, actor, new)[0]


def _find(
    store: Store, world: World, field: str, value: str, actor: object = None
) -> list[uuid.UUID]:
    with store.sessions() as session, session.begin():
        hits = search.search_person(session, actor or world.alice, store.keys, field, value)  # type: ignore[arg-type]
        return [h.id for h in hits]


def _code(store: Store, world: World, field: str, value: str) -> str:
    with store.sessions() as session, pytest.raises(Invalid) as refused:
        search.search_person(session, world.alice, store.keys, field, value)
    return refused.value.code


def test_a_prefix_finds_the_name_with_umlauts_folded(store: Store, world: World) -> None:
    umlaut = _person(store, world, "Müller")
    spelt = _person(store, world, "Mueller-Lüdenscheidt")
    other = _person(store, world, "Muster")
    _person(store, world, "Meier")
    assert set(_find(store, world, "surname", "Müll")) == {umlaut, spelt}
    assert set(_find(store, world, "surname", "mue")) == {umlaut, spelt}  # 3 letters: p3
    assert set(_find(store, world, "surname", "MUELLER")) == {umlaut, spelt}
    assert _find(store, world, "surname", "Müller Lüd") == [spelt]  # hyphen = space = nothing
    assert _find(store, world, "surname", "Mus") == [other]
    assert _find(store, world, "surname", "Müllerin") == []
    with store.sessions() as session:
        (hit,) = search.search_person(session, world.alice, store.keys, "surname", "muster")
        assert hit.person_name == "Vorname Muster"
    accents = _person(store, world, "Şahin")
    dotless = _person(store, world, "Yılmaz")
    assert _find(store, world, "surname", "Sahi") == [accents]
    assert dotless in _find(store, world, "surname", "Yilm")


def test_a_phone_prefix_matches_whatever_the_formatting(store: Store, world: World) -> None:
    case_id = _person(store, world, "Nowak", "+49 (171) 234-5678")
    _person(store, world, "Other", "030 1234567")
    for query in ("0171", "0171 23", "+49 171 234", "0049-171-2345", "(0171) 2345678"):
        assert _find(store, world, "phone", query) == [case_id], query
    assert _find(store, world, "phone", "0172 234") == []


def test_too_short_a_query_is_refused_with_a_message(store: Store, world: World) -> None:
    _person(store, world, "Li")
    assert _code(store, world, "surname", "M") == "search_too_short"
    assert _find(store, world, "surname", "Mü") == []  # folded "mue": three letters, asked
    assert _code(store, world, "phone", "017") == "search_phone_too_short"
    assert _code(store, world, "surname", " - ") == "required"


def test_too_broad_a_query_is_refused_before_decrypting(
    store: Store, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("Schmidt", "Schneider", "Schulz"):
        _person(store, world, name)
    monkeypatch.setattr(search, "MAX_CANDIDATES", 2)
    opened: list[uuid.UUID] = []
    real = sealing.open_case_key
    monkeypatch.setattr(
        sealing, "open_case_key", lambda ring, case: opened.append(case.id) or real(ring, case)
    )
    assert _code(store, world, "surname", "Sch") == "search_too_broad"
    assert opened == []


def test_another_offices_cases_are_never_found(store: Store, world: World) -> None:
    mine = _person(store, world, "Nowakowski", "0171 555000")
    theirs = _person(store, world, "Nowakowski", "0171 555000", office=world.office_b)
    assert _find(store, world, "surname", "Nowa") == [mine]
    assert _find(store, world, "phone", "0171 555") == [mine]
    assert _find(store, world, "surname", "Nowa", world.bert) == [theirs]


def test_the_prefix_values_differ_between_offices(store: Store, world: World) -> None:
    """Equal names in two offices give unrelated prefix values (keys per office)."""
    mine = _person(store, world, "Nowakowski", "0171 555000")
    theirs = _person(store, world, "Nowakowski", "0171 555000", office=world.office_b)
    columns = sealing.prefix_columns()
    with store.sessions() as session:
        rows = {i.case_id: i for i in session.scalars(select(CaseIdentity))}
    one = sealing.PrefixIndexer(store.keys.blind_index_root, world.office_a)
    two = sealing.PrefixIndexer(store.keys.blind_index_root, world.office_b)
    bits = crypto.BLIND_INDEX_MIN_BITS  # a small office
    for row, indexer in ((rows[mine], one), (rows[theirs], two)):  # each with its own keys
        stored = {c: getattr(row, c) for c in columns}
        expected = {**indexer.columns("surname", "Nowakowski", bits),
                    **indexer.columns("phone", "0171 555000", bits)}  # fmt: skip
        assert stored == expected and None not in stored.values()
    # the stored values are short (2 bits each here) and may coincide by chance; the keys may not
    names = [f"Nowak{i:03d}" for i in range(50)]
    same = [n for n in names if one.columns("surname", n, 16) == two.columns("surname", n, 16)]
    assert same == []


def _dump(store: Store) -> str:
    """Every row of every table, as text: what someone with the database file reads."""
    meta = MetaData()
    meta.reflect(store.engine)
    with store.engine.connect() as conn:
        return "\n".join(
            repr(row) for table in meta.sorted_tables for row in conn.execute(select(table))
        )


def test_the_database_holds_no_prefix_in_clear(store: Store, world: World) -> None:
    _person(store, world, "Qxjwüvarn", "0157 9137531")
    with store.sessions() as session:
        (row,) = session.scalars(select(CaseIdentity))
        assert all(getattr(row, c) is not None for c in sealing.prefix_columns())
    dump = _dump(store).casefold()
    for clear in ("qxj", "qxjwu", "qxjwü", "varn", "01579", "0157 9", "9137531"):
        assert clear not in dump, clear


def test_the_index_follows_edit_removal_and_erasure(store: Store, world: World) -> None:
    case_id = _person(store, world, "Müller", "0171 2345678")
    with store.sessions() as session:
        person_id = session.scalars(select(CaseIdentity.person_id)).one()
    with store.sessions() as session, session.begin():
        entries.save_person(
            session, world.alice, store.keys, case_id, version_of(store, case_id),
            Person(role="betroffen_ratsuchend"), Identity(surname="Schmidt", phone="030 999"),
            person_id,
        )  # fmt: skip
    assert _find(store, world, "surname", "Müll") == []
    assert _find(store, world, "phone", "0171") == []
    assert _find(store, world, "surname", "Schm") == [case_id]
    with store.sessions() as session, session.begin():
        deletion.erase_person(
            session, world.alice, store.keys, case_id, version_of(store, case_id), person_id
        )
    assert _find(store, world, "surname", "Schm") == []
    removed = _person(store, world, "Schmied")
    with store.sessions() as session:
        (person,) = [p for p in session.scalars(select(CaseIdentity)) if p.case_id == removed]
    with store.sessions() as session, session.begin():
        corrections.remove(
            session, world.alice, store.keys, removed, version_of(store, removed), "person",
            person.person_id, "falsch erfasst",
        )  # fmt: skip
    assert _find(store, world, "surname", "Schm") == []


def test_deleting_a_case_removes_its_prefix_rows(store: Store, world: World) -> None:
    case_id = _person(store, world, "Müller")
    register = Register.open(store.settings.keys_dir)
    files: Path = store.settings.data_dir / "attachments"
    version = version_of(store, case_id)
    with store.sessions() as session, session.begin():
        number = session.scalars(select(Case.case_number).where(Case.id == case_id)).one()
        deletion.delete_opened_by_mistake(
            session, world.alice, store.keys, register, files, case_id, version, number,
            "opened_by_mistake",
        )  # fmt: skip
    assert _find(store, world, "surname", "Müll") == []
    with store.sessions() as session:
        assert session.scalars(select(CaseIdentity)).all() == []


def test_the_migration_back_fills_existing_persons(store: Store, world: World) -> None:
    case_id = _person(store, world, "Müller", "0171 2345678")
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn, store.keys), "0016")
    with store.engine.begin() as conn, pytest.raises(RuntimeError, match="needs the keys"):
        command.upgrade(alembic_config(conn), "head")
    with store.engine.begin() as conn:
        command.upgrade(alembic_config(conn, store.keys), "head")
    assert _find(store, world, "surname", "Müll") == [case_id]
    assert _find(store, world, "phone", "0171 234") == [case_id]


def test_a_search_audits_the_field_and_the_disclosed_cases_never_the_term(
    store: Store, world: World
) -> None:
    found = _person(store, world, "Quappendorf")
    _person(store, world, "Quast")
    assert _find(store, world, "surname", "Quapp") == [found]
    with store.sessions() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.reason).where(
                AuditEvent.action.startswith("case.search")
            )
        ).all()
    assert sorted(events, key=str) == [
        ("case.search", None, "by_surname"),
        ("case.search_hit", str(found), "by_surname"),
    ]
    assert "quapp" not in repr(events).casefold()


def test_a_fields_prefix_indexes_together_hold_the_offices_length() -> None:
    """Short and long prefix share L bits: together no more than one exact index of L bits."""
    root = bytes(range(32))
    indexer = sealing.PrefixIndexer(root, 1)
    for bits in range(crypto.BLIND_INDEX_MIN_BITS, crypto.BLIND_INDEX_MAX_BITS + 1):
        short, long_ = sealing.split_bits(bits)
        assert short + long_ == bits and short >= long_ >= 2
        for field, value in (("surname", "Müller-Lüdenscheidt"), ("phone", "0171 2345678")):
            stored = [v for v in indexer.columns(field, value, bits).values() if v is not None]
            assert [v >> sealing.BITS_SHIFT for v in stored] == [bits, bits]
            low = (1 << sealing.BITS_SHIFT) - 1
            assert stored[0] & low < 2**short and stored[1] & low < 2**long_


def test_a_two_letter_name_is_found_whole_and_only_whole(store: Store, world: World) -> None:
    """Two letters ask the short prefix index for a name of exactly two letters: "Li" finds
    Li (indexed as it is), never Lindner (indexed under "lin")."""
    li = _person(store, world, "Li")
    lindner = _person(store, world, "Lindner")
    assert _find(store, world, "surname", " L-i ") == [li]
    assert _find(store, world, "surname", "Lin") == [lindner]
