"""Erase a case for good (crypto-shredding), keep the deletion record, re-apply after a restore.

Imports SQLAlchemy, ``audit``, ``auth.actor``, ``crypto`` errors, ``keyfiles`` and the case
room. :func:`erase_case` is the one primitive behind retention (closure + 3 years), early
deletion and erasure on request (issue 13); callers decide *whether* (rule, permission,
step-up), this module does the deletion the same way every time:

1. the register entry is appended first (write-ahead, ``cases.register``);
2. the case's rows go — the case row with its wrapped data key (crypto-shredding: every
   ciphertext of the case left anywhere, a backup included, is unreadable without it), its
   entries, identities and co-counsellors — in the caller's transaction;
3. the anonymous statistical record stays (it has no link to the case but the one inside
   the payload that was just shredded), so ``statistical_counts`` do not change and trend
   reports keep working (ARCHITECTURE.md, "The statistical record");
4. an ``erasures`` row for the auditor (case number, office, dates, rule, reason code; no
   personal data) and a ``case.erase`` audit event are written in the same transaction;
5. after the commit the attachment files are deleted and, on SQLite, the WAL is
   checkpointed and truncated (:func:`settle`), so the data directory holds no copy of the
   wrapped data key: with ``secure_delete`` on, the freed pages are zeroed in the database
   file, and the WAL no longer keeps the old frames. A rolled-back transaction voids the
   register entry instead.

PostgreSQL keeps dead tuples until VACUUM reuses their space and keeps its own WAL; there the
guarantee rests on the data key being gone, not on the bytes (SECURITY.md).

It is idempotent: erasing an erased case returns its deletion record again.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from fallstelle.audit import record
from fallstelle.audit.events import REASON_RE
from fallstelle.auth.actor import Actor
from fallstelle.cases import sealing
from fallstelle.cases.errors import CaseNotFound, Invalid
from fallstelle.cases.models import Case, CaseCounsellor, CaseEntry, CaseIdentity, ErasureRecord
from fallstelle.cases.register import Register, RegisterDamaged
from fallstelle.cases.sections import Attachment
from fallstelle.db import as_utc, utcnow
from fallstelle.errors import CryptoError
from fallstelle.keyfiles import KeyMaterial

__all__ = ["Erasure", "Register", "RegisterDamaged", "erase_case", "reapply", "settle"]

log = logging.getLogger(__name__)
_PENDING = "fallstelle.erasure.pending"
_FILE_ID_LEN = 32


@dataclass(frozen=True)
class Erasure:
    """What the deletion record says about one erased case (no personal data)."""

    case_id: uuid.UUID
    case_number: str
    office_id: int
    opened_on: dt.date
    closed_on: dt.date | None
    erased_at: dt.datetime
    rule: str
    reason: str
    register_seq: int
    #: False when the case had been erased before (the call changed nothing).
    erased_now: bool = True

    @classmethod
    def of(cls, row: ErasureRecord, *, erased_now: bool) -> Erasure:
        return cls(
            row.case_id, row.case_number, row.office_id, row.opened_on, row.closed_on,
            as_utc(row.erased_at), row.rule, row.reason, row.register_seq, erased_now,
        )  # fmt: skip


@dataclass
class _Pending:
    register: Register
    attachments_dir: Path
    seqs: list[int]
    files: list[str]


def _check_code(name: str, value: str) -> None:
    if not REASON_RE.fullmatch(value):
        raise Invalid(name, "code")  # a code, never free text: the record must hold no names


def _attachment_files(case: Case, keys: KeyMaterial, session: Session) -> list[str]:
    """Return the attachment file names of a case (decrypting its attachment entries)."""
    try:
        cipher = sealing.open_case_key(keys.keyring, case)
        rows = session.scalars(
            select(CaseEntry).where(CaseEntry.case_id == case.id, CaseEntry.kind == "attachment")
        )
        return [
            cipher.open(Attachment, sealing.ENTRIES, sealing.entry_row_id(r.kind, r.id),
                        r.payload).file_id
            for r in rows
        ]  # fmt: skip
    except (CryptoError, ValueError):
        # A case whose key does not open is erased all the same; its files (if any) stay
        # as ciphertext no key opens once the wrapped key is gone.
        log.warning("erasure: attachments of case %s could not be listed", case.id)
        return []


def _shred(session: Session, case: Case) -> None:
    for table in (CaseIdentity, CaseEntry, CaseCounsellor):
        session.execute(delete(table).where(table.case_id == case.id))
    session.execute(delete(Case).where(Case.id == case.id))
    session.expunge(case)


def _pending(session: Session, register: Register, attachments_dir: Path) -> _Pending:
    found = session.info.get(_PENDING)
    if found is None:
        found = _Pending(register, attachments_dir, [], [])
        session.info[_PENDING] = found
        if not session.info.get(_PENDING + ".listening"):
            from sqlalchemy import event

            event.listen(session, "after_commit", _after_commit)
            event.listen(session, "after_transaction_end", _after_end)
            session.info[_PENDING + ".listening"] = True
    return found


def _after_commit(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    remove_files(pending.attachments_dir, pending.files)
    settle(session.get_bind())


def _after_end(session: Session, transaction: Any) -> None:
    if transaction.parent is not None:
        return
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is not None:  # the top-level transaction ended without a commit
        for seq in pending.seqs:
            pending.register.void(seq)


def remove_files(attachments_dir: Path, file_ids: list[str]) -> int:
    """Delete attachment files by their generated names; return how many existed."""
    removed = 0
    for file_id in file_ids:
        if len(file_id) != _FILE_ID_LEN or not all(c in "0123456789abcdef" for c in file_id):
            continue  # only names we generate; never a path from elsewhere
        path = attachments_dir / f"{file_id}.bin"
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed += 1
    return removed


def settle(bind: Any) -> bool:
    """Checkpoint and truncate the SQLite WAL so no old frame keeps erased pages.

    Returns False when readers kept the checkpoint from completing (it is retried at the
    next erasure and at every clean stop); True on PostgreSQL, where there is no such file.
    """
    engine: Engine = bind.engine if hasattr(bind, "engine") else bind
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert isinstance(dbapi, sqlite3.Connection)  # noqa: S101 - sqlite dialect
        busy, _log, _done = dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        raw.close()
    if busy:
        log.warning("erasure: WAL checkpoint was blocked by readers; retried later")
    return not busy


def erase_case(
    session: Session,
    keys: KeyMaterial,
    register: Register,
    attachments_dir: Path,
    case_id: uuid.UUID,
    *,
    rule: str,
    reason: str,
    actor: Actor,
) -> Erasure:
    """Erase one case for good; idempotent (an erased case returns its record again).

    The caller has decided that the case goes (retention rule, checked request); this
    function checks no permission. ``rule`` (e.g. ``retention_case_file``, ``request``)
    and ``reason`` (e.g. ``art17_request``, ``opened_by_mistake``) are codes.

    Raises:
        Invalid: ``rule`` or ``reason`` is not a code (``[a-z0-9_]{1,64}``).
        CaseNotFound: no such case and no deletion record of it.
        RegisterDamaged: the register file does not verify (nothing is erased).
    """
    _check_code("rule", rule)
    _check_code("reason", reason)
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    done = session.get(ErasureRecord, case_id)
    if case is None:
        if done is None:
            raise CaseNotFound(str(case_id))
        return Erasure.of(done, erased_now=False)
    files = _attachment_files(case, keys, session)
    now = utcnow()
    seq = register.append(
        {
            "case": str(case.id), "case_number": case.case_number, "office": case.office_id,
            "opened_on": case.opened_on.isoformat(),
            "closed_on": case.closed_on.isoformat() if case.closed_on else None,
            "at": now.isoformat(), "rule": rule, "reason": reason, "files": files,
        }
    )  # fmt: skip
    pending = _pending(session, register, attachments_dir)
    pending.seqs.append(seq)
    pending.files.extend(files)
    row = _record(session, case, now, rule, reason, actor.audit_role, seq, reapplied=False)
    _shred(session, case)
    record(session, actor.event("case.erase", object_type="case", object_id=str(case_id),
                                reason=rule))  # fmt: skip
    session.flush()
    return Erasure.of(row, erased_now=True)


def _record(
    session: Session,
    case: Case,
    at: dt.datetime,
    rule: str,
    reason: str,
    role: str,
    seq: int,
    *,
    reapplied: bool,
) -> ErasureRecord:
    row = session.get(ErasureRecord, case.id)
    if row is None:
        row = ErasureRecord(
            case_id=case.id, case_number=case.case_number, office_id=case.office_id,
            opened_on=case.opened_on, closed_on=case.closed_on, erased_at=at, rule=rule,
            reason=reason, actor_role=role, register_seq=seq, reapplied=int(reapplied),
        )  # fmt: skip
        session.add(row)
    return row


def reapply(session: Session, keys: KeyMaterial, register: Register, attachments_dir: Path) -> int:
    """Erase again every case the register names that this database still holds.

    Run after restoring a backup (``backup restore`` does) and safe at any time: a case
    already gone is skipped, its attachment files are removed again, and a deletion record
    missing from the database is written back. Returns how many cases were erased now.

    Raises:
        RegisterDamaged: the register file does not verify (nothing is erased).
    """
    operator = Actor.operator()
    erased = 0
    files: list[str] = []
    for entry in register.entries():
        case_id = uuid.UUID(entry["case"])
        files += entry.get("files") or []
        case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
        at = dt.datetime.fromisoformat(entry["at"])
        if case is None:
            if session.get(ErasureRecord, case_id) is None:
                session.add(_from_entry(entry, at))
            continue
        files += _attachment_files(case, keys, session)
        _record(session, case, at, entry["rule"], entry["reason"], "operator", entry["seq"],
                reapplied=True)  # fmt: skip
        _shred(session, case)
        record(session, operator.event("case.erase_reapplied", object_type="case",
                                       object_id=str(case_id), reason=entry["rule"]))  # fmt: skip
        erased += 1
    pending = _pending(session, register, attachments_dir)
    pending.files.extend(files)
    session.flush()
    return erased


def _from_entry(entry: dict[str, Any], at: dt.datetime) -> ErasureRecord:
    closed = entry.get("closed_on")
    return ErasureRecord(
        case_id=uuid.UUID(entry["case"]), case_number=entry["case_number"],
        office_id=entry["office"], opened_on=dt.date.fromisoformat(entry["opened_on"]),
        closed_on=dt.date.fromisoformat(closed) if closed else None, erased_at=at,
        rule=entry["rule"], reason=entry["reason"], actor_role="operator",
        register_seq=entry["seq"], reapplied=1,
    )  # fmt: skip
