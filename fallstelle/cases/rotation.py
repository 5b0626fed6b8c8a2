"""KEK rotation: a new key-encryption key becomes primary and every data key is re-wrapped.

Imports SQLAlchemy, ``crypto``, ``db``, ``keyfiles``, ``audit`` and the case room. Online and
restartable after a kill at any point (ARCHITECTURE.md "Keys", issue 12). The steps, each
of which leaves a state that start-up accepts and :func:`rotate` resumes from:

1. ``keyfiles.stage_kek``: the new KEK's file, then ``keyring.json`` lists it as ``staged``
   (a kill in between leaves an unlisted file, which nothing reads);
2. its key-check value is committed to the database (start-up accepts a staged KEK with or
   without one);
3. ``keyfiles.promote_kek``: it becomes primary, the old one ``active`` (atomic rename);
4. batches of data keys still wrapped by another KEK are re-wrapped (one transaction per
   batch; ``UPDATE … WHERE dek_kid = old``, so a case erased or re-wrapped meanwhile is
   skipped); a kill loses at most the batch in flight, which the next run does again.

Data keys do not change, only their wrapping, so no payload is re-encrypted and the case's
``version`` stays (no edit conflict for someone working on the case meanwhile). A running
server keeps wrapping *new* cases with the KEK that was primary when it started, until it
restarts; ``keys rotate`` run again after the restart re-wraps those, and ``keys retire``
refuses while any data key still uses the old KEK.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from fallstelle import crypto, keyfiles
from fallstelle.audit import Event, record
from fallstelle.cases import sealing
from fallstelle.cases.models import Case
from fallstelle.db import KeyCheck, as_utc
from fallstelle.errors import FallstelleError

BATCH = 200
#: Seconds between batches: SQLite has one writer at a time, and a loop that takes the lock
#: again at once would keep the server's requests waiting.
PAUSE = 0.05
_T = cast(Table, Case.__table__)
#: One statement per batch (executemany); ``dek_kid = old`` skips a case re-wrapped or erased
#: meanwhile. The case's ``version`` is not touched: the data key stays the same.
REWRAP = (
    update(_T)
    .where(_T.c.id == bindparam("b_id"), _T.c.dek_kid == bindparam("b_old"))
    .values(dek_wrapped=bindparam("b_wrapped"))
)
#: Called between steps with a label (tests stop the rotation there, as a kill would).
Step = Callable[[str], None]


class RetireRefused(FallstelleError):
    """The KEK is primary, unknown, or still wraps data keys."""


def _no_step(_label: str) -> None:
    pass


def _audit(session: Session, action: str, kid: str, reason: str | None = None) -> None:
    record(session, Event(action, actor_role="operator", object_type="kek", object_id=kid,
                          reason=reason))  # fmt: skip


def _rewrap(keyring: crypto.Keyring, case: Case) -> bytes:
    """The one call that re-wraps a data key: same binding, the primary KEK."""
    return sealing.rewrap_case_key(keyring, sealing.binding_of(case), bytes(case.dek_wrapped))


@dataclass(frozen=True)
class Rotated:
    primary: str
    rewrapped: int
    started_new: bool


def rotate(
    sessions: sessionmaker[Session],
    keys_dir: Path,
    *,
    batch: int = BATCH,
    pause: float = PAUSE,
    step: Step = _no_step,
    progress: Callable[[int, int], None] | None = None,
) -> Rotated:
    """Finish a rotation in progress, or start a new one; re-wrap every data key.

    Raises:
        ConfigError: ``keys/`` cannot be read or written.
        CryptoError: a data key does not unwrap with any KEK of ``keys/``.
    """
    ring = keyfiles.read_ring(keys_dir)
    staged = [bytes.fromhex(k["kid"]) for k in ring["keks"] if k["status"] == keyfiles.STAGED]
    started = False
    if not staged and not _pending(sessions, ring["primary"]):
        kid, _key = keyfiles.stage_kek(keys_dir)
        step("staged")
        staged, started = [kid], True
    for kid in staged:
        keys = keyfiles.load_keys(keys_dir)
        with sessions() as session, session.begin():
            if session.get(KeyCheck, kid.hex()) is None:
                kcv = crypto.key_check_value(keys.keyring.keks[kid], kid)
                session.execute(insert(KeyCheck).values(kid=kid.hex(), kcv=kcv))
                _audit(session, "key.create", kid.hex(), "rotation")
        step("key-check")
        keyfiles.promote_kek(keys_dir, kid)
        step("promoted")
    keys = keyfiles.load_keys(keys_dir)
    primary = keys.keyring.primary.hex()
    total = _pending(sessions, primary)
    done = 0
    while True:
        with sessions() as session, session.begin():
            rows = list(session.scalars(select(Case).where(Case.dek_kid != primary).limit(batch)))
            if not rows:
                break
            session.execute(
                REWRAP.values(dek_kid=primary),
                [{"b_id": case.id, "b_old": case.dek_kid, "b_wrapped": _rewrap(keys.keyring, case)}
                 for case in rows],
            )  # fmt: skip
            step("batch")
        done += len(rows)
        if progress is not None:
            progress(done, total)
        time.sleep(pause)  # let the server's writers have the lock between batches
    with sessions() as session, session.begin():
        _audit(session, "key.rotate", primary, f"rewrapped_{done}")
    return Rotated(primary, done, started)


def _pending(sessions: sessionmaker[Session], primary: str) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).where(Case.dek_kid != primary)) or 0


@dataclass(frozen=True)
class KekStatus:
    kid: str
    status: str
    created: dt.datetime | None
    data_keys: int


def status(sessions: sessionmaker[Session], keys_dir: Path) -> list[KekStatus]:
    """Every KEK of the ring with its status, creation time and how many data keys it wraps."""
    ring = keyfiles.read_ring(keys_dir)
    with sessions() as session:
        query = select(Case.dek_kid, func.count()).group_by(Case.dek_kid)
        counts: dict[str, int] = {kid: int(n) for kid, n in session.execute(query)}
    out = []
    for entry in ring["keks"]:
        created = entry.get("created")
        out.append(KekStatus(entry["kid"], entry["status"],
                             as_utc(dt.datetime.fromisoformat(created)) if created else None,
                             int(counts.get(entry["kid"], 0))))  # fmt: skip
    return out


def retire(sessions: sessionmaker[Session], keys_dir: Path, kid_hex: str) -> None:
    """Destroy a KEK that wraps no data key any more: ring, key-check value, file (idempotent).

    Raises:
        RetireRefused: unknown, primary, or still in use (with the count).
    """
    ring = keyfiles.read_ring(keys_dir)
    entry = next((k for k in ring["keks"] if k["kid"] == kid_hex.lower()), None)
    if entry is None:
        raise RetireRefused(f"no key {kid_hex} in {keys_dir / keyfiles.KEYRING}")
    if entry["status"] == keyfiles.PRIMARY:
        raise RetireRefused(f"key {kid_hex} is the primary key: run `keys rotate` first")
    with sessions() as session:
        used = session.scalar(select(func.count()).where(Case.dek_kid == entry["kid"])) or 0
    if used:
        raise RetireRefused(
            f"key {kid_hex} still wraps {used} data keys: run `keys rotate` (after restarting "
            "the server, which wraps new cases with the key it started with)"
        )
    kid = bytes.fromhex(entry["kid"])
    keyfiles.destroy_kek(keys_dir, kid)
    with sessions() as session, session.begin():
        row = session.get(KeyCheck, entry["kid"])
        if row is not None:
            session.delete(row)
        _audit(session, "key.retire", entry["kid"])
