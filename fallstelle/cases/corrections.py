"""Correcting and removing what was entered on a case (GDPR Art. 16, 17; issue 13).

Imports SQLAlchemy, ``keyfiles``, ``auth`` and the case room's modules. Same contract as
``cases.entries``: explicit session, actor and keys; ``case:write`` and the office checked;
the form's case version checked; one audit event; flush only. Every change goes through
``CaseWork.save``, so the change history (``cases.history``: who, when, which section, before
and after, encrypted), the statistical record, its counts and the clear workflow columns
follow in the same transaction. A removal needs a short reason; it is kept, encrypted, in
the history, never in the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.cases import access, attachments
from fallstelle.cases.errors import Invalid
from fallstelle.cases.models import Case
from fallstelle.cases.sections import (
    KINDS,
    Attachment,
    Consent,
    Deadline,
    Entry,
    Identity,
    Intervention,
)
from fallstelle.cases.service import open_for_write
from fallstelle.cases.work import CaseWork
from fallstelle.keyfiles import KeyMaterial

MAX_REASON = 500


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise Invalid("reason", "required")
    if len(text) > MAX_REASON:
        raise Invalid("reason", "too_long")
    return text


def correct(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    entry_id: uuid.UUID,
    data: Entry,
    identity: Identity | None = None,
) -> Case:
    """Replace an entry with its corrected values (a person's identifying data with it:
    ``identity`` empty in every field removes it).

    Raises:
        NotAllowed, CaseNotFound, CaseConflict.
        Invalid: the values break a rule, or no entry of that kind with that id.
    """
    kind = next(k for k, cls in KINDS.items() if isinstance(data, cls))
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    work.put(data, entry_id)
    if identity is not None:
        if any(vars(identity).values()):
            work.put_identity(entry_id, identity)
        else:
            work.remove_identity(entry_id)
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason=f"{kind}_correct")
    return work.case


def remove(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    kind: str,
    entry_id: uuid.UUID,
    reason: str,
    *,
    attachments_dir: Path | None = None,
) -> Case:
    """Remove an entry that is wrong, with the reason; a person goes with its identifying
    data, an attachment with its file, and links between deadlines and interventions go.

    The attachment's file is deleted once the change is flushed: should the commit fail
    after that, the entry remains and its download says "not found".

    Raises:
        NotAllowed, CaseNotFound, CaseConflict.
        Invalid: no such entry of that kind; ``reason`` empty (``required``) or too long.
    """
    if kind not in KINDS:
        raise Invalid("kind", "choice")
    why = _reason(reason)
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    gone = work.entry(entry_id, kind).data
    _unlink(work, entry_id)
    work.remove(entry_id, kind)
    work.reason = why
    work.save(actor)
    if isinstance(gone, Attachment) and attachments_dir is not None:
        attachments.delete_file(attachments_dir, gone.file_id)
    access.audit(session, actor, "case.update", str(case_id), reason=f"{kind}_remove")
    return work.case


def _unlink(work: CaseWork, entry_id: uuid.UUID) -> None:
    """Drop references to an entry that is about to go (a deadline met by it, and back)."""
    key = str(entry_id)
    for e in list(work.entries.values()):
        if isinstance(e.data, Deadline) and e.data.met_by_intervention_id == key:
            work.put(replace(e.data, met_by_intervention_id="", met_on=None), e.id)
        elif isinstance(e.data, Intervention) and e.data.deadline_id == key:
            work.put(replace(e.data, deadline_id=""), e.id)


def correct_consent(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    index: int,
    consent: Consent,
) -> Case:
    """Replace a consent record that was entered wrongly.

    Raises:
        NotAllowed, CaseNotFound, CaseConflict.
        Invalid: no consent with that index (``consent``: ``unknown_entry``), bad values.
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    _consent_at(work, index)
    work.details.consents[index] = consent
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="consent_correct")
    return work.case


def remove_consent(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    index: int,
    reason: str,
) -> Case:
    """Remove a consent record entered by mistake (a withdrawal is recorded, not removed).

    Raises:
        NotAllowed, CaseNotFound, CaseConflict, Invalid (unknown consent, no reason).
    """
    why = _reason(reason)
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    _consent_at(work, index)
    del work.details.consents[index]
    work.reason = why
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="consent_remove")
    return work.case


def _consent_at(work: CaseWork, index: int) -> Consent:
    if not 0 <= index < len(work.details.consents):
        raise Invalid("consent", "unknown_entry")
    return work.details.consents[index]
