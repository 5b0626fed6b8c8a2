"""Retention: when what of a closed case is deleted, and the run that deletes it (issue 13).

Imports SQLAlchemy, ``audit``, ``auth``, ``crypto``, ``keyfiles`` and the case room's modules.
DOMAIN.md "Retention": identifying data (names, contact) goes at closure + 6 months, the case
file at the end of the 3rd calendar year after closure; each office configures both
(:class:`Periods`, ``retention_policies``); a legal hold stops both. The statistical record
stays (anonymous), and ``cases.erasure`` leaves the deletion record for the auditor.

:func:`run` does the work one case per transaction, so it is restartable (a killed run leaves
every case either done or untouched, and the next run picks up what is still due),
idempotent (what is done is no longer due) and safe while the server runs (each case is
locked as any writer locks it; a counsellor's form on a case deleted meanwhile gets "not
found"). Removing identifying data gives the case a new data key and seals what remains
with it (:func:`remove_identifying`): the old key is gone, so no copy of the old ciphertext
— in a backup, the WAL or a free page — opens with any key in ``keys/`` (issue 13, "After a
deletion").
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import ColumnElement, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from fallstelle import crypto
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access, attachments, history, sealing
from fallstelle.cases.erasure import Register, erase_case, remove_files
from fallstelle.cases.errors import Invalid, NotAllowed
from fallstelle.cases.models import Case, CaseChange, CaseEntry, CaseIdentity, RetentionPolicy
from fallstelle.cases.models.lifecycle import DEFAULT_CASE_YEARS, DEFAULT_IDENTIFYING_MONTHS
from fallstelle.cases.sections import Attachment, CaseDetails, Person
from fallstelle.cases.service import open_for_write
from fallstelle.cases.work import CaseWork
from fallstelle.catalogue import cache
from fallstelle.clock import today
from fallstelle.db import utcnow
from fallstelle.keyfiles import KeyMaterial

IDENTIFYING = "retention_identifying"
CASE_FILE = "retention_case_file"
_R = RetentionPolicy.__table__.c  # every case page reads its periods: built once (issue 15)
_PERIODS = select(_R.identifying_months, _R.case_years).where(_R.office_id == bindparam("o"))


@dataclass(frozen=True)
class Periods:
    """An office's retention periods, both counted from the closing date."""

    identifying_months: int = DEFAULT_IDENTIFYING_MONTHS
    case_years: int = DEFAULT_CASE_YEARS


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def identifying_due(closed_on: dt.date, periods: Periods) -> dt.date:
    """The day identifying data is removed."""
    return add_months(closed_on, periods.identifying_months)


def case_due(closed_on: dt.date, periods: Periods) -> dt.date:
    """The day the case file is deleted: the first day after the last year it is kept."""
    return dt.date(closed_on.year + periods.case_years + 1, 1, 1)


def periods_of(session: Session, office_id: int) -> Periods:
    """An office's periods, kept with the catalogue (``catalogue.cache``): every case page
    shows them, and the catalogue's version already comes with the case row, so a page
    reads them only after :func:`set_periods` (which bumps the version) changed them."""
    return cache.cached(session, ("retention", office_id), lambda: _read(session, office_id))


def _read(session: Session, office_id: int) -> Periods:
    row = session.execute(_PERIODS, {"o": office_id}).first()
    return Periods(row.identifying_months, row.case_years) if row is not None else Periods()


def all_periods(session: Session) -> dict[int, Periods]:
    rows = session.execute(select(_R.office_id, _R.identifying_months, _R.case_years))
    return {office_id: Periods(months, years) for office_id, months, years in rows}


def set_periods(session: Session, actor: Actor, office_id: int, periods: Periods) -> None:
    """Set an office's retention periods (an admin of the installation).

    Raises:
        NotAllowed: the actor may not manage offices.
        Invalid: a period outside 1–120 months or 1–30 years.
    """
    if not actor.can(Permission.OFFICE_MANAGE):
        access.audit(session, actor, "retention.policy", str(office_id), outcome="denied")
        raise NotAllowed("office:manage")
    if not 1 <= periods.identifying_months <= 120:
        raise Invalid("identifying_months", "range")
    if not 1 <= periods.case_years <= 30:
        raise Invalid("case_years", "range")
    row = session.get(RetentionPolicy, office_id) or RetentionPolicy(office_id=office_id)
    row.identifying_months = periods.identifying_months
    row.case_years = periods.case_years
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    cache.bump(session)  # every process's copy of the periods is stale now
    access.audit(session, actor, "retention.policy", str(office_id))


@dataclass(frozen=True)
class Plan:
    """When what of one case is deleted (None while the case is open)."""

    closed_on: dt.date | None
    legal_hold: bool
    identifying_on: dt.date | None
    identifying_removed_on: dt.date | None
    case_on: dt.date | None


def plan(case: Case, periods: Periods) -> Plan:
    closed = case.closed_on
    return Plan(
        closed_on=closed,
        legal_hold=case.legal_hold,
        identifying_on=identifying_due(closed, periods) if closed else None,
        identifying_removed_on=case.identifying_removed_on,
        case_on=case_due(closed, periods) if closed else None,
    )


def earliest_closing(periods: Periods, on: dt.date, what: str) -> dt.date:
    """The latest closing date whose deletion of ``what`` is due on or before ``on``."""
    if what == "identifying":
        return add_months(on, -periods.identifying_months)
    return dt.date(on.year - periods.case_years - 1, 12, 31)


def _due_clause(policies: dict[int, Periods], on: dt.date, what: str) -> ColumnElement[bool]:
    """Closed cases of any office whose ``what`` is due on or before ``on``."""
    known = list(policies)
    parts = [
        and_(Case.office_id == office, Case.closed_on <= earliest_closing(p, on, what))
        for office, p in policies.items()
    ]
    parts.append(and_(Case.office_id.not_in(known) if known else Case.office_id.is_not(None),
                      Case.closed_on <= earliest_closing(Periods(), on, what)))  # fmt: skip
    clause = and_(Case.status == "abgeschlossen", Case.legal_hold.is_(False), or_(*parts))
    if what == "identifying":
        clause = and_(clause, Case.identifying_removed_on.is_(None))
    return clause


def due(session: Session, on: dt.date) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The cases whose identifying data, and those whose whole file, are due on ``on``."""
    policies = all_periods(session)
    whole = list(session.scalars(select(Case.id).where(_due_clause(policies, on, "case"))))
    ident = [
        c for c in session.scalars(select(Case.id).where(_due_clause(policies, on, "identifying")))
        if c not in set(whole)
    ]  # fmt: skip
    return ident, whole


def _identifying_left(work: CaseWork) -> bool:
    return bool(work.identities) or any(
        isinstance(e.data, Person) and e.data.gender_text for e in work.entries.values()
    )


def remove_identifying(
    session: Session,
    keys: KeyMaterial,
    attachments_dir: Path,
    case_id: uuid.UUID,
    actor: Actor,
    on: dt.date,
) -> list[str]:
    """Remove a case's identifying data and seal what remains with a new data key.

    Deletes the identities (names, contact, their blind indexes), a person's gender
    self-description and the history rows holding identifying data; re-seals the details,
    every entry, the remaining history and the attachment files with a fresh key; marks the
    case. Returns the old attachment file names to delete once the transaction commits.
    A case on legal hold (also a hold only in its encrypted details) is left as it is.
    """
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None or case.identifying_removed_on is not None:
        return []
    work = CaseWork.open(session, case, keys)
    if work.details.legal_hold:
        case.legal_hold = True
        return []
    for person_id in list(work.identities):
        work.remove_identity(person_id)
    for e in work.entries.values():
        if isinstance(e.data, Person) and e.data.gender_text:
            e.data = replace(e.data, gender_text="")
    history.forget_identities(session, case.id)
    old_files = _rekey(session, keys, attachments_dir, work)
    case.identifying_removed_on = on
    access.audit(session, actor, "case.retention", str(case.id), reason="identifying")
    session.flush()
    return old_files


def _rekey(session: Session, keys: KeyMaterial, directory: Path, work: CaseWork) -> list[str]:
    """Seal every payload of the case with a new data key; return the replaced files."""
    case, old = work.case, work.cipher
    session.flush()  # the deletions above go before the rows are rewritten
    version = case.dek_version + 1
    new = sealing.CaseCipher(case.id, crypto.new_key(), version)
    changes = [
        (row, old.open(history.ChangePayload, history.TABLE, str(row.id), row.payload))
        for row in session.scalars(select(CaseChange).where(CaseChange.case_id == case.id))
    ]
    old_files: list[str] = []
    for row in session.scalars(select(CaseEntry).where(CaseEntry.case_id == case.id)):
        data = work.entries[row.id].data
        if isinstance(data, Attachment):
            content = crypto.decrypt_field(
                old.dek, (directory / f"{data.file_id}.bin").read_bytes(),
                attachments.context(case.id, data.file_id),
            )  # fmt: skip
            old_files.append(data.file_id)
            data = replace(data, file_id=attachments.new_file_id())
            attachments.write_sealed(directory, data.file_id, crypto.encrypt_field(
                new.dek, content, attachments.context(case.id, data.file_id),
                dek_version=version))  # fmt: skip
        row_id = sealing.entry_row_id(row.kind, row.id)
        row.payload = new.seal(sealing.ENTRIES, row_id, data)
    for change, plain in changes:
        change.payload = new.seal(history.TABLE, str(change.id), plain)
    for ident in session.scalars(select(CaseIdentity).where(CaseIdentity.case_id == case.id)):
        ident.payload = new.seal(sealing.IDENTITIES, str(ident.person_id),
                                 work.identities[ident.person_id])  # fmt: skip
    case.payload = new.seal(sealing.CASES, str(case.id), work.details)
    case.dek_version = version  # bound into the wrapped key (sealing.binding_of)
    case.dek_wrapped = keys.keyring.wrap_bound_dek(new.dek, sealing.binding_of(case))
    case.dek_kid = keys.keyring.primary.hex()
    return old_files


@dataclass
class RunReport:
    """What a retention run did (or, dry, would do): case numbers only."""

    identifying: list[str] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)
    kept_on_hold: list[str] = field(default_factory=list)


Sessions = Callable[[], AbstractContextManager[Session]]


def run(
    sessions: Sessions,
    keys: KeyMaterial,
    register: Register,
    attachments_dir: Path,
    on: dt.date,
    *,
    dry_run: bool = False,
    actor: Actor | None = None,
    each: Callable[[str, str], None] | None = None,
) -> RunReport:
    """Delete what is due on ``on``: one case per transaction (restartable, idempotent).

    ``each(case_number, outcome)`` is called after each case's transaction has ended.
    """
    operator = actor or Actor.operator()
    report = RunReport()
    with sessions() as session:
        ident, whole = due(session, on)
    for case_id in whole:
        with sessions() as session, session.begin():
            number = _erase_due(session, keys, register, attachments_dir, case_id, operator,
                                dry_run, report)  # fmt: skip
        if each is not None and number:
            each(number, "kept" if number in report.kept_on_hold else "case_file")
    for case_id in ident:
        files: list[str] = []
        with sessions() as session, session.begin():
            case = session.get(Case, case_id)
            if case is None:
                continue
            number, done = case.case_number, True
            if not dry_run:
                files = remove_identifying(session, keys, attachments_dir, case_id, operator, on)
                done = case.identifying_removed_on is not None
            (report.identifying if done else report.kept_on_hold).append(number)
        remove_files(attachments_dir, files)  # after the commit: the new files are in use
        if each is not None:
            each(number, "identifying" if done else "kept")
    return report


def _erase_due(
    session: Session,
    keys: KeyMaterial,
    register: Register,
    attachments_dir: Path,
    case_id: uuid.UUID,
    actor: Actor,
    dry_run: bool,
    report: RunReport,
) -> str | None:
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        return None
    number = case.case_number
    details = sealing.open_case_key(keys.keyring, case)
    if details.open(CaseDetails, sealing.CASES, str(case.id), case.payload).legal_hold:
        case.legal_hold = True  # a hold recorded before the clear column existed
        report.kept_on_hold.append(number)
        return number
    if dry_run:
        report.erased.append(number)
        return number
    erase_case(session, keys, register, attachments_dir, case_id, rule=CASE_FILE,
               reason=CASE_FILE, actor=actor)  # fmt: skip
    report.erased.append(number)
    return number


def set_legal_hold(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    case_id: uuid.UUID,
    version: int,
    hold: bool,
    reason: str,
    review_on: dt.date | None,
) -> Case:
    """Set or lift a legal hold (proceedings are running: nothing of the case is deleted).

    Raises:
        NotAllowed, CaseNotFound, CaseConflict.
        Invalid: a hold without a reason (``legal_hold_reason``: ``required``), a review
            date in the past (``legal_hold_review_on``: ``date_range``).
    """
    work = open_for_write(session, actor, keys, case_id, version, "case.update")
    if hold and not reason.strip():
        raise Invalid("legal_hold_reason", "required")
    if hold and review_on is not None and review_on < today():
        raise Invalid("legal_hold_review_on", "date_range")
    work.details = replace(
        work.details, legal_hold=hold, legal_hold_reason=reason.strip() if hold else "",
        legal_hold_review_on=review_on if hold else None,
    )  # fmt: skip
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id),
                 reason="legal_hold_set" if hold else "legal_hold_lifted")  # fmt: skip
    return work.case
