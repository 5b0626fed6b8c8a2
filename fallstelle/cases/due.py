"""What is due: the counsellor's task list on the home page (issue 14).

Imports SQLAlchemy, ``keyfiles``, ``auth`` and the case room's modules. The clear columns say
*that* a case has a deadline or follow-up due (``next_deadline_on``, ``next_follow_up_on``);
*which* rule and what the note says is encrypted, so the cases the dashboard found due are
opened here — only their deadline and follow-up entries, in one query, nothing about the
persons — and each opening is recorded as a read (``case.read``, reason ``due_list``) like any
other, in the same transaction, before the page leaves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fallstelle.auth.actor import Actor
from fallstelle.cases import access, sealing
from fallstelle.cases.errors import CaseKeyRefused
from fallstelle.cases.models import Case, CaseEntry
from fallstelle.cases.queries import SOON_DAYS, CaseSummary, Dashboard
from fallstelle.cases.sections import KINDS, Deadline, FollowUp
from fallstelle.keyfiles import KeyMaterial

MAX_CASES = 25  # a task list, not a report: beyond this the case list's filter "overdue" helps


@dataclass(frozen=True)
class DueItem:
    """One task: a deadline (``text`` = rule code) or a follow-up (``text`` = its note).

    A follow-up also carries who gave it to the actor (``assigned_by``, empty when nobody
    did or the actor gave it to themself) and the case's counsellors, to hand it on.
    """

    case: CaseSummary
    kind: str
    entry_id: uuid.UUID
    due_on: dt.date
    text: str
    assigned_by: str = ""
    counsellors: tuple[str, ...] = ()

    def overdue(self, on: dt.date) -> bool:
        return self.due_on < on


def _urgency(case: CaseSummary) -> tuple[dt.date, str]:
    dates = [d for d in (case.next_deadline_on, case.next_follow_up_on) if d is not None]
    return (min(dates) if dates else dt.date.max, case.case_number)


def responsible(case: Case, follow_up: FollowUp) -> str:
    """Whose task list shows the follow-up: its assignee while they are a counsellor of the
    case, else the case's lead."""
    if follow_up.assignee_id and follow_up.assignee_id in case.counsellor_ids:
        return follow_up.assignee_id
    return case.lead_counsellor_id


def due_items(
    session: Session, actor: Actor, keys: KeyMaterial, board: Dashboard, on: dt.date
) -> list[DueItem]:
    """Return the open deadlines of the next 14 days and the follow-ups due of the board's
    cases, overdue first, then by date. A follow-up shows only to the counsellor it is
    given to (:func:`responsible`); the case's deadlines show to all its counsellors.

    Raises:
        NotAllowed: the actor may not read cases.
    """
    wanted = {s.id: s for s in [*board.deadlines, *board.follow_ups]}
    ids = sorted(wanted, key=lambda i: _urgency(wanted[i]))[:MAX_CASES]  # the most urgent
    if not ids:
        return []
    cases = {
        c.id: c
        for c in session.scalars(
            select(Case)
            .where(Case.id.in_(ids), access.visible_clause(actor))
            .options(selectinload(Case.co_counsellors))
        )
    }
    rows = session.scalars(
        select(CaseEntry).where(
            CaseEntry.case_id.in_(list(cases)), CaseEntry.kind.in_(("deadline", "follow_up"))
        )
    )
    ciphers = {}
    refused: set[uuid.UUID] = set()
    items: list[DueItem] = []
    soon = on + dt.timedelta(days=SOON_DAYS)
    for row in rows:
        case = cases[row.case_id]
        if case.id in refused:
            continue
        if case.id not in ciphers:
            try:
                ciphers[case.id] = sealing.open_case_key(keys.keyring, case)
            except CaseKeyRefused:  # moved by a database write: never disclosed
                refused.add(case.id)
                continue
        data = ciphers[case.id].open(
            KINDS[row.kind], sealing.ENTRIES, sealing.entry_row_id(row.kind, row.id), row.payload
        )
        if isinstance(data, Deadline) and data.open and data.due_on and data.due_on <= soon:
            items.append(DueItem(wanted[case.id], "deadline", row.id, data.due_on, data.rule_code))
        elif isinstance(data, FollowUp) and not data.done_on and data.due_on and data.due_on <= on:
            if responsible(case, data) != actor.user_id:
                continue
            given = data.assignee_id == actor.user_id != data.assigned_by_id
            by = data.assigned_by_id if given else ""
            items.append(DueItem(
                wanted[case.id], "follow_up", row.id, data.due_on, data.note, by,
                tuple(sorted(case.counsellor_ids)),
            ))  # fmt: skip
    for case_id in ciphers:
        access.audit(session, actor, "case.read", str(case_id), reason="due_list")
    return sorted(items, key=lambda i: (i.due_on, i.case.case_number))
