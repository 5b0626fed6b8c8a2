"""PostgreSQL: a batch of audit events appended in one message, the chain lock held by the
server alone (issue 15).

Imports ``psycopg`` (PostgreSQL's driver), SQLAlchemy and this room's ``chain``, ``rows`` and
``service``. Used by :mod:`audit.group` for its batches on PostgreSQL.

Why: the append of :func:`.service.append_on` takes the chain lock (``SELECT … FOR UPDATE``
on the head row) and then needs three more round trips (INSERT, UPDATE, COMMIT) before the
lock is released. Each one costs the writing thread a turn at its process's GIL, which the
other threads of a busy worker hold for up to the switch interval, while every other
process's batch waits for the lock. Sampled under 8 readers and 2 workers, a backend held
the lock idle, waiting for its Python client, about half of the time, and the app served
fewer case pages with 2 workers than with 1.

How: the rows are chained in Python *before* the lock, after the head this process last
wrote or read, or the newer head the last writer of any process left in the writers' lock
file (the guess; :func:`read_hint`, taken only with the chain key's MAC), and the whole
append goes to the server as one simple-query message, which PostgreSQL runs as one
implicit transaction (the connection is in autocommit for it)::

    SELECT … FROM audit_head WHERE id = 1 FOR UPDATE;            -- the chain lock
    INSERT INTO audit_events … SELECT … WHERE <head is the guess>;
    UPDATE audit_head SET … WHERE id = 1 AND <head is the guess>;
    INSERT INTO audit_checkpoints … WHERE <head is the new head>;  -- when one is due

Under the lock the head either is the guess — then everything is written and committed —
or it is not (another process appended meanwhile) — then nothing is, and the locked head the
first statement returned becomes the next guess. The lock is held from the first statement
to the end of the message's COMMIT, without waiting for the client. The guarantees are
those of ``append_on``: every guess is a head whose MAC the chain key wrote (checked with
:func:`.service.check_head` when read, or computed here when written), so a head that the
key did not write stops the append (fail closed); the conditions compare seq, epoch, entry
hash and MAC under the lock, so no fork, no gap and no duplicate ``seq``; the message is one
transaction, so a batch is written whole or not at all. Values are bound on the client by
psycopg (``ClientCursor``: quoted literals), as one message needs.
"""

# The statements are formatted from constant table and column names only; every value is
# bound by psycopg (S608 would flag each of them).
# ruff: noqa: S608

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from fallstelle.audit import chain
from fallstelle.audit.events import Event
from fallstelle.audit.models import checkpoints_table, events_table, head_table
from fallstelle.audit.rows import chained
from fallstelle.audit.service import SIGNER, ChainDamaged, _keys, append_on, check_head

#: Attempts with a fresh guess before the append takes the lock first and waits for each
#: statement as :func:`.service.append_on` does (a failed attempt means another writer
#: appended in between; under many writers one might otherwise wait long for its turn).
ATTEMPTS = 3

_HEAD_COLUMNS = ("seq", "epoch", "entry_hash", "mac")
_IS = " AND ".join(f"{c} IS NOT DISTINCT FROM %s" for c in _HEAD_COLUMNS)
_LOCK = f"SELECT {', '.join(_HEAD_COLUMNS)} FROM {head_table.name} WHERE id = 1 FOR UPDATE"
_READ = f"SELECT {', '.join(_HEAD_COLUMNS)} FROM {head_table.name} WHERE id = 1"
_GUARD = f"EXISTS (SELECT 1 FROM {head_table.name} WHERE id = 1 AND {_IS})"
_MOVE = (
    f"UPDATE {head_table.name} SET seq = %s, entry_hash = %s, last_time = %s, mac = %s "
    f"WHERE id = 1 AND {_IS}"
)
_CHECKPOINT_COLUMNS = ("seq", "epoch", "entry_hash", "signed_at", "key_hint", "signature")

#: engine → the head this process last wrote or read (a guess, checked under the lock)
_GUESSES: weakref.WeakKeyDictionary[Engine, chain.Head] = weakref.WeakKeyDictionary()
_GUESSES_LOCK = threading.Lock()
#: Bytes read for a hint: seq and epoch (at most 20 digits each), two hex SHA-256 values.
_HINT_SIZE = 2 * 21 + 2 * 65


def append(
    engine: Engine,
    info: Mapping[str, Any],
    events: Sequence[Event],
    hint: chain.Head | None = None,
) -> chain.Head:
    """Append ``events`` (committed when this returns) and return the new head.

    ``hint``: the head another process says it wrote last (:func:`read_hint`); the guess when
    the chain key wrote it and it is newer than this process's own.

    After :data:`ATTEMPTS` guesses that another writer overtook, the append takes the lock
    first (:func:`.service.append_on`), so every batch gets its turn.

    Raises:
        ChainDamaged: the head was not written with the chain key.
        TypeError: an event is not an :class:`Event`.
    """
    keys = _keys(info)
    signer = info.get(SIGNER)
    new: chain.Head | None = None
    with engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        try:
            driver.autocommit = True  # the message is its own transaction
            with _GUESSES_LOCK:
                guess = _GUESSES.get(engine)
            if hint is not None and (guess is None or hint.seq > guess.seq):
                guess = _valid(keys.audit_chain_key, hint) or guess
            if guess is None:
                guess = _checked(keys.audit_chain_key, driver.execute(_READ).fetchone())
            for _ in range(ATTEMPTS):
                rows, checkpoints, drafted = chained(keys, signer, guess, events)
                locked, applied = _send(driver, guess, rows, checkpoints, drafted)
                if applied:
                    new = drafted
                    break
                guess = _checked(keys.audit_chain_key, locked)
            driver.autocommit = False
        except BaseException:
            conn.invalidate()  # its state is unknown: it never goes back to the pool
            raise
        if new is None:  # the head moved under every attempt: wait for the lock, then write
            with conn.begin():
                new = append_on(conn, info, events)
    with _GUESSES_LOCK:
        _GUESSES[engine] = new
    return new


def _checked(chain_key: bytes, row: Any) -> chain.Head:
    head = chain.Head(row[0], row[1], bytes(row[2]), None if row[3] is None else bytes(row[3]))
    check_head(chain_key, head)
    return head


def _valid(chain_key: bytes, head: chain.Head) -> chain.Head | None:
    """``head`` if the chain key wrote it (a hint without a MAC is no evidence of anything)."""
    if head.mac is None:
        return None
    try:
        check_head(chain_key, head)
    except ChainDamaged:
        return None  # a damaged or forged hint is only a wrong guess: the lock decides
    return head


def read_hint(fd: int) -> chain.Head | None:
    """The head written to ``fd`` by :func:`write_hint` (None if there is none, or it is not
    one: the file is only a hint, checked with the chain key and then under the lock)."""
    try:
        seq, epoch, entry_hash, mac = os.pread(fd, _HINT_SIZE, 0).decode("ascii").split()
        return chain.Head(int(seq), int(epoch), bytes.fromhex(entry_hash), bytes.fromhex(mac))
    except (OSError, ValueError):
        return None


def write_hint(fd: int, head: chain.Head) -> None:
    """Leave ``head`` in ``fd`` for the next writer (the group commit's writers' lock file,
    held): with two workers the other one's guess was stale for nearly every batch, and each
    miss cost the chain lock a second message (63 % of the batches, issue 15)."""
    if head.mac is None:
        return
    line = f"{head.seq} {head.epoch} {head.entry_hash.hex()} {head.mac.hex()}\n".encode()
    try:
        os.pwrite(fd, line, 0)
        os.ftruncate(fd, len(line))
    except OSError:
        pass  # only a hint: the next writer guesses from its own head


def _send(
    driver: Any,
    guess: chain.Head,
    rows: list[chain.Row],
    checkpoints: list[chain.Checkpoint],
    new: chain.Head,
) -> tuple[Any, bool]:
    """Send the append as one message; return the locked head and whether it was the guess."""
    from psycopg import ClientCursor

    statements = [_LOCK, _values(events_table.name, chain.Row._fields, len(rows), _GUARD), _MOVE]
    params: list[Any] = [v for row in rows for v in row]
    params += [*guess, new.seq, new.entry_hash, rows[-1].time, new.mac, *guess]
    if checkpoints:
        statements.append(
            _values(checkpoints_table.name, _CHECKPOINT_COLUMNS, len(checkpoints), _GUARD)
        )
        params += [getattr(cp, c) for cp in checkpoints for c in _CHECKPOINT_COLUMNS]
        params += [*new]
    with ClientCursor(driver) as cur:
        cur.execute("; ".join(statements), params)
        locked = cur.fetchone()
        cur.nextset()  # the events' INSERT
        cur.nextset()  # the head's UPDATE
        return locked, cur.rowcount == 1


def _values(table: str, columns: Sequence[str], count: int, guard: str) -> str:
    names = ", ".join(columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM (VALUES {', '.join([one] * count)})"
        f" AS v ({names}) WHERE {guard}"
    )
