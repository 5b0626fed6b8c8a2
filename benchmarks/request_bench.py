"""Request-path benchmark (issue 15): audited reads at full speed, against a floor app.

Run from the repository root::

    python -m benchmarks.request_bench                       # 10,000 cases, SQLite
    python -m benchmarks.request_bench --cases 100000 --keep /tmp/bench-100k
    python -m benchmarks.request_bench --database-url postgresql+psycopg://…/bench
    python -m benchmarks.request_bench --workers 1,2 --threads 8

Builds an installation (``flask init`` + ``flask demo --cases N``; ``--keep DIR`` reuses one),
adds eight enrolled counsellors of the demo office, and for each worker count of
``--workers`` (default: one process, then ``run.py``'s default) starts the real server
(``python run.py --workers W --threads T``) and the floor app served the same way (the same
pre-forked waitress workers, ``cli.workers``), and measures over loopback:

1. one client, one request at a time: p50/p95 of the case list, the dashboard (home page)
   and a case page (goal: p95 < 100 ms at 10,000 cases, < 250 ms at 100,000);
2. eight signed-in counsellors reading random case pages for ``--seconds`` (30), and the same
   client against the floor app (``benchmarks/floor_app.py``: Flask + SQLAlchemy + AES-GCM,
   50 rows, no audit; on the app's database server, or a SQLite file with
   ``--floor-on-sqlite``), in turns of ``--seconds / --pairs`` (app, floor, floor, app, …; both
   servers run the whole time, only one is loaded): requests per second of both (goal: ≥ 50 %
   of the floor), errors (goal: 0). The turns keep a load that changes during the run (the
   machine is shared) from falling on one side only: one 30 s block each, back to back,
   gave ratios from 42 % to 57 % on the same code;
3. afterwards ``flask audit verify`` on the installation: every read is in the chain.

Before the turns of each round both servers get ``--warmup`` seconds (5) of the same load,
not counted: each worker process compiles its templates and fills its caches on its first
requests, and a round's first turn of the app ran cold (2 workers on SQLite, quiet machine:
281 req/s in the cold first turn, 418 and 405 in the two after it; the floor 729–739 in all).

The floor reads the database the app reads: with ``--database-url`` PostgreSQL, so the floor
also pays a round trip to a server on the same two cores (until 2026-12-04 the floor always
read a SQLite file in its own process; ``--floor-on-sqlite`` measures that way again).

The machine's load average is printed beside the numbers: compare only within one run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyotp

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "ein langer Satz als Passwort"  # noqa: S105 - a benchmark account
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CLIENTS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "fallstelle", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


@dataclass
class Client:
    """One browser: a keep-alive connection and the session cookie."""

    port: int
    cookie: str = ""
    conn: http.client.HTTPConnection = field(init=False)

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body or None, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("fallstelle_session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        _, _, page = self.request("GET", path)
        token = TOKEN.search(page)
        assert token, f"no CSRF token on {path}"
        from urllib.parse import urlencode

        return self.request("POST", path, urlencode({**fields, "csrf_token": token.group(1)}))

    def sign_in(self, username: str, secret: str) -> None:
        status, _, _ = self.form("/anmelden", {"username": username, "password": PASSWORD})
        assert status == 302, f"password step: {status}"
        status, where, _ = self.form("/anmelden/code", {"code": pyotp.TOTP(secret).now()})
        assert status == 302 and where.endswith("/"), f"code step: {status}"


def make_counsellors(env: dict[str, str], n: int) -> list[tuple[str, str]]:
    """Enrolled counsellors of office DEMO: (username, TOTP secret)."""
    code = f"""
import time, pyotp
from fallstelle.config import Settings
from fallstelle.store import open_store
from fallstelle.auth import login, service
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import Office, User
from fallstelle.db import utcnow
from sqlalchemy import select
store = open_store(Settings.from_env())
with store.sessions() as s, s.begin():
    office = s.scalars(select(Office.id).where(Office.code == "DEMO")).one()
    for i in range({n}):
        name = f"bench{{i}}"
        if s.scalar(select(User.id).where(User.username == name)):
            print(name, open(f"{{store.settings.data_dir}}/{{name}}.totp").read().strip())
            continue
        user, token = service.create_user(s, Actor.operator(), utcnow(), name, name,
                                          ["counsellor"], [office])
        req = login.Request(pepper=store.keys.pepper, rounds=store.settings.bcrypt_rounds,
                            now=utcnow())
        secret = login.set_password_from_link(s, req, token, {PASSWORD!r})
        step = int(time.time() // 30) - 1
        login.confirm_enrolment(s, req, token, pyotp.TOTP(secret).generate_otp(step))
        open(f"{{store.settings.data_dir}}/{{name}}.totp", "w").write(secret)
        print(name, secret)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return [tuple(line.split()) for line in out.splitlines()]  # type: ignore[misc]


NEXT = re.compile(r'href="(/faelle\?[^"]*)" rel="next"')


def list_pages(client: Client, pages: int) -> tuple[list[str], list[str]]:
    """The first ``pages`` pages of the case list (following its "next" links: keyset
    cursors), and the case ids they show."""
    found: list[str] = []
    paths = ["/faelle"]
    while True:
        _, _, text = client.request("GET", paths[-1])
        found += re.findall(r'href="/faelle/([0-9a-f-]{36})"', text)
        following = NEXT.search(text)
        if following is None or len(paths) == pages:
            return paths, sorted(set(found))
        paths.append(following.group(1).replace("&amp;", "&"))


def wait_ready(port: int, process: subprocess.Popen[bytes], path: str = "/health") -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit("the server stopped")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not answer")


def single(client: Client, paths: list[str], n: int) -> tuple[float, float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        status, _, _ = client.request("GET", paths[i % len(paths)])
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def load(clients: list[Client], paths: list[str], seconds: float) -> tuple[float, int, float]:
    """Every client reads random paths until time is up: requests/s, errors, p95 ms."""
    stop = time.perf_counter() + seconds
    counts = [0] * len(clients)
    errors = [0] * len(clients)
    latencies: list[list[float]] = [[] for _ in clients]
    pick = random.Random(7)
    statuses: list[int] = []

    def run(i: int) -> None:
        client = clients[i]
        while time.perf_counter() < stop:
            path = paths[pick.randrange(len(paths))]
            started = time.perf_counter()
            try:
                status, _, _ = client.request("GET", path)
            except (OSError, http.client.HTTPException):
                status = 0
                client.conn.close()
            latencies[i].append((time.perf_counter() - started) * 1000)
            counts[i] += 1
            if status != 200:
                errors[i] += 1
                statuses.append(status)

    for client in clients:  # idle keep-alive connections time out (waitress: 120 s): start fresh
        client.conn.close()
    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    every = sorted(x for lat in latencies for x in lat)
    if statuses:  # say what went wrong (0: the connection failed or timed out)
        print(f"  error statuses: {sorted(set(statuses))}", file=sys.stderr)
    return sum(counts) / elapsed, sum(errors), every[int(len(every) * 0.95) - 1]


def cpu_seconds(pids: set[int]) -> dict[str, float]:
    """CPU seconds (user + system) so far: of the processes ``pids`` and their children
    ("server", and its system part), of PostgreSQL's processes ("postgres": all of them, the
    machine's), and of this process, the client ("client")."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {"server": 0.0, "of it system": 0.0, "postgres": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name, fields = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()
        used = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        if int(stat.parent.name) in pids or int(fields[1]) in pids:  # the process, its children
            found["server"] += used
            found["of it system"] += int(fields[12]) / tick  # the kernel's part (stime)
        elif name.startswith("postgres"):
            found["postgres"] += used
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {**found, "client": own.ru_utime + own.ru_stime}


def wal_syncs(database_url: str) -> tuple[int, float] | None:
    """PostgreSQL's WAL flushes so far and their milliseconds (``pg_stat_wal``; the time only
    with ``track_wal_io_timing = on``), or None on SQLite: each durable commit of the app's
    audit batches is one, so syncs per request show how many events a batch carried."""
    if not database_url:
        return None
    import psycopg

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT wal_sync, wal_sync_time FROM pg_stat_wal").fetchone()
    return (int(row[0]), float(row[1])) if row else None


def paired(
    clients: list[Client],
    pages: list[str],
    floor_clients: list[Client],
    seconds: float,
    pairs: int,
    workers: int,
    servers: tuple[int, int],
    database_url: str = "",
) -> None:
    """The load phase: the app and the floor app in turns (app, floor, floor, app, …), each
    for ``seconds / pairs``, so that a load that drifts during the run (another process
    starting or ending) weighs on both alike; prints each turn, and the ratio of the totals
    (``seconds`` for each), and where the CPU went: milliseconds per request of the server
    (``servers``: the app's and the floor's process ids, with their workers), PostgreSQL and
    the client. Those do not depend on the machine's other load as much as req/s do."""
    turn = seconds / pairs
    done: dict[str, list[float]] = {"app": [0.0, 0, 0.0], "floor": [0.0, 0, 0.0]}  # n, errors, p95
    spent: dict[str, dict[str, float]] = {"app": {}, "floor": {}}
    syncs = [0, 0.0]  # the app's turns: WAL flushes, their milliseconds
    for i in range(2 * pairs):
        which = "app" if i % 4 in (0, 3) else "floor"
        group, paths = (clients, pages) if which == "app" else (floor_clients, ["/"])
        pid = servers[0] if which == "app" else servers[1]
        before, wal_before = cpu_seconds({pid}), wal_syncs(database_url)
        rps, errors, p95 = load(group, paths, turn)
        after, wal_after = cpu_seconds({pid}), wal_syncs(database_url)
        if which == "app" and wal_before and wal_after:
            syncs[0] += wal_after[0] - wal_before[0]
            syncs[1] += wal_after[1] - wal_before[1]
        for part, used in after.items():
            spent[which][part] = spent[which].get(part, 0.0) + used - before[part]
        total = done[which]
        total[0] += rps * turn
        total[1] += errors
        total[2] = max(total[2], p95)
        print(f"  {which:5} {turn:4.1f} s: {rps:6.1f} req/s, {errors} errors, p95 {p95:.0f} ms "
              f"({load_avg()})")  # fmt: skip
    app, floor = done["app"], done["floor"]
    for name, (requests, failed, worst) in (("case pages", app), ("floor app", floor)):
        print(
            f"{CLIENTS} clients, {name}, {seconds:.0f} s in {pairs} turns: "
            f"{requests / seconds:6.1f} req/s, {failed:.0f} errors, worst p95 {worst:.0f} ms"
        )
    for which, (requests, _, _) in done.items():
        used = spent[which].items()
        per = ", ".join(f"{part} {1000 * cpu / requests:.2f}" for part, cpu in used)
        print(f"  CPU ms per request, {which}: {per}")
    if syncs[0]:
        timed = f", {syncs[1] / syncs[0]:.2f} ms each" if syncs[1] else ""
        print(f"  PostgreSQL WAL flushes during the app's turns: {syncs[0] / app[0]:.2f} per "
              f"request{timed}")  # fmt: skip
    print(f"fallstelle / floor with {workers} worker(s): {app[0] / floor[0]:.0%} (goal ≥ 50 %)")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("a") as out:  # what the server said, e.g. about an error
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # run.py stops its workers and checkpoints
    process.wait(timeout=60)


def load_avg() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from fallstelle.cli.workers import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", type=Path, help="installation directory to build or reuse")
    parser.add_argument(
        "--workers", default=f"1,{default_workers()}",
        help="worker processes, comma-separated: one round each (default: 1 and run.py's)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument(
        "--pairs", type=int, default=3,
        help="turns of app and floor in the load phase (default 3: app, floor, floor, app, …)",
    )  # fmt: skip
    parser.add_argument(
        "--warmup", type=float, default=5.0,
        help="seconds of load on each server before the turns, not counted (default 5)",
    )  # fmt: skip
    parser.add_argument(
        "--floor-on-sqlite", action="store_true",
        help="the floor reads a SQLite file even when the app uses --database-url",
    )  # fmt: skip
    options = parser.parse_args()
    rounds = list(dict.fromkeys(int(w) for w in options.workers.split(",")))
    base = options.keep or Path(tempfile.mkdtemp(prefix="request-bench-"))
    env = {
        **os.environ,
        "FALLSTELLE_DATA_DIR": str(base / "data"),
        "FALLSTELLE_KEYS_DIR": str(base / "keys"),
        "FALLSTELLE_BCRYPT_ROUNDS": "4",
    }
    if options.database_url:
        env["FALLSTELLE_DATABASE_URL"] = options.database_url
    if not (base / "built").exists():
        started = time.perf_counter()
        flask(env, "init")
        flask(env, "demo", "--cases", str(options.cases))
        (base / "built").write_text(str(options.cases))
        print(f"built {options.cases:,} demo cases in {time.perf_counter() - started:.0f} s")
    flask(env, "init")  # a kept installation is brought to this version's schema
    accounts = make_counsellors(env, CLIENTS)
    floor_dir = Path(tempfile.mkdtemp(prefix="floor-"))
    floor_db = str(floor_dir / "floor.db")
    if options.database_url and not options.floor_on_sqlite:
        floor_db = options.database_url
    print(f"cases: {options.cases:,}; database: {options.database_url or 'SQLite'}; "
          f"floor: {'the same' if floor_db == options.database_url else 'SQLite'}; "
          f"threads per worker: {options.threads}")  # fmt: skip
    clients: list[Client] = []
    try:
        for workers in rounds:
            served = ["--workers", str(workers), "--threads", str(options.threads)]
            port, floor_port = free_port(), free_port()
            server = start([sys.executable, "run.py", "--port", str(port), *served], env,
                           base / "server.log")  # fmt: skip
            floor = start([sys.executable, str(ROOT / "benchmarks" / "floor_app.py"),
                           floor_db, str(floor_port), *served],
                          env, floor_dir / "floor.log")  # fmt: skip
            try:
                wait_ready(port, server)
                wait_ready(floor_port, floor, "/")
                if not clients:  # signed in once: the sessions live in the database
                    clients = [Client(port) for _ in range(CLIENTS)]
                    for client, (name, secret) in zip(clients, accounts, strict=True):
                        client.sign_in(name, secret)
                    list_paths, ids = list_pages(clients[0], 20)
                    pages = [f"/faelle/{i}" for i in ids]
                for client in clients:
                    client.port = port
                    client.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                print(f"--- {workers} worker process(es) × {options.threads} threads "
                      f"({load_avg()})")  # fmt: skip
                if workers == rounds[0]:
                    print("single client, 200 requests each (ms):")
                    for label, paths in (
                        ("case list", list_paths),
                        ("dashboard", ["/"]),
                        ("case page", pages),
                    ):
                        p50, p95 = single(clients[0], paths, 200)
                        print(f"  {label:10} p50 {p50:6.1f}  p95 {p95:6.1f}")
                floor_clients = [Client(floor_port) for _ in range(CLIENTS)]
                if options.warmup > 0:  # every worker process compiles its templates, fills
                    # its caches and its connections' statement caches on its first requests
                    for group, paths in ((clients, pages), (floor_clients, ["/"])):
                        load(group, paths, options.warmup)
                    print(f"  warm-up: {options.warmup:.0f} s each, not counted")
                paired(clients, pages, floor_clients, options.seconds, options.pairs, workers,
                       (server.pid, floor.pid), options.database_url)  # fmt: skip
            finally:
                stop(server)
                stop(floor)
    finally:
        shutil.rmtree(floor_dir, ignore_errors=True)
    verified = flask(env, "audit", "verify")
    print("audit verify:", verified.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
