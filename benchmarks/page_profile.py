"""Where a page's time goes (issue 15): its SQL statements with their times, and a profile.

Run from the repository root against an installation the request benchmark kept, with the
same environment (``FALLSTELLE_DATA_DIR``, ``FALLSTELLE_KEYS_DIR`` and, for PostgreSQL,
``FALLSTELLE_DATABASE_URL``)::

    python -m benchmarks.page_profile / /faelle --user bench0 --repeat 20 [--profile]

Signs in in-process (the Flask test client; the TOTP secret from ``DATA_DIR/<user>.totp``
that ``benchmarks.request_bench`` wrote), requests each path once to warm the caches, then
``--repeat`` times, and prints per path the p50/p95 wall time and, for the last request, every
statement with its time (the slowest first). ``--profile`` adds the cProfile of the repeats
(the 25 most expensive functions by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

import pyotp
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "ein langer Satz als Passwort"  # noqa: S105 - the benchmark's account
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from fallstelle import create_app
    from fallstelle.runtime import get_runtime

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--user", default="bench0")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (pstats)")
    options = parser.parse_args()
    app = create_app()
    store = get_runtime(app).open(app)
    client = app.test_client()

    def form(path: str, fields: dict[str, str]) -> int:
        page = client.get(path).get_data(as_text=True)
        token = TOKEN.search(page)
        assert token, f"no CSRF token on {path}"
        return client.post(path, data={**fields, "csrf_token": token.group(1)}).status_code

    secret = (Path(os.environ["FALLSTELLE_DATA_DIR"]) / f"{options.user}.totp").read_text()
    assert form("/anmelden", {"username": options.user, "password": PASSWORD}) == 302
    assert form("/anmelden/code", {"code": pyotp.TOTP(secret.strip()).now()}) == 302

    seen: list[tuple[float, str]] = []
    started: dict[int, float] = {}

    def before(_c: object, cursor: object, *_a: object) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(_c: object, cursor: object, statement: str, params: object, *_a: object) -> None:
        took = (time.perf_counter() - started.pop(id(cursor), time.perf_counter())) * 1000
        seen.append((took, f"{statement} -- {params!r}"[:1500]))

    for engine in {store.engine, store.read_engine}:
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
    for path in options.paths:
        assert client.get(path).status_code == 200, path
        times = []
        profile = cProfile.Profile()
        for _ in range(options.repeat):
            seen.clear()
            begun = time.perf_counter()
            if options.profile:
                profile.enable()
            response = client.get(path)
            if options.profile:
                profile.disable()
            times.append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        times.sort()
        p95 = times[max(int(len(times) * 0.95) - 1, 0)]
        sql = sum(t for t, _ in seen)
        print(f"=== {path}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms; "
              f"last: {len(seen)} statements, {sql:.1f} ms SQL, "
              f"{len(response.get_data())} bytes")  # fmt: skip
        for took, statement in sorted(seen, reverse=True):
            print(f"  {took:7.2f} ms  {' '.join(statement.split())[:400]}")
        if options.profile:
            pstats.Stats(profile).sort_stats(options.sort).print_stats(25)


if __name__ == "__main__":
    main()
