"""Time backup, verify and restore of 10,000 cases with attachments, and a KEK rotation of
100,000 data keys while the app serves (issue 12). Not a test.

Creates a fresh installation in a temporary directory (SQLite, or an empty PostgreSQL
database with ``--database-url``; restore then needs ``--restore-url``, another empty one),
bulk-inserts cases with Core ``INSERT`` — each with a valid wrapped data key, an encrypted-
looking payload and one attachment entry and file (``--attachment-kb``) — then times
``backup create``, ``backup verify`` and ``backup restore`` (sizes too). For the rotation it
tops the cases up to ``--rotate`` data keys, starts ``run.py`` on the installation, measures
the request latency of the sign-in page before and during ``keys rotate``, and times the
rotation. (More random kill points than the suite's 50: raise ``KILLS`` in
``tests/cases/test_rotation.py`` and run that test.)

    python -m benchmarks.backup_bench [--cases 10000] [--rotate 100000] [--attachment-kb 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import insert

from fallstelle import crypto
from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Role
from fallstelle.backup import archive, identity, restore
from fallstelle.cases import rotation, sealing
from fallstelle.cases.models import Case, CaseEntry
from fallstelle.config import Settings
from fallstelle.db import utcnow
from fallstelle.store import Store, initialise, open_store
from tests.auth.factories import make_office

ROOT = Path(__file__).resolve().parents[1]


def _blob(size: int) -> bytes:
    return bytes([crypto.FORMAT_V1]) + os.urandom(size - 1)


def fill(
    store: Store,
    first: int,
    count: int,
    office: int,
    lead: str,
    files: Path | None,
    attachment_bytes: int,
) -> None:
    keyring = store.keys.keyring
    now = utcnow()
    batch = 2000
    for start in range(first, first + count, batch):
        cases, entries = [], []
        for i in range(start, min(first + count, start + batch)):
            case_id = uuid.uuid4()
            cases.append(
                {
                    "id": case_id,
                    "office_id": office,
                    "case_number": f"{2000 + i // 90000}-{i % 90000:05d}",
                    "lead_counsellor_id": lead,
                    "status": "in_beratung",
                    "opened_on": date(2026, 1, 5),
                    "dek_wrapped": keyring.wrap_bound_dek(
                        crypto.new_key(), sealing.binding(case_id, 1, office, lead, ())
                    ),
                    "dek_kid": keyring.primary.hex(),
                    "dek_version": 1,
                    "payload": _blob(700),
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            if files is not None:
                entries.append(
                    {
                        "id": uuid.uuid4(),
                        "case_id": case_id,
                        "kind": "attachment",
                        "payload": _blob(300),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                (files / f"{uuid.uuid4().hex}.bin").write_bytes(_blob(attachment_bytes))
        with store.engine.begin() as conn:
            conn.execute(insert(Case), cases)
            if entries:
                conn.execute(insert(CaseEntry), entries)


def _quiet(_line: str) -> None:
    pass


def _bar(_done: int, _total: int) -> None:
    pass


def timed(label: str, work):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work()
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def serve(settings: Settings, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "FALLSTELLE_DATA_DIR": str(settings.data_dir),
        "FALLSTELLE_KEYS_DIR": str(settings.keys_dir),
        "FALLSTELLE_DATABASE_URL": settings.database_url,
        "FALLSTELLE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "serving on" in line:
            break
    threading.Thread(target=lambda: [None for _ in process.stdout or []], daemon=True).start()
    return process


def latencies(url: str, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        with urllib.request.urlopen(url) as page:  # noqa: S310 - local benchmark
            page.read()
        out.append((time.perf_counter() - started) * 1000)


def p95(values: list[float]) -> str:
    if len(values) < 20:
        return f"n={len(values)}"
    high = statistics.quantiles(values, n=20)[18]
    return f"p50 {statistics.median(values):.0f} ms, p95 {high:.0f} ms, n={len(values)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rotate", type=int, default=100_000)
    parser.add_argument("--attachment-kb", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--restore-url")
    parser.add_argument("--port", type=int, default=5077)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="backup-bench-"))
    data = base / "data"
    url = args.database_url or f"sqlite:///{data / 'fallstelle.db'}"
    settings = Settings(data_dir=data, keys_dir=base / "keys", database_url=url, bcrypt_rounds=4)
    initialise(settings)
    store = open_store(settings)
    with store.sessions() as session, session.begin():
        office = make_office(session, "BENCH").id
        user, _ = accounts.create_user(
            session, Actor.operator(), utcnow(), "bench", "Bench", [Role.COUNSELLOR], [office]
        )
        lead = user.id
    files = data / "attachments"
    files.mkdir(mode=0o700, parents=True, exist_ok=True)
    timed(
        f"fill {args.cases} cases with {args.attachment_kb} KiB attachments",
        lambda: fill(store, 0, args.cases, office, lead, files, args.attachment_kb * 1024),
    )
    raw = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    print(f"data directory: {raw / 1e6:.0f} MB", flush=True)
    path = timed(
        "backup create",
        lambda: archive.create(
            settings,
            store.keys,
            store.engine,
            base / "out",
            app_version="bench",
            say=_quiet,
            bar=_bar,
        ),
    )
    print(f"backup size: {path.stat().st_size / 1e6:.0f} MB", flush=True)
    ident = identity.identity(settings.keys_dir / identity.IDENTITY)
    if settings.is_sqlite:
        timed(
            "backup verify",
            lambda: restore.verify(
                path, ident, store.keys, base, scratch_url=None, say=_quiet, bar=_bar
            ),
        )
        target = replace(settings, data_dir=base / "restored")
        timed(
            "backup restore",
            lambda: restore.restore(
                path, ident, store.keys, target, target.data_dir, say=_quiet, bar=_bar
            ),
        )
    elif args.restore_url:
        target = replace(settings, data_dir=base / "restored", database_url=args.restore_url)
        timed(
            "backup restore (PostgreSQL)",
            lambda: restore.restore(
                path, ident, store.keys, target, target.data_dir, say=_quiet, bar=_bar
            ),
        )
    if args.rotate:
        timed(
            f"top up to {args.rotate} data keys",
            lambda: fill(store, args.cases, args.rotate - args.cases, office, lead, None, 0),
        )
        server = serve(settings, args.port)
        try:
            page = f"http://127.0.0.1:{args.port}/anmelden"
            idle: list[float] = []
            stop = threading.Event()
            thread = threading.Thread(target=latencies, args=(page, stop, idle))
            thread.start()
            time.sleep(10)
            stop.set()
            thread.join()
            print(f"requests idle: {p95(idle)}", flush=True)
            during: list[float] = []
            stop = threading.Event()
            thread = threading.Thread(target=latencies, args=(page, stop, during))
            thread.start()
            done = timed(
                f"keys rotate ({args.rotate} data keys)",
                lambda: rotation.rotate(store.sessions, settings.keys_dir),
            )
            stop.set()
            thread.join()
            print(f"re-wrapped {done.rewrapped}; requests during rotation: {p95(during)}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    store.close()
    print(f"(files in {base})")


if __name__ == "__main__":
    main()
