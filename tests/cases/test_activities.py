"""Non-case work of an office: who may write and read, versions, the period filter."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from fallstelle.activities import service as activities
from fallstelle.audit.models import AuditEvent
from fallstelle.auth.errors import Conflict
from fallstelle.cases.errors import Invalid, NotAllowed
from fallstelle.store import Store
from tests.cases.factories import World

DAY = dt.date(2026, 3, 10)


def add(store: Store, world: World, on: dt.date = DAY, kind: str = "workshop") -> tuple[int, int]:
    with store.sessions() as session, session.begin():
        activity = activities.add_activity(
            session, world.alice, world.office_a, on, kind, "Workshop Diskriminierung im Job", 18
        )
        return activity.id, activity.version


def test_counsellors_write_and_management_reads_by_period(store: Store, world: World) -> None:
    add(store, world, dt.date(2025, 12, 31))
    add(store, world, dt.date(2026, 1, 1), "netzwerktreffen")
    add(store, world, dt.date(2026, 6, 30), "kampagne")
    add(store, world, dt.date(2026, 7, 1))
    with store.sessions() as session:
        found = activities.list_activities(
            session, world.manager, world.office_a, dt.date(2026, 1, 1), dt.date(2026, 6, 30)
        )
        assert [(a.held_on.month, a.kind) for a in found] == [
            (1, "netzwerktreffen"),
            (6, "kampagne"),
        ]
        mine = activities.list_activities(
            session, world.anton, world.office_a, dt.date(2025, 1, 1), dt.date(2026, 12, 31)
        )
        assert len(mine) == 4
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "activity")
        )
        assert list(actions) == ["activity.create"] * 4


@pytest.mark.parametrize("who", ["bert", "manager", "auditor", "admin"])
def test_only_counsellors_of_the_office_write(store: Store, world: World, who: str) -> None:
    with store.sessions() as session:
        with pytest.raises(NotAllowed):
            activities.add_activity(
                session, getattr(world, who), world.office_a, DAY, "workshop", "X", 1
            )
        session.commit()
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "activity.create")
        ).one()
        assert event.outcome == "denied"


@pytest.mark.parametrize("who", ["bert", "auditor", "admin"])
def test_others_do_not_read(store: Store, world: World, who: str) -> None:
    with store.sessions() as session, pytest.raises(NotAllowed):
        activities.list_activities(session, getattr(world, who), world.office_a, DAY, DAY)


def test_update_checks_the_version_and_delete_hides_other_offices(
    store: Store, world: World
) -> None:
    activity_id, version = add(store, world)
    with store.sessions() as session, session.begin():
        changed = activities.update_activity(
            session, world.anton, activity_id, version, DAY, "vortrag", "Infostand Stadtfest", 120
        )
        assert (changed.kind, changed.participants, changed.version) == (
            "vortrag",
            120,
            version + 1,
        )
    with store.sessions() as session:
        with pytest.raises(Conflict):
            activities.update_activity(
                session, world.alice, activity_id, version, DAY, "vortrag", "Y", 1
            )
        with pytest.raises(activities.ActivityNotFound):
            activities.delete_activity(session, world.bert, activity_id, version + 1)
    with store.sessions() as session, session.begin():
        activities.delete_activity(session, world.alice, activity_id, version + 1)
    with store.sessions() as session:
        assert activities.list_activities(session, world.alice, world.office_a, DAY, DAY) == []


@pytest.mark.parametrize(
    ("on", "kind", "title", "participants", "field"),
    [
        (dt.date(1899, 12, 31), "workshop", "X", 1, "held_on"),
        (dt.date(2999, 1, 1), "workshop", "X", 1, "held_on"),
        (DAY, "erfunden", "X", 1, "kind"),
        (DAY, "workshop", " ", 1, "title"),
        (DAY, "workshop", "x" * 121, 1, "title"),
        (DAY, "workshop", "X", -1, "participants"),
    ],
)
def test_bad_input_is_refused(
    store: Store, world: World, on: dt.date, kind: str, title: str, participants: int, field: str
) -> None:
    with store.sessions() as session, pytest.raises(Invalid) as invalid:
        activities.add_activity(session, world.alice, world.office_a, on, kind, title, participants)
    assert invalid.value.field == field


def test_reads_of_the_activities_are_recorded(store: Store, world: World) -> None:
    activity_id, _ = add(store, world)
    with store.sessions() as session, session.begin():
        activities.list_activities(session, world.manager, world.office_a, DAY, DAY)
        activities.get_activity(session, world.anton, activity_id, activities.READ)
    with store.sessions() as session:
        reads = session.execute(
            select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.object_type,
                   AuditEvent.object_id).where(AuditEvent.action.in_(
                       ["activity.list", "activity.read"]))
        ).all()  # fmt: skip
    assert sorted(reads, key=str) == sorted([
        ("activity.list", world.manager.user_id, "office", str(world.office_a)),
        ("activity.read", world.anton.user_id, "activity", str(activity_id)),
    ], key=str)  # fmt: skip
