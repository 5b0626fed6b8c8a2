"""A case is bound to its office and counsellors: a database write alone hands it to nobody.

The adversary of issue 11 can write the database but has no keys (a PostgreSQL
administrator, a modified SQLite file put back). Moving a case to another office, changing its
lead counsellor or adding a co-counsellor row must give the new office's counsellor a clear
refusal, never the plaintext; a legitimate hand-over (``set_counsellors``) re-wraps the key.
"""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import select, text, update

from fallstelle import crypto
from fallstelle.audit.models import AuditEvent
from fallstelle.cases import attachments, sealing, search, service
from fallstelle.cases.errors import NotAllowed
from fallstelle.cases.models import Case, CaseCounsellor
from fallstelle.store import Store, alembic_config
from tests.cases.factories import World, create, short_form, version_of


def _db_write(store: Store, case_id: uuid.UUID, **values: object) -> None:
    """What the adversary does: a plain UPDATE past the application, no keys involved."""
    with store.engine.begin() as conn:
        conn.execute(update(Case).where(Case.id == case_id).values(**values))


def _denied_binding(store: Store, actor_id: str | None) -> list[str]:
    with store.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.actor_id == actor_id, AuditEvent.reason == "binding"
                )
            )
        )


def test_moving_a_case_to_another_office_by_a_database_write_shows_nothing(
    store: Store, world: World
) -> None:
    case_id, _ = create(store, world.alice)
    _db_write(store, case_id, office_id=world.office_b)
    with store.sessions() as session:
        with pytest.raises(NotAllowed):
            service.get_case(session, world.bert, store.keys, case_id)
        # the search of the new office neither finds nor decrypts it
        assert search.search_person(session, world.bert, store.keys, "surname", "Yilmaz") == []
        with pytest.raises(NotAllowed):
            attachments.read(session, world.bert, store.keys, store.settings.data_dir,
                             case_id, uuid.uuid4())  # fmt: skip
        session.commit()  # refusals are audited
    assert _denied_binding(store, world.bert.user_id) == ["case.read", "case.attachment"]
    # moving it back (what the administrator does after the alarm) restores the case
    _db_write(store, case_id, office_id=world.office_a)
    with store.sessions() as session:
        view = service.get_case(session, world.alice, store.keys, case_id)
        assert view.identities and next(iter(view.identities.values())).surname == "Yilmaz"


def test_changing_the_lead_counsellor_by_a_database_write_shows_nothing(
    store: Store, world: World
) -> None:
    case_id, version = create(store, world.olga, office_id=world.own_office)
    _db_write(store, case_id, lead_counsellor_id=world.otto.user_id)
    with store.sessions() as session:
        with pytest.raises(NotAllowed):
            service.get_case(session, world.otto, store.keys, case_id)
        with pytest.raises(NotAllowed):
            service.update_details(
                session, world.otto, store.keys, case_id, version, short_form(1).details
            )


def test_adding_a_co_counsellor_row_by_a_database_write_shows_nothing(
    store: Store, world: World
) -> None:
    case_id, _ = create(store, world.olga, office_id=world.own_office)
    with store.engine.begin() as conn:
        conn.execute(
            CaseCounsellor.__table__.insert().values(
                case_id=case_id, user_id=world.otto.user_id, share=0
            )
        )
    with store.sessions() as session, pytest.raises(NotAllowed):
        service.get_case(session, world.otto, store.keys, case_id)


def test_a_hand_over_through_the_application_rewraps_the_key(store: Store, world: World) -> None:
    case_id, version = create(store, world.olga, office_id=world.own_office)
    with store.sessions() as session, session.begin():
        service.set_counsellors(
            session, world.olga, store.keys, case_id, version, world.otto.user_id,
            {world.olga.user_id: 30},
        )  # fmt: skip
    with store.sessions() as session:
        assert service.get_case(session, world.otto, store.keys, case_id).case.version > version
        assert service.get_case(session, world.olga, store.keys, case_id)
    # the shares decide no access: changing only a share needs no re-wrap, and still opens
    with store.sessions() as session, session.begin():
        service.set_counsellors(
            session, world.otto, store.keys, case_id, version_of(store, case_id),
            world.otto.user_id, {world.olga.user_id: 70},
        )  # fmt: skip
    with store.sessions() as session:
        assert service.get_case(session, world.olga, store.keys, case_id)


def test_an_old_format_key_put_back_is_refused(store: Store, world: World) -> None:
    """A format-1 key binds no office: accepting it would undo the binding (downgrade)."""
    case_id, _ = create(store, world.alice)
    with store.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        dek = sealing.open_case_key(store.keys.keyring, case).dek
    legacy = store.keys.keyring.wrap_dek(dek, case_id=case_id)
    _db_write(store, case_id, dek_wrapped=legacy, office_id=world.office_b)
    with store.sessions() as session, pytest.raises(NotAllowed):
        service.get_case(session, world.bert, store.keys, case_id)


def test_rewrap_case_key_rotates_to_another_kek_and_keeps_the_binding(
    store: Store, world: World
) -> None:
    case_id, _ = create(store, world.alice)
    new_kid = crypto.new_kid()
    ring = crypto.Keyring(
        keks={**store.keys.keyring.keks, new_kid: crypto.new_key()}, primary=new_kid
    )
    with store.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        binding = sealing.binding_of(case)
        dek = sealing.open_case_key(store.keys.keyring, case).dek
        rotated = sealing.rewrap_case_key(ring, binding, case.dek_wrapped, new_kid)
        assert crypto.Keyring.kid_of(rotated) == new_kid and rotated[0] == crypto.FORMAT_V2
        case.dek_wrapped = rotated
        assert sealing.open_case_key(ring, case).dek == dek
        session.rollback()


def test_the_raw_rows_name_format_two(store: Store, world: World) -> None:
    case_id, _ = create(store, world.alice)
    with store.engine.connect() as conn:
        (wrapped,) = conn.execute(
            text("SELECT dek_wrapped FROM cases WHERE id = :id"),
            {"id": case_id.hex if store.settings.is_sqlite else case_id},
        ).one()
    assert bytes(wrapped)[0] == crypto.FORMAT_V2


def test_migration_0013_rewraps_old_keys_and_reindexes_per_office(
    store: Store, world: World
) -> None:
    case_id, _ = create(store, world.alice)
    with store.engine.begin() as conn:  # back to the old format, as 0012 left the rows
        command.downgrade(alembic_config(conn, store.keys), "0012")
    with store.engine.connect() as conn:
        (wrapped,) = conn.execute(select(Case.dek_wrapped).where(Case.id == case_id)).one()
    assert bytes(wrapped)[0] == crypto.FORMAT_V1
    with store.engine.begin() as conn, pytest.raises(RuntimeError, match="needs the keys"):
        command.upgrade(alembic_config(conn), "head")  # no keys: refused, nothing written
    with store.engine.begin() as conn:
        command.upgrade(alembic_config(conn, store.keys), "head")
    with store.sessions() as session:
        assert service.get_case(session, world.alice, store.keys, case_id).identities
        (hit,) = search.search_person(session, world.alice, store.keys, "surname", "Yilmaz")
        assert hit.id == case_id
    _db_write(store, case_id, office_id=world.office_b)
    with store.sessions() as session, pytest.raises(NotAllowed):
        service.get_case(session, world.bert, store.keys, case_id)
