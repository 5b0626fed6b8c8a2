"""Audit log benchmark (issues 4, 11): cost of one event, verifying 1,000,000 events.

Run from the repository root::

    python benchmarks/audit_bench.py                 # both parts, SQLite, temp directory
    python benchmarks/audit_bench.py --events 100000 # a smaller log for part (b)

(a) Median added time of one audit event in a request-sized transaction on SQLite: the same
    transaction (insert one row, commit) with and without ``record()``, interleaved, 1000
    rounds each; the keyed chain (an HMAC per event and on the head, the head's MAC checked),
    a signed checkpoint every 1000 events and the witness file (grouped: at most one write
    per 200 ms) as in production. Target < 2 ms.
(b) Verifying N events: the chain is generated in Python and bulk-inserted (MACs, a signed
    checkpoint every 1000 events, head MAC, witness file), then verified with the chain key
    and the witness in a fresh process that reports wall time and peak RSS (``ru_maxrss``),
    so the generator's memory does not count. Targets for N = 1,000,000: < 60 s, < 200 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from fallstelle.audit import Event, chain, queries, record, witness  # noqa: E402
from fallstelle.config import Settings  # noqa: E402
from fallstelle.store import Store, initialise, open_store  # noqa: E402

INSERT_EVENT = "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


WITNESS_MS = 200


def settings_in(directory: Path) -> Settings:
    return Settings(
        data_dir=directory / "data",
        keys_dir=directory / "keys",
        database_url=f"sqlite:///{directory / 'data' / 'fallstelle.db'}",
        audit_witness_ms=WITNESS_MS,
    )


def bench_record(directory: Path, rounds: int) -> None:
    settings = settings_in(directory)
    initialise(settings)
    store = open_store(settings)
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, v TEXT)"))

    def one(with_event: bool, i: int) -> float:
        start = time.perf_counter()
        with store.sessions() as session:
            session.execute(text("INSERT INTO bench_rows (v) VALUES (:v)"), {"v": f"r{i}"})
            if with_event:
                record(session, Event("case.read", actor_id="u-1", object_id=f"c-{i}"))
            session.commit()
        return time.perf_counter() - start

    for i in range(50):  # warm up
        one(True, i)
        one(False, i)
    plain, audited = [], []
    for i in range(rounds):
        plain.append(one(False, i))
        audited.append(one(True, i))
    med_plain, med_audited = statistics.median(plain), statistics.median(audited)
    print(
        f"(a) {rounds} rounds: median transaction {med_plain * 1000:.3f} ms without, "
        f"{med_audited * 1000:.3f} ms with one event: "
        f"+{(med_audited - med_plain) * 1000:.3f} ms per event (target < 2 ms); "
        f"witness written {writes(settings, store)} times for {rounds + 50} commits with events "
        f"(at most every {WITNESS_MS} ms)"
    )
    store.close()


def writes(settings: Settings, store: Store) -> int:
    key = store.keys.audit_signing_key
    return witness.writer(settings.audit_witness, key, WITNESS_MS / 1000).writes


def generate(directory: Path, events: int) -> Settings:
    settings = settings_in(directory)
    initialise(settings)
    store = open_store(settings)
    key, chain_key = store.keys.audit_signing_key, store.keys.audit_chain_key
    db_file = str(directory / "data" / "fallstelle.db")
    store.close()
    conn = sqlite3.connect(db_file, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # generation only; verification reads normally
    start = time.perf_counter()
    prev, batch, cps = chain.GENESIS, [], []
    conn.execute("BEGIN")
    for seq in range(1, events + 1):
        row = chain.Row(
            seq, 1, f"2026-01-01T00:00:00.{seq % 1_000_000:06d}Z", f"u-{seq % 97}",
            "counsellor", "case.read", "case", f"2026-{seq % 9999:04d}", "ok", None,
            f"r-{seq:x}", "192.0.2.0/24", prev, b"", None,
        )  # fmt: skip
        prev = chain.entry_hash(prev, row)
        batch.append(row._replace(entry_hash=prev, mac=chain.entry_mac(chain_key, prev)))
        if seq % 1000 == 0:
            cp = chain.sign(key, seq, 1, prev, row.time)
            cps.append((cp.seq, cp.epoch, cp.entry_hash, cp.signed_at, cp.key_hint, cp.signature))
        if len(batch) == 20_000:
            conn.executemany(INSERT_EVENT, batch)
            batch.clear()
    if batch:
        conn.executemany(INSERT_EVENT, batch)
    conn.executemany("INSERT INTO audit_checkpoints VALUES (?, ?, ?, ?, ?, ?)", cps)
    head_mac = chain.head_mac(chain_key, events, 1, prev)
    conn.execute("UPDATE audit_head SET seq = ?, entry_hash = ?, mac = ?", (events, prev, head_mac))
    conn.execute("COMMIT")
    conn.close()
    witness.write(settings.audit_witness, chain.sign(key, events, 1, prev, row.time))
    print(f"(b) generated {events} events in {time.perf_counter() - start:.1f} s")
    return settings


def verify_only(directory: Path) -> None:
    store = open_store(settings_in(directory))
    start = time.perf_counter()
    result = queries.verify_log(
        store.engine,
        store.keys.audit_signing_key.public_key(),
        chain_key=store.keys.audit_chain_key,
        witness_path=store.settings.audit_witness,
    )
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"message": result.message(), "seconds": seconds, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--witness-ms", type=int, default=WITNESS_MS)
    parser.add_argument("--verify-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    globals()["WITNESS_MS"] = args.witness_ms
    if args.verify_only:
        verify_only(args.verify_only)
        return
    with tempfile.TemporaryDirectory() as tmp:
        bench_record(Path(tmp) / "a", args.rounds)
        generate(Path(tmp) / "b", args.events)
        out = subprocess.run(
            [sys.executable, __file__, "--verify-only", str(Path(tmp) / "b")],
            capture_output=True,
            text=True,
            check=True,
        )
        found = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"(b) {found['message']}")
        print(
            f"(b) verified in {found['seconds']:.1f} s (target < 60 s), peak RSS of the "
            f"verifying process {found['peak_mb']:.0f} MB (target < 200 MB)"
        )


if __name__ == "__main__":
    main()
