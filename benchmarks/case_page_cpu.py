"""CPU per audited case-page read, in process, with a breakdown by phase (issue 15).

Run from the repository root against an installation kept by the request benchmark::

    python benchmarks/request_bench.py --cases 10000 --seconds 5 --keep /tmp/bench-10k
    python benchmarks/case_page_cpu.py /tmp/bench-10k                 # best of 5 × 100
    python benchmarks/case_page_cpu.py /tmp/bench-10k --rounds 7 --requests 200
    python benchmarks/case_page_cpu.py /tmp/bench-pg --database-url postgresql+psycopg://…
    python benchmarks/case_page_cpu.py /tmp/bench-10k --profile /tmp/case.prof
    python benchmarks/case_page_cpu.py /tmp/bench-10k --dump /tmp/pages.html  # 20 pages

One counsellor (``bench6`` of the request benchmark) signs in with Flask's test client and
reads the case pages of the first page of the case list, one request at a time, in one
thread: every read goes the whole way (session cookie, guard, access check, decryption,
rendering, audit event durable through the group commit). For each round the process CPU
time per request is measured; the best round is printed with the CPU of each phase (timers
wrapped around the functions named in ``PHASES``; phases nest: ``get_case`` is part of
``page.load``), then ``/health`` alone (the fixed cost of a request). ``--dump`` writes the
rendered pages with CSRF tokens masked, to diff the output of two versions of the code.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import importlib
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "ein langer Satz als Passwort"  # noqa: S105 - the request benchmark's accounts
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
#: Every CSRF token in a page (forms put the attributes in either order).
ANY_TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')
#: (module, attribute path, label): the phases timed in every request.
PHASES = (
    ("fallstelle.web.sessions", "ServerSessionInterface.open_session", "session row"),
    ("fallstelle.web.sessions", "ServerSessionInterface.save_session", "session save"),
    ("fallstelle.web.guard", "load_signed_in_actor", "actor"),
    ("fallstelle.cases.page", "load", "page.load"),
    ("fallstelle.cases.service", "get_case", "  get_case"),
    ("fallstelle.web.cases", "render_template", "render"),
    ("fallstelle.web.pipeline", "RequestContext.commit", "audit commit"),
)


def wrap(timers: collections.Counter[str], module: str, path: str, label: str) -> None:
    owner: Any = importlib.import_module(module)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    inner: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            timers[label] += time.process_time() - started

    setattr(owner, name, timed)


def signed_in(base: Path, user: str, database_url: str = "") -> tuple[Any, list[str]]:
    """The app of a request-benchmark installation, a test client signed in as ``user`` (a
    TOTP code already used waits for the next one), and the case paths of the first list page."""
    os.environ.update(
        FALLSTELLE_DATA_DIR=str(base / "data"),
        FALLSTELLE_KEYS_DIR=str(base / "keys"),
        FALLSTELLE_BCRYPT_ROUNDS="4",
    )
    if database_url:
        os.environ["FALLSTELLE_DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    import pyotp

    from fallstelle import create_app
    from fallstelle.runtime import get_runtime

    app = create_app()
    get_runtime(app).open(app)
    client = app.test_client()

    def form(path: str, fields: dict[str, str]) -> int:
        page = client.get(path).get_data(as_text=True)
        token = TOKEN.search(page)
        assert token, f"no CSRF token on {path}"
        return client.post(path, data={**fields, "csrf_token": token.group(1)}).status_code

    assert form("/anmelden", {"username": user, "password": PASSWORD}) == 302
    totp = pyotp.TOTP((base / "data" / f"{user}.totp").read_text().strip())
    while form("/anmelden/code", {"code": totp.now()}) != 302:  # a used code: the next one
        time.sleep(31 - time.time() % 30)
    listing = client.get("/faelle").get_data(as_text=True)
    paths = [
        f"/faelle/{i}" for i in sorted(set(re.findall(r'href="/faelle/([0-9a-f-]{36})"', listing)))
    ]
    assert paths, "no cases on the case list"
    return client, paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("installation", type=Path, help="a --keep directory of request_bench")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100, help="requests per round")
    parser.add_argument("--user", default="bench6")
    parser.add_argument("--profile", type=Path, help="write a cProfile of one more round")
    parser.add_argument("--dump", type=Path, help="write 20 rendered pages, tokens masked")
    options = parser.parse_args()
    client, paths = signed_in(options.installation, options.user, options.database_url)
    if options.dump:
        pages = []
        for path in paths[:20]:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            pages.append(ANY_TOKEN.sub(r'\1…"', response.get_data(as_text=True)))
        options.dump.write_text("\n=====\n".join(pages))
        print(f"wrote {len(pages)} pages to {options.dump}")
    timers: collections.Counter[str] = collections.Counter()
    for module, path, label in PHASES:
        wrap(timers, module, path, label)
    for path in paths[:10]:  # warm: templates compiled, caches filled
        client.get(path)
    n = options.requests
    best: tuple[float, float, dict[str, float]] | None = None
    for _ in range(options.rounds):
        timers.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            response = client.get(paths[i % len(paths)])
            assert response.status_code == 200, response.status_code
        cpu = (time.process_time() - cpu) / n * 1000
        wall = (time.perf_counter() - wall) / n * 1000
        if best is None or cpu < best[1]:
            best = (wall, cpu, {k: v / n * 1000 for k, v in timers.items()})
    assert best is not None
    wall, cpu, phases = best
    print(f"case page, best of {options.rounds} × {n}: cpu {cpu:.2f} ms/request "
          f"(wall {wall:.2f} ms; load {os.getloadavg()[0]:.1f})")  # fmt: skip
    for _, _, label in PHASES:
        print(f"  {label:14} {phases.get(label, 0.0):6.2f} ms")
    for path in ("/health",):
        client.get(path)
        started = time.process_time()
        for _ in range(n):
            client.get(path)
        print(f"{path}: cpu {(time.process_time() - started) / n * 1000:.2f} ms/request")
    if options.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(n):
            client.get(paths[i % len(paths)])
        profiler.disable()
        profiler.dump_stats(options.profile)
        print(f"profile of {n} case pages: {options.profile}")


if __name__ == "__main__":
    main()
