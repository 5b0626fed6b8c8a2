"""Plain factories for case tests: two offices, users in every role, and short-form cases."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Role
from fallstelle.cases import service
from fallstelle.cases.models import Case
from fallstelle.cases.sections import CaseDetails, Identity, Incident, Person
from fallstelle.db import utcnow
from fallstelle.keyfiles import KeyMaterial
from fallstelle.store import Store
from tests.auth.factories import make_office

OPENED = dt.date(2026, 1, 15)


def make_actor(session: Session, username: str, roles: list[Role], offices: list[int]) -> Actor:
    user, _token = accounts.create_user(
        session, Actor.operator(), utcnow(), username, username.title(), roles, offices
    )
    return Actor.for_user(user.id, frozenset(roles), frozenset(offices))


@dataclass
class World:
    office_a: int
    office_b: int
    own_office: int  # case_visibility "own"
    alice: Actor  # counsellor, office A
    anton: Actor  # counsellor, office A
    bert: Actor  # counsellor, office B
    olga: Actor  # counsellor, "own" office
    otto: Actor  # counsellor, "own" office
    manager: Actor
    auditor: Actor
    admin: Actor


def make_world(store: Store) -> World:
    with store.sessions() as session, session.begin():
        a = make_office(session, "OFA").id
        b = make_office(session, "OFB").id
        own = make_office(session, "OWN", case_visibility="own").id
        c = Role.COUNSELLOR
        return World(
            a,
            b,
            own,
            make_actor(session, "alice", [c], [a]),
            make_actor(session, "anton", [c], [a]),
            make_actor(session, "bert", [c], [b]),
            make_actor(session, "olga", [c], [own]),
            make_actor(session, "otto", [c], [own]),
            make_actor(session, "mara", [Role.MANAGEMENT], [a]),
            make_actor(session, "dora", [Role.AUDITOR], []),
            make_actor(session, "adam", [Role.ADMIN], [a]),
        )


def short_form(office_id: int, **details: object) -> service.NewCase:
    return service.NewCase(
        office_id=office_id,
        opened_on=OPENED,
        details=CaseDetails(request_type="beratungsfall", narrative="Erstgespräch", **details),  # type: ignore[arg-type]
        person=Person(role="betroffen_ratsuchend", age_band="27_44", gender="weiblich",
                      kreis="05116"),
        identity=Identity(first_name="Aylin", surname="Yilmaz", phone="0171 2345678",
                          email="aylin@example.org"),
        incident=Incident(
            date_from=dt.date(2026, 1, 5),
            knowledge_date=dt.date(2026, 1, 5),
            rejection_received_on=dt.date(2026, 1, 10),
            kreis="05116",
            grounds=["rassismus_herkunft.antimuslimisch", "religion_weltanschauung.islam"],
            life_domains=["arbeit.zugang"],
            forms=["zugang_verwehrt"],
            actor_type="arbeitgeber",
            actor_institution="Spedition Beispiel GmbH",
        ),
    )  # fmt: skip


def create(
    store: Store, actor: Actor, new: service.NewCase | None = None, office_id: int | None = None
) -> tuple[uuid.UUID, int]:
    """Create and commit a case; return its id and version."""
    with store.sessions() as session, session.begin():
        office = office_id if office_id is not None else sorted(actor.office_ids)[0]
        case = service.create_case(session, actor, store.keys, new or short_form(office))
        return case.id, case.version


def version_of(store: Store, case_id: uuid.UUID) -> int:
    with store.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.version


def keys(store: Store) -> KeyMaterial:
    return store.keys
