"""A new Berichtsstand: take over a frozen office quarter's counts as they are now (issue 10).

Owns :func:`revision_preview` (what the confirmation page says) and :func:`revise`. Like
every service it takes an explicit Session and Actor, flushes and never commits. Who may:
whoever may report on the office (:func:`fallstelle.reports.service._authorise`); a refusal
is audited (``report.revise``, ``outcome=denied``). Imports SQLAlchemy's Session, ``auth``
and the ``reports`` modules :mod:`.frozen`, :mod:`.periods`, :mod:`.register`,
:mod:`.service`.

The old snapshot stays (``frozen_count_revisions``), so everything shown before remains a
sum over it (:mod:`.versions`); the next release that reads the quarter is checked against
the register with the late edits as targets of their own (:mod:`.union_check`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.reports import frozen, periods, register
from fallstelle.reports.disclosure import Policy
from fallstelle.reports.service import ReportError, _audit, _authorise


class NotFrozen(ReportError):
    """The office quarter is not frozen: there is nothing to revise."""


class NothingToRevise(ReportError):
    """The frozen counts of the quarter are the live counts: a revision would change nothing."""


@dataclass(frozen=True)
class Revision:
    """A new Berichtsstand of one office quarter."""

    office_id: int
    quarter: str
    revision: int
    changed: int  # base counts that differ from the old snapshot
    frozen_at: dt.datetime  # when the snapshot that later releases read was taken


def revision_preview(session: Session, actor: Actor, office_id: int, quarter: str) -> Revision:
    """What :func:`revise` would do (for the confirmation step): nothing is changed.

    Raises:
        NotAllowed, BadPeriod, NotFrozen: as :func:`revise`.
    """
    _authorise(session, actor, [office_id], "report.revise")
    when = periods.parse(quarter)
    if when.kind != "Q":
        raise periods.BadPeriod(quarter)
    info = next((i for i in frozen.frozen_quarters(session, [office_id]) if i.quarter == quarter),
                None)  # fmt: skip
    if info is None:
        raise NotFrozen(f"{quarter} is not frozen")
    changed = frozen.changes(session, office_id, quarter)
    return Revision(office_id, quarter, info.revision, changed, info.frozen_at)


def revise(
    session: Session, actor: Actor, office_id: int, quarter: str, policy: Policy | None = None
) -> Revision:
    """Take a new Berichtsstand of a frozen office quarter: its counts as they are now.

    The old snapshot stays (register entries made before read it); the next release that
    reads the quarter is checked against the register with the late edits (new − old per
    base cell) as targets of their own, so it hides more or is refused (:mod:`.protect`).
    Recorded in the register (kind ``revision``, no numbers) and audited (``report.revise``).

    Raises:
        NotAllowed: the actor may not report on the office.
        BadPeriod: not a quarter.
        NotFrozen: the quarter is not frozen.
        NothingToRevise: no count of the quarter changed since it was frozen.
    """
    planned = revision_preview(session, actor, office_id, quarter)
    if planned.changed == 0:
        raise NothingToRevise(f"{quarter}: no change since it was frozen")
    new = frozen.revise(session, actor.user_id, office_id, quarter)
    register.record(session, shown=[], kind="revision", actor_id=actor.user_id,
                    actor_role=actor.audit_role, period=quarter, office_ids=(office_id,),
                    template="", k=(policy or Policy()).k)  # fmt: skip
    _audit(session, actor, "report.revise", "frozen_quarter", f"{office_id}:{quarter}:{new}")
    info = next(i for i in frozen.frozen_quarters(session, [office_id]) if i.quarter == quarter)
    return Revision(office_id, quarter, new, planned.changed, info.frozen_at)
