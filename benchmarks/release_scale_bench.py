"""The issue-10 benchmark: 11 real releases against a full register, 40 offices × 250 cases a year.

Builds an installation with ``--offices`` offices and ``--cases`` synthetic statistical records
per office and year (2025 and 2026, :func:`benchmarks.aggregate_bench.bulk_insert`: real
vocabulary, no case files), then

1. **fills the register** with funding previews of the other offices (year, halves, quarters;
   each preview also shows the previous year's figures for the trend, so it adds two entries),
   and at register sizes of about 0, 10, 50, 100, 200 and 500 entries times one *probe*: the
   funding preview of office 1 for 2026 against the register as it is then (rolled back, so the
   probe never enters the register). Peak memory (``ru_maxrss``) is printed with it;
2. **builds the 11 releases** of office 1 through ``service.build_release`` (PDF and CSV
   included, stored): 2026, both halves, the four quarters (funding), the campaign report of
   2026, then the pooled year and halves of all offices (funding; ``--no-pooled`` leaves them
   out) — each against the full register.

Every step goes through the check across releases (``Policy()``, the default). A refused
release is counted and named, not an error.

    python -m benchmarks.release_scale_bench [--offices 40] [--cases 250] [--register 500]
                                             [--keep NEW_DIR] [--database-url URL] [--no-pooled]
                                             [--builds 2026,2026-H1,...] [--resume KEPT_DIR]

``--builds`` builds only the named releases of office 1 (``PERIOD`` or ``PERIOD:campaign``, in
the order given; ``none`` for none), e.g. to keep an installation with the year built and then
time one half-year against copies of it: ``--resume COPY --builds 2026-H1`` reopens a kept
installation (SQLite) and skips the inserts and the filling of the register.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.aggregate_bench import bulk_insert, installation, offices
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import Office
from fallstelle.reports import service
from fallstelle.reports.models import RegisterEntry, ReportRelease
from fallstelle.reports.protect import ReleaseRefused
from fallstelle.store import Store

PERIODS = ("2026", "2026-H1", "2026-H2", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
CHECKPOINTS = (0, 10, 50, 100, 200, 500)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _entries(store: Store) -> int:
    with store.sessions() as session:
        return session.scalar(select(func.count()).select_from(RegisterEntry)) or 0


def _timed(step: Callable[[], object]) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        step()
        outcome = "ok"
    except ReleaseRefused:
        outcome = "refused"
    return time.perf_counter() - started, outcome


def probe(store: Store, office: int) -> tuple[float, str]:
    """The funding preview of ``office`` for 2026, rolled back afterwards."""
    with store.sessions() as session:
        try:
            return _timed(
                lambda: service.preview(
                    session,
                    Actor.operator(),
                    period="2026",
                    office_ids=[office],
                    template="funding",
                )
            )
        finally:
            session.rollback()


def fill(store: Store, ids: list[int], target: int) -> None:
    plan = [(o, p) for o in ids[1:] for p in PERIODS]
    refused = 0
    size = _entries(store)
    marks = [c for c in CHECKPOINTS if c <= target]
    for office, period in [(None, None), *plan]:
        while marks and size >= marks[0]:
            seconds, outcome = probe(store, ids[0])
            print(f"  register {size:4d} entries: probe (2026, office 1) {seconds:6.2f} s "
                  f"({outcome}), peak RSS {_rss_mb():.0f} MB", flush=True)  # fmt: skip
            marks.pop(0)
        if not marks:
            break
        if office is None:
            continue
        with store.sessions() as session, session.begin():
            seconds, outcome = _timed(lambda s=session, o=office, p=period: service.preview(
                s, Actor.operator(), period=p, office_ids=[o], template="funding"))  # fmt: skip
        refused += outcome == "refused"
        size = _entries(store)
    print(f"  filled: {size} entries, {refused} refused previews while filling")


def releases(
    store: Store, ids: list[int], pooled: bool = True, builds: list[str] | None = None
) -> None:
    plan = [(p, [ids[0]], "funding") for p in PERIODS]
    plan.append(("2026", [ids[0]], "campaign"))
    if builds is not None:  # only these, in this order
        plan = [(b.split(":")[0], [ids[0]], [*b.split(":"), "funding"][1]) for b in builds]
        pooled = False
    if pooled:  # last: one LP over every office (80 minutes and more for 40 offices)
        plan += [(p, ids, "funding") for p in PERIODS[:3]]
    for period, chosen, template in plan:
        steps: dict[str, float] = {}
        built: list[ReportRelease] = []
        with store.sessions() as session, session.begin():
            seconds, outcome = _timed(lambda s=session, p=period, c=chosen, t=template, b=built,
                                      w=steps: b.append(service.build_release(
                                          s, Actor.operator(), period=p, office_ids=c,
                                          template=t, timings=w)))  # fmt: skip
        who = "office 1" if len(chosen) == 1 else f"{len(chosen)} offices"
        print(f"  build {template:8s} {period:8s} {who:11s} {seconds:6.2f} s ({outcome}), "
              f"register {_entries(store)}, peak RSS {_rss_mb():.0f} MB", flush=True)  # fmt: skip
        if built:  # where the time went, and what was stored (to compare two runs)
            digests = f"pdf {built[0].pdf_sha256[:12]}, csv {built[0].csv_sha256[:12]}"
            print("    " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()) + "; " + digests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--offices", type=int, default=40)
    parser.add_argument("--cases", type=int, default=250, help="per office and year")
    parser.add_argument("--register", type=int, default=500, help="entries before the builds")
    parser.add_argument("--keep", type=Path, help="build the installation here (else a temp dir)")
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite")
    parser.add_argument(
        "--no-pooled", action="store_true", help="office 1's 8 releases only, no pooled ones"
    )
    parser.add_argument("--builds", help="office 1's releases to build, comma-separated")
    parser.add_argument("--resume", type=Path, help="a kept installation: no inserts, no filling")
    args = parser.parse_args()
    builds = None if args.builds is None else [b for b in args.builds.split(",") if b != "none"]
    if args.resume:
        for store in installation(args.resume, args.database_url):
            with store.sessions() as session:
                ids = sorted(session.scalars(select(Office.id).where(Office.code.like("S%"))))
            print(f"resumed {args.resume}: {len(ids)} offices, register {_entries(store)}")
            releases(store, ids, pooled=not args.no_pooled, builds=builds)
        return
    directory = args.keep or Path(tempfile.mkdtemp(prefix="release-scale-"))
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"{args.keep} is not empty: the register must start empty")
    directory.mkdir(parents=True, exist_ok=True)
    for store in installation(directory, args.database_url):
        started = time.perf_counter()
        ids = offices(store, args.offices, prefix="S")
        n = args.offices * args.cases
        bulk_insert(store, n, ids, [2026], seed=1)
        bulk_insert(store, n, ids, [2025], seed=2)
        print(f"{args.offices} offices × {args.cases} cases a year (2025, 2026) in "
              f"{time.perf_counter() - started:.0f} s; installation {directory}")  # fmt: skip
        print("1. register grows (funding previews of offices 2 …):")
        fill(store, ids, args.register)
        print("2. the 11 releases of office 1 and the pooled offices, against the full register:")
        releases(store, ids, pooled=not args.no_pooled, builds=builds)


if __name__ == "__main__":
    main()
