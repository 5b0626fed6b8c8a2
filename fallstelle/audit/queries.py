"""Read the whole log as a stream, from one consistent snapshot: verify it, export it.

Imports SQLAlchemy, ``cryptography`` and this room's ``chain``. Reads never load the log
into memory: rows come in batches from a cursor (a server-side cursor on PostgreSQL).

The snapshot must not block appends. On SQLite the engine's connections begin every
transaction with ``BEGIN IMMEDIATE`` (the write lock), so reads here use the pooled DBAPI
connection directly with a plain (deferred) ``BEGIN``: in WAL mode that is a read snapshot
and writers go on. On PostgreSQL a ``REPEATABLE READ READ ONLY`` transaction does the same.

Export layout (read by ``tools/verify_audit_export.py``)::

    events.jsonl        one event per line (``chain.row_to_json``), in seq order
    checkpoints.jsonl   {"seq": …, "note": signed checkpoint note} per line
    audit-signing.pub   the Ed25519 public key (PEM)
    head.json           {"format": "fallstelle-audit-export-v1", "head_seq": …, …}
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine

from fallstelle.audit import chain, verifier, witness
from fallstelle.db import utcnow

EXPORT_FORMAT = "fallstelle-audit-export-v1"
BATCH = 5000
EVENTS_SQL = (
    "SELECT seq, epoch, time, actor_id, actor_role, action, object_type, object_id, outcome, "
    "reason, request_id, client, prev_hash, entry_hash, mac FROM audit_events ORDER BY seq"
)
CHECKPOINTS_SQL = (
    "SELECT seq, epoch, entry_hash, signed_at, key_hint, signature "
    "FROM audit_checkpoints ORDER BY seq"
)
HEAD_SQL = "SELECT seq, epoch, entry_hash, mac FROM audit_head WHERE id = 1"

Query = Callable[[str], Iterator[Sequence[Any]]]


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Query]:
    """Yield a function that streams the rows of a SQL text, all from one snapshot."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("BEGIN")  # deferred: a WAL read snapshot, no write lock

            def query(sql: str) -> Iterator[Sequence[Any]]:
                cursor = raw.cursor()
                cursor.execute(sql)
                while batch := cursor.fetchmany(BATCH):
                    yield from batch
                cursor.close()

            yield query
        finally:
            raw.rollback()
            raw.close()
        return
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")

        def pg_query(sql: str) -> Iterator[Sequence[Any]]:
            streamed = conn.execution_options(stream_results=True, yield_per=BATCH)
            yield from streamed.exec_driver_sql(sql)

        try:
            yield pg_query
        finally:
            conn.rollback()


def _checkpoints(query: Query) -> list[chain.Checkpoint]:
    return [
        chain.Checkpoint(seq, epoch, bytes(h), signed, bytes(hint), bytes(sig))
        for seq, epoch, h, signed, hint, sig in query(CHECKPOINTS_SQL)
    ]


def _rows(query: Query, seqs: tuple[int, int] | None = None) -> Iterator[chain.Row]:
    sql = EVENTS_SQL
    if seqs is not None:
        low, high = int(seqs[0]), int(seqs[1])  # integers only: nothing to inject
        sql = sql.replace(" ORDER BY", f" WHERE seq BETWEEN {low} AND {high} ORDER BY")
    for values in query(sql):
        yield chain.Row._make(values)  # both drivers return BLOB/bytea as bytes


def _head(query: Query) -> chain.Head:
    rows = list(query(HEAD_SQL))
    if not rows:
        return chain.Head(0, 0, b"", None)  # no head row: the truncation check reports it
    seq, epoch, hash_, mac = rows[0]
    return chain.Head(int(seq), int(epoch), bytes(hash_), None if mac is None else bytes(mac))


def _head_seq(query: Query) -> int:
    return _head(query).seq


def verify_log(
    engine: Engine,
    public_key: Ed25519PublicKey,
    *,
    chain_key: bytes | None,
    witness_path: Path | None = None,
    saved_checkpoints: Sequence[tuple[str, chain.Checkpoint]] = (),
    progress: Callable[[int, int], None] | None = None,
    every: int = chain.CHECKPOINT_EVERY,
) -> verifier.Verification:
    """Check the stored log, reading only; never raises on damage.

    Recomputes the chain, checks every event's and the head's MAC with ``chain_key`` (None:
    the outside verifier's view, MACs unchecked), every signed checkpoint and the required
    ones every ``every`` events, the witness file at ``witness_path`` and the checkpoints the
    auditor saved (``(label, checkpoint)``). ``progress(events read, head seq)`` is called
    every 10,000 events. A missing witness file is a warning; an unreadable one is damage.
    """
    external = list(saved_checkpoints)
    missing_witness: list[str] = []
    if witness_path is not None:
        try:
            found = witness.read(witness_path)
        except ValueError as exc:
            return verifier.Verification(0, None, 0, 0, 0, chain.FORGED, f"the witness file: {exc}")
        if found is None:
            missing_witness.append(
                f"no witness file at {witness_path}: a cut tail after the newest signed "
                "checkpoint is seen only by the head's MAC"
            )
        else:
            external.append(("the witness", found))
    with read_snapshot(engine) as query:
        checkpoints = _checkpoints(query)
        head = _head(query)
        rows = _rows(query) if progress is None else _counted(_rows(query), head.seq, progress)
        result = verifier.verify_stream(
            rows,
            checkpoints,
            public_key,
            external,
            claimed_last_seq=head.seq,
            chain_key=chain_key,
            head=head,
            every=every,
        )
    if missing_witness and result.events:
        return replace(result, warnings=(*result.warnings, *missing_witness))
    return result


def verify_database(
    engine: Engine,
    public_key: Ed25519PublicKey,
    external: Sequence[tuple[str, chain.Checkpoint]] = (),
    progress: Callable[[int, int], None] | None = None,
) -> verifier.Verification:
    """The outside verifier's view of the database (no chain key, no witness)."""
    return verify_log(
        engine, public_key, chain_key=None, saved_checkpoints=external, progress=progress
    )


def _counted(
    rows: Iterator[chain.Row], head: int, progress: Callable[[int, int], None]
) -> Iterator[chain.Row]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % 10_000 == 0:
            progress(done, head)
    progress(done, head)


@dataclass(frozen=True)
class ExportSummary:
    events: int
    checkpoints: int
    head_seq: int


def _open_new(path: Path) -> Any:
    # 0600 from the first byte: the export holds staff ids and case ids.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "w", encoding="ascii", newline="\n")


def export(
    engine: Engine,
    out_dir: Path,
    public_key: Ed25519PublicKey,
    *,
    seqs: tuple[int, int] | None = None,
) -> ExportSummary:
    """Write events, checkpoints, public key and head of one snapshot into ``out_dir``.

    ``seqs``: only the events ``first..last`` (an epoch's archive) with the checkpoints from
    ``first - 1`` (the previous epoch's final one, where the chain continues) to ``last``;
    the export then claims to end at ``last``. Every file is fsynced.

    Raises:
        FileExistsError: ``out_dir`` exists and is not empty (nothing is overwritten).
    """
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    events = 0
    low, high = seqs if seqs is not None else (1, None)
    with read_snapshot(engine) as query:
        checkpoints = [
            cp
            for cp in _checkpoints(query)
            if cp.seq >= low - 1 and (high is None or cp.seq <= high)
        ]
        head = _head_seq(query) if high is None else high
        with _open_new(out_dir / "checkpoints.jsonl") as out:
            for cp in checkpoints:
                out.write(json.dumps({"seq": cp.seq, "note": cp.note()}, ensure_ascii=True))
                out.write("\n")
            _sync(out)
        with _open_new(out_dir / "events.jsonl") as out:
            for row in _rows(query, seqs):
                out.write(chain.row_to_json(row) + "\n")
                events += 1
            _sync(out)
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with _open_new(out_dir / "audit-signing.pub") as out:
        out.write(pem.decode("ascii"))
        _sync(out)
    manifest = {
        "format": EXPORT_FORMAT,
        "head_seq": head,
        "events": events,
        "checkpoints": len(checkpoints),
        "exported_at": chain.format_time(utcnow()),
    }
    with _open_new(out_dir / "head.json") as out:
        out.write(json.dumps(manifest, indent=2) + "\n")
        _sync(out)
    return ExportSummary(events, len(checkpoints), head)


def _sync(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())
