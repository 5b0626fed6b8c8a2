"""Deleting a case before its time: opened by mistake, or erased on the person's request
(GDPR Art. 17), and erasing one person's data from a case (issue 13).

Imports SQLAlchemy, ``auth``, ``keyfiles`` and the case room's modules. The deletion itself is
``cases.erasure.erase_case`` (crypto-shredding, register, deletion record); this module
decides whether: ``case:write`` and the office, the form's version, no legal hold, the typed
case number as the second confirmation, a reason from a short list of codes (the deletion
record must hold no personal data, so there is no free text). A case opened by mistake
never happened: its statistical record goes too. An erasure on request keeps the record (it
is anonymous, and the person's data is gone with the key). The step-up (a fresh two-factor
code) is checked by the caller before (``web.case_rights``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.cases import access, history, statistics
from fallstelle.cases.erasure import Erasure, Register, erase_case
from fallstelle.cases.errors import Invalid
from fallstelle.cases.sections import Person
from fallstelle.cases.service import open_for_write
from fallstelle.keyfiles import KeyMaterial

MISTAKE_REASONS = ("opened_by_mistake", "duplicate", "wrong_office")
REQUEST_REASONS = ("art17_request",)


def _checked(
    session: Session, actor: Actor, keys: KeyMaterial, case_id: uuid.UUID, version: int,
    typed_number: str, reason: str, reasons: tuple[str, ...],
) -> str:  # fmt: skip
    work = open_for_write(session, actor, keys, case_id, version, "case.delete")
    if reason not in reasons:
        raise Invalid("reason", "choice")
    if typed_number.strip() != work.case.case_number:
        raise Invalid("case_number", "mismatch")
    if work.details.legal_hold:
        access.audit(session, actor, "case.delete", str(case_id), outcome="denied",
                     reason="legal_hold")  # fmt: skip
        raise Invalid("reason", "legal_hold")
    return work.details.stat_record_id


def delete_opened_by_mistake(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    register: Register,
    attachments_dir: Path,
    case_id: uuid.UUID,
    version: int,
    typed_number: str,
    reason: str,
) -> Erasure:
    """Delete a case that should never have been opened, and its statistical record.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict.
        Invalid: ``reason`` not one of ``MISTAKE_REASONS`` (``choice``); the typed case
            number is not the case's (``case_number``: ``mismatch``); a legal hold.
    """
    record_id = _checked(session, actor, keys, case_id, version, typed_number, reason,
                         MISTAKE_REASONS)  # fmt: skip
    statistics.drop(session, record_id)
    return erase_case(session, keys, register, attachments_dir, case_id, rule="early_deletion",
                      reason=reason, actor=actor)  # fmt: skip


def erase_on_request(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    register: Register,
    attachments_dir: Path,
    case_id: uuid.UUID,
    version: int,
    typed_number: str,
) -> Erasure:
    """Erase a whole case because the person asked (Art. 17); the anonymous record stays.

    The caller has checked a fresh two-factor code.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid (typed number, legal hold).
    """
    _checked(session, actor, keys, case_id, version, typed_number, "art17_request",
             REQUEST_REASONS)  # fmt: skip
    return erase_case(session, keys, register, attachments_dir, case_id, rule="request",
                      reason="art17_request", actor=actor)  # fmt: skip


def erase_person(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    person_id: uuid.UUID,
) -> None:
    """Erase one person's identifying data and self-description from a case (Art. 17),
    together with the history rows that hold it; the person's pseudonymous role stays.

    The caller has checked a fresh two-factor code.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid (not a person of this case).
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.erase_person")
    person = work.entry(person_id, "person").data
    assert isinstance(person, Person)  # noqa: S101 - entry() checked the kind
    work.remove_identity(person_id)
    person.gender_text = ""
    work.put(person, person_id)
    work.before = None  # the history must not keep what is being erased
    history.forget_person(session, work.cipher, person_id)
    work.save(actor)
    access.audit(session, actor, "case.erase_person", str(case_id), reason="art17_request")
