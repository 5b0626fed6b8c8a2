"""The pooled funding year of many offices against a small register (issue 10's open cost).

Builds ``--offices`` offices × ``--cases`` synthetic records per year (2025, 2026, as
:mod:`benchmarks.release_scale_bench`), fills the register with each office's own funding
year preview (``--register year``; ``none``: an empty register), then times the pooled
funding preview of all offices for 2026 (it also checks 2025 for the trend). With
``--profile FILE`` the pooled preview runs under cProfile and the top functions are printed.
``FALLSTELLE_DEBUG_PROTECT=1`` prints every repair round (LPs, fillings reused).

    python -m benchmarks.pooled_bench [--offices 8] [--cases 250] [--register year]
                                      [--keep NEW_DIR] [--profile FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from benchmarks.aggregate_bench import bulk_insert, installation, offices
from benchmarks.release_scale_bench import _entries, _rss_mb, _timed
from fallstelle.auth.actor import Actor
from fallstelle.reports import service
from fallstelle.store import Store


def _preview(store: Store, ids: list[int]) -> tuple[float, str]:
    with store.sessions() as session, session.begin():
        return _timed(lambda: service.preview(session, Actor.operator(), period="2026",
                                              office_ids=ids, template="funding"))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--offices", type=int, default=8)
    parser.add_argument("--cases", type=int, default=250, help="per office and year")
    parser.add_argument("--register", choices=("none", "year"), default="year")
    parser.add_argument("--keep", type=Path, help="build the installation here (else a temp dir)")
    parser.add_argument("--profile", type=Path, help="run the pooled preview under cProfile")
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="pooled-"))
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"{args.keep} is not empty: the register must start empty")
    directory.mkdir(parents=True, exist_ok=True)
    for store in installation(directory, args.database_url):
        ids = offices(store, args.offices, prefix="S")
        n = args.offices * args.cases
        bulk_insert(store, n, ids, [2026], seed=1)
        bulk_insert(store, n, ids, [2025], seed=2)
        if args.register == "year":
            started = time.perf_counter()
            outcomes = [_preview(store, [o])[1] for o in ids]
            print(f"register: {len(ids)} office years in {time.perf_counter() - started:.1f} s "
                  f"({outcomes.count('refused')} refused), {_entries(store)} entries")  # fmt: skip
        profile = cProfile.Profile() if args.profile else None
        if profile:
            profile.enable()
        cpu = time.process_time()
        seconds, outcome = _preview(store, ids)
        cpu = time.process_time() - cpu
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        print(f"pooled year of {len(ids)} offices × {args.cases} cases: {seconds:.1f} s wall, "
              f"{cpu:.1f} s CPU ({outcome}), peak RSS {_rss_mb():.0f} MB", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
