"""Who may open which case, at service level: roles, offices and the "own" policy."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.auth.actor import Actor
from fallstelle.cases import entries, listing, queries, search, service
from fallstelle.cases.errors import CaseNotFound, NotAllowed
from fallstelle.cases.sections import Contact
from fallstelle.store import Store
from tests.cases.factories import OPENED, World, create, short_form


@pytest.mark.parametrize("who", ["manager", "auditor", "admin"])
def test_management_auditor_and_admin_never_open_a_case(
    store: Store, world: World, who: str
) -> None:
    actor: Actor = getattr(world, who)
    case_id, version = create(store, world.alice)
    with store.sessions() as session:
        with pytest.raises(NotAllowed):
            service.get_case(session, actor, store.keys, case_id)
        with pytest.raises(NotAllowed):
            listing.list_cases(session, actor)
        with pytest.raises(NotAllowed):
            search.search_person(session, actor, store.keys, "surname", "Yilmaz")
        with pytest.raises(NotAllowed):
            service.create_case(session, actor, store.keys, short_form(world.office_a))
        with pytest.raises(NotAllowed):
            entries.add_contact(
                session, actor, store.keys, case_id, version,
                Contact(on=OPENED, channel="telefon"),
            )  # fmt: skip
        session.commit()  # the refusals are access decisions: they are audited
    with store.sessions() as session:
        denied = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.outcome == "denied", AuditEvent.actor_id == actor.user_id
            )
        ).all()
    assert sorted(denied) == [
        "case.create", "case.list", "case.read", "case.search", "case.update",
    ]  # fmt: skip


def test_a_counsellor_of_another_office_gets_not_found(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    with store.sessions() as session:
        with pytest.raises(CaseNotFound):
            service.get_case(session, world.bert, store.keys, case_id)
        with pytest.raises(CaseNotFound):  # the same answer as for no case at all
            service.get_case(session, world.bert, store.keys, uuid.uuid4())
        with pytest.raises(CaseNotFound):
            service.update_details(
                session, world.bert, store.keys, case_id, version, short_form(1).details
            )
        assert listing.list_cases(session, world.bert).total == 0
        assert queries.find_by_number(session, world.bert, "2026-0001") == []
        assert search.search_person(session, world.bert, store.keys, "surname", "Yilmaz") == []
        with pytest.raises(NotAllowed):
            service.create_case(session, world.bert, store.keys, short_form(world.office_a))


def test_office_policy_lets_colleagues_see_every_case(store: Store, world: World) -> None:
    case_id, _ = create(store, world.alice)
    with store.sessions() as session:
        assert service.get_case(session, world.anton, store.keys, case_id).case.id == case_id
        assert listing.list_cases(session, world.anton).total == 1


def test_own_policy_shows_only_led_or_shared_cases(store: Store, world: World) -> None:
    mine, _ = create(store, world.olga)
    shared_form = short_form(world.own_office)
    shared_form.co_counsellor_ids = [world.otto.user_id or ""]
    shared, _ = create(store, world.olga, shared_form)
    with store.sessions() as session:
        with pytest.raises(CaseNotFound):
            service.get_case(session, world.otto, store.keys, mine)
        assert service.get_case(session, world.otto, store.keys, shared).case.id == shared
        assert [c.id for c in listing.list_cases(session, world.otto).items] == [shared]
        assert listing.list_cases(session, world.olga).total == 2
        found = search.search_person(session, world.otto, store.keys, "surname", "yilmaz")
        assert [c.id for c in found] == [shared]
