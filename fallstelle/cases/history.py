"""The change history of a case: who changed which section when, before and after.

Imports SQLAlchemy, ``auth``, and the case room's models, payload and sealing. ``CaseWork``
takes a :class:`Snapshot` of every section when it opens a case and, on save, writes one
``case_changes`` row per section that was added, changed or removed (:func:`record`): only
the fields that differ, before and after, and the reason of a removal — sealed with the
case's data key (Primero's record history; CiviCRM's activity revisions). The history is
therefore readable by whoever may read the case and goes with the case's key when the case
is deleted. Removing a person's identifying data at the end of its period removes the
history rows that hold it too (:func:`forget_identities`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access, payload, sealing
from fallstelle.cases.models import CaseChange
from fallstelle.cases.sections import CaseDetails
from fallstelle.db import as_utc, utcnow
from fallstelle.keyfiles import KeyMaterial

TABLE = "case_changes"
#: Details fields the workflow sets itself (the status history is shown on the case page).
_DERIVED = ("history", "stat_record_id")


@dataclass
class ChangePayload:
    """The encrypted part of a history row."""

    entry_id: str = ""
    before: str = "{}"  # JSON of the changed fields' old values
    after: str = "{}"
    reason: str = ""


@dataclass
class Change:
    """One row of the history as a counsellor sees it."""

    at: dt.datetime
    actor_id: str | None
    section: str
    action: str
    entry_id: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str


@dataclass
class Snapshot:
    """Every section of a case as JSON values, keyed by (section, id)."""

    sections: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


def as_values(obj: object) -> dict[str, Any]:
    values: dict[str, Any] = json.loads(payload.dump(obj))
    return values


def details_values(details: CaseDetails) -> dict[str, Any]:
    values = as_values(details)
    for name in _DERIVED:
        values.pop(name, None)
    return values


def _diff(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    old, new = before or {}, after or {}
    names = [n for n in sorted(set(old) | set(new)) if old.get(n) != new.get(n)]
    return {n: old.get(n) for n in names if n in old}, {n: new.get(n) for n in names if n in new}


def record(
    session: Session,
    cipher: sealing.CaseCipher,
    actor: Actor,
    before: Snapshot,
    after: Snapshot,
    reason: str = "",
) -> int:
    """Write one history row per section that differs between two snapshots; return how many."""
    written = 0
    for key in sorted(set(before.sections) | set(after.sections)):
        old, new = before.sections.get(key), after.sections.get(key)
        if old == new:
            continue
        action = "add" if old is None else "remove" if new is None else "change"
        was, now = _diff(old, new)
        row = CaseChange(
            id=uuid.uuid4(), case_id=cipher.case_id, at=utcnow(), actor_id=actor.user_id,
            section=key[0], action=action, payload=b"",
        )  # fmt: skip
        row.payload = cipher.seal(
            TABLE,
            str(row.id),
            ChangePayload(
                entry_id=key[1],
                before=json.dumps(was, ensure_ascii=False, sort_keys=True),
                after=json.dumps(now, ensure_ascii=False, sort_keys=True),
                reason=reason if action == "remove" else "",
            ),
        )
        session.add(row)
        written += 1
    return written


def read(session: Session, cipher: sealing.CaseCipher) -> list[Change]:
    """Decrypt the history of a case, newest first."""
    rows = session.scalars(
        select(CaseChange)
        .where(CaseChange.case_id == cipher.case_id)
        .order_by(CaseChange.at.desc(), CaseChange.id)
    )
    changes = []
    for row in rows:
        data = cipher.open(ChangePayload, TABLE, str(row.id), row.payload)
        changes.append(
            Change(
                at=as_utc(row.at), actor_id=row.actor_id, section=row.section,
                action=row.action, entry_id=data.entry_id, before=json.loads(data.before),
                after=json.loads(data.after), reason=data.reason,
            )
        )  # fmt: skip
    return changes


def forget_identities(session: Session, case_id: uuid.UUID) -> int:
    """Delete the history rows that may hold identifying data of this case (identities, and
    persons for their gender self-description); return how many."""
    done = session.execute(
        delete(CaseChange).where(
            CaseChange.case_id == case_id, CaseChange.section.in_(("identity", "person"))
        )
    )
    return int(getattr(done, "rowcount", 0) or 0)


def forget_person(session: Session, cipher: sealing.CaseCipher, person_id: uuid.UUID) -> int:
    """Delete the history rows of one person (identifying data and attributes)."""
    rows = session.scalars(
        select(CaseChange).where(
            CaseChange.case_id == cipher.case_id, CaseChange.section.in_(("identity", "person"))
        )
    )
    gone = 0
    for row in list(rows):
        data = cipher.open(ChangePayload, TABLE, str(row.id), row.payload)
        if data.entry_id == str(person_id):
            session.delete(row)
            gone += 1
    return gone


def case_history(
    session: Session, actor: Actor, keys: KeyMaterial, case_id: uuid.UUID
) -> list[Change]:
    """Return the change history of a case for its counsellors; record the read.

    Raises:
        NotAllowed: the actor may not read cases.
        CaseNotFound: no such case, or not visible to the actor.
    """
    case = access.require_case(session, actor, Permission.CASE_READ, case_id, "case.history")
    cipher = sealing.open_case_key(keys.keyring, case)
    changes = read(session, cipher)
    access.audit(session, actor, "case.history", str(case.id))
    return changes
