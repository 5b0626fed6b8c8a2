"""Case-page benchmark (issue 14): a case with 50 entries, p95 < 100 ms at 10,000 cases.

Run from the repository root, on an installation kept by the request benchmark::

    python benchmarks/request_bench.py --cases 10000 --seconds 5 --keep /tmp/bench10k
    python -m benchmarks.case_page_bench --keep /tmp/bench10k            # --entries 50

Starts the real server (``python run.py``, waitress, 8 threads) on the kept installation,
signs in one of its enrolled counsellors (``bench0``), brings one demo case to ``--entries``
entries by logging contacts and follow-ups through the real forms (a kept installation
keeps them: a second run adds only what is missing), then reads that case page ``--requests``
times, one request at a time over loopback, and prints p50/p95/max in milliseconds; the
print view (``?druck=1``) and a form page of the same case are measured too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.request_bench import ROOT, Client, case_ids, free_port, make_counsellors, wait_ready

GOAL_MS = 100.0
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def measure(client: Client, path: str, n: int) -> tuple[float, float, float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        status, _, _ = client.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, f"{path}: {status}"
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1]


def fill(client: Client, case: str, wanted: int, channel: str) -> int:
    """Log contacts (and every fifth a follow-up) until the case has ``wanted`` entries."""
    today = dt.date.today()
    added = 0
    for i in range(wanted):
        kind = "wiedervorlage" if i % 5 == 4 else "kontakt"
        path = f"/faelle/{case}/{kind}"
        _, _, page = client.request("GET", path)
        version = re.search(r'name="\w+-version" type="hidden" value="(\d+)"', page)
        assert version, page[:500]
        if kind == "kontakt":
            fields = {"contact-version": version.group(1), "contact-on": today.isoformat(),
                      "contact-minutes": "30", "contact-channel": channel,
                      "contact-note": f"Gespräch {i + 1}: Stand besprochen."}  # fmt: skip
        else:
            fields = {"follow_up-version": version.group(1),
                      "follow_up-due_on": (today + dt.timedelta(days=7 + i)).isoformat(),
                      "follow_up-note": f"Wiedervorlage {i + 1}"}  # fmt: skip
        token = CSRF.search(page)
        assert token, f"no CSRF token on {path}"
        status, _, _ = client.request("POST", path, urlencode({**fields, "csrf_token": token[1]}))
        assert status == 302, f"{path}: {status}"
        added += 1
    return added


def open_case(client: Client) -> str:
    """A demo case that takes changes (a closed one only reads)."""
    for case in case_ids(client, 3):
        if client.request("GET", f"/faelle/{case}/kontakt")[0] == 200:
            return case
    raise SystemExit("no open case on the first pages of the case list")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, required=True, help="a kept request_bench install")
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    base = options.keep
    if not (base / "built").exists():
        raise SystemExit(f"{base} is no kept installation: run benchmarks/request_bench.py --keep")
    env = {
        **os.environ,
        "FALLSTELLE_DATA_DIR": str(base / "data"),
        "FALLSTELLE_KEYS_DIR": str(base / "keys"),
        "FALLSTELLE_BCRYPT_ROUNDS": "4",
    }
    if options.database_url:
        env["FALLSTELLE_DATABASE_URL"] = options.database_url
    name, secret = make_counsellors(env, 1)[0]
    port = free_port()
    log = (base / "case-page-server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "run.py", "--port", str(port), "--threads", "8"], cwd=ROOT, env=env,
        stdout=log, stderr=log,
    )  # fmt: skip
    try:
        wait_ready(port, server)
        client = Client(port)
        time.sleep(31 - time.time() % 30)  # a fresh TOTP step: a code is taken once only
        client.sign_in(name, secret)
        marker = base / "case-page-bench.case"
        case = marker.read_text().strip() if marker.exists() else open_case(client)
        marker.write_text(case)
        _, _, form = client.request("GET", f"/faelle/{case}/kontakt")
        channel = re.search(r'<option value="([a-z_]+)"', form.split('name="contact-channel"')[1])
        assert channel
        done = int((base / "case-page-bench.added").read_text()) if (
            base / "case-page-bench.added").exists() else 0  # fmt: skip
        added = fill(client, case, max(0, options.entries - done), channel.group(1))
        (base / "case-page-bench.added").write_text(str(done + added))
        _, _, page = client.request("GET", f"/faelle/{case}")
        print(f"cases: {(base / 'built').read_text().strip()}; database: "
              f"{options.database_url or 'SQLite'}; case page: {len(page) / 1024:.0f} KB, "
              f"{done + added} entries added by the benchmark (plus the demo's own)")  # fmt: skip
        print(f"single client, {options.requests} requests each (ms):")
        worst = 0.0
        for label, path in (("case page", f"/faelle/{case}"),
                            ("print view", f"/faelle/{case}?druck=1"),
                            ("contact form", f"/faelle/{case}/kontakt")):  # fmt: skip
            p50, p95, top = measure(client, path, options.requests)
            worst = max(worst, p95) if label == "case page" else worst
            print(f"  {label:12} p50 {p50:6.1f}  p95 {p95:6.1f}  max {top:6.1f}")
        print(f"case page p95 {worst:.1f} ms (goal < {GOAL_MS:.0f} ms): "
              f"{'met' if worst < GOAL_MS else 'NOT met'}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
