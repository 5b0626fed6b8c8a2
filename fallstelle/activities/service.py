"""Use-cases of an office's non-case work: add, change, delete and list activities.

Imports SQLAlchemy, ``audit``, ``auth`` and the case room's models and vocabulary.
Counsellors of the office write; counsellors and the office's management (every office in
``actor.report_offices``) read, for the funding report. Writes and refusals are audited
(``activity.create`` / ``activity.update`` / ``activity.delete``); reads are not, as an
activity holds no personal data. Flush only; the caller commits. An activity of another
office is :class:`ActivityNotFound`, exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from fallstelle.activities.models import TITLE_MAX, OfficeActivity
from fallstelle.audit import record
from fallstelle.auth.actor import Actor
from fallstelle.auth.errors import Conflict, Invalid, NotAllowed
from fallstelle.auth.permissions import Permission
from fallstelle.catalogue import vocab
from fallstelle.clock import EARLIEST, today
from fallstelle.db import utcnow
from fallstelle.errors import FallstelleError

VOCABULARY = "aktivitaet"
MAX_PARTICIPANTS = 100_000


class ActivityNotFound(FallstelleError, LookupError):
    """No such activity, or one of an office the actor does not belong to."""


#: The action of opening one activity's form (a read: recorded, issue 11).
READ = "activity.read"


def _audit(
    session: Session, actor: Actor, action: str, object_id: str | None, outcome: str = "ok",
    reason: str | None = None,
) -> None:  # fmt: skip
    event = actor.event(
        action, outcome=outcome, object_type="activity", object_id=object_id, reason=reason
    )
    record(session, event)


def _require_writer(session: Session, actor: Actor, office_id: int, action: str) -> None:
    if not actor.can(Permission.CASE_WRITE) or actor.is_operator:
        _audit(session, actor, action, None, "denied", "no_permission")
        raise NotAllowed(Permission.CASE_WRITE.value)
    if office_id not in actor.office_ids:
        _audit(session, actor, action, None, "denied", "other_office")
        raise NotAllowed("office")


def _check(session: Session, office_id: int, held_on: dt.date, kind: str, title: str,
           participants: int) -> str:  # fmt: skip
    if held_on < EARLIEST or held_on > today():
        raise Invalid("held_on", "date_range")
    if not vocab.load(session, office_id).known(VOCABULARY, kind):
        raise Invalid("kind", "unknown_code")
    title = title.strip()
    if not title:
        raise Invalid("title", "required")
    if len(title) > TITLE_MAX:
        raise Invalid("title", "too_long")
    if any(ord(c) < 32 or c == "\x7f" for c in title):
        raise Invalid("title", "control_chars")
    if not 0 <= participants <= MAX_PARTICIPANTS:
        raise Invalid("participants", "range")
    return title


def add_activity(
    session: Session, actor: Actor, office_id: int, held_on: dt.date, kind: str, title: str,
    participants: int,
) -> OfficeActivity:  # fmt: skip
    """Record an activity of the actor's office.

    Raises:
        NotAllowed: not a counsellor, or not of this office (audited).
        Invalid: date outside 1900…today, unknown kind, empty or over-long title,
            participants outside 0…100,000.
    """
    _require_writer(session, actor, office_id, "activity.create")
    title = _check(session, office_id, held_on, kind, title, participants)
    activity = OfficeActivity(office_id=office_id, held_on=held_on, kind=kind, title=title,
                              participants=participants)  # fmt: skip
    session.add(activity)
    session.flush()
    _audit(session, actor, "activity.create", str(activity.id))
    return activity


def get_activity(
    session: Session, actor: Actor, activity_id: int, action: str = "activity.update"
) -> OfficeActivity:
    """Return an activity the actor may change (for its edit form).

    With ``action`` :data:`READ` (the form shown, nothing changed) the read is recorded.

    Raises:
        NotAllowed: the actor may not write (no counsellor, or the operator).
        ActivityNotFound: no such activity, or one of another office.
    """
    if not actor.can(Permission.CASE_WRITE) or actor.is_operator:
        _audit(session, actor, action, str(activity_id), "denied", "no_permission")
        raise NotAllowed(Permission.CASE_WRITE.value)
    activity = session.get(OfficeActivity, activity_id)
    if activity is None or activity.office_id not in actor.office_ids:
        _audit(session, actor, action, str(activity_id), "denied", "not_visible")
        raise ActivityNotFound(str(activity_id))
    if action == READ:
        _audit(session, actor, READ, str(activity_id))
    return activity


def _writable(
    session: Session, actor: Actor, activity_id: int, version: int, action: str
) -> OfficeActivity:
    activity = get_activity(session, actor, activity_id, action)
    if activity.version != version:
        raise Conflict("activity")
    return activity


def update_activity(
    session: Session, actor: Actor, activity_id: int, version: int, held_on: dt.date,
    kind: str, title: str, participants: int,
) -> OfficeActivity:  # fmt: skip
    """Change an activity; ``version`` is the one the form was loaded with.

    Raises:
        NotAllowed, ActivityNotFound, Invalid (as ``add_activity``), Conflict (stale version).
    """
    activity = _writable(session, actor, activity_id, version, "activity.update")
    title = _check(session, activity.office_id, held_on, kind, title, participants)
    activity.held_on, activity.kind, activity.title = held_on, kind, title
    activity.participants = participants
    activity.updated_at = utcnow()
    session.flush()
    _audit(session, actor, "activity.update", str(activity.id))
    return activity


def delete_activity(session: Session, actor: Actor, activity_id: int, version: int) -> None:
    """Delete an activity.

    Raises:
        NotAllowed, ActivityNotFound, Conflict (stale version).
    """
    activity = _writable(session, actor, activity_id, version, "activity.delete")
    session.delete(activity)
    session.flush()
    _audit(session, actor, "activity.delete", str(activity_id))


def list_activities(
    session: Session, actor: Actor, office_id: int, start: dt.date, end: dt.date
) -> list[OfficeActivity]:
    """Return the office's activities held from ``start`` to ``end`` (both included), by date.

    Counsellors of the office and everyone who may report on it (management) may read.

    Raises:
        NotAllowed: neither (audited as ``activity.list`` denied).
    """
    counsellor = actor.can(Permission.CASE_READ) and office_id in actor.office_ids
    if not counsellor and office_id not in actor.report_offices:
        _audit(session, actor, "activity.list", None, "denied", "no_permission")
        raise NotAllowed(Permission.REPORT_GENERATE.value)
    # a read of the office's activities is recorded like any other read (issue 11)
    record(session, actor.event("activity.list", object_type="office", object_id=str(office_id)))
    return list(
        session.scalars(
            select(OfficeActivity)
            .where(
                OfficeActivity.office_id == office_id,
                OfficeActivity.held_on >= start,
                OfficeActivity.held_on <= end,
            )
            .order_by(OfficeActivity.held_on, OfficeActivity.id)
        )
    )
