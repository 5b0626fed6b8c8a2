"""Search benchmark (issue 11): search by surname at 10,000 cases per office.

Run from the repository root::

    python benchmarks/search_bench.py                          # SQLite, 10,000 cases
    python benchmarks/search_bench.py --cases 2000 --queries 50
    python benchmarks/search_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB

Creates a fresh installation in a temporary directory (on PostgreSQL: in the given, empty
database), fills office DEMO with synthetic cases (``intake.demo``, realistic surnames, so
common names have many real matches) and a second office ZWEI with a tenth of that, then
times ``cases.queries.search_person`` as a DEMO counsellor: each query is one transaction
with its audit events, as on the search page. Reports the median and 95th percentile
latency, the candidates the blind index returns per query (rows decrypted) and the real
hits, for names that exist and for names that do not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from fallstelle.auth.models import Membership, Office, User
from fallstelle.auth.service import actor_of
from fallstelle.cases import queries, sealing
from fallstelle.cases.models import Case, CaseIdentity
from fallstelle.config import Settings
from fallstelle.intake import demo_data
from fallstelle.intake.demo_run import create_demo
from fallstelle.store import initialise, open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = options.database_url or f"sqlite:///{Path(tmp) / 'data' / 'fallstelle.db'}"
        settings = Settings(Path(tmp) / "data", Path(tmp) / "keys", url, bcrypt_rounds=4)
        initialise(settings)
        store = open_store(settings)
        started = time.perf_counter()
        create_demo(store, options.cases, seed=1, office_code="DEMO")
        create_demo(store, max(1, options.cases // 10), seed=2, office_code="ZWEI")
        print(f"setup: {options.cases:,} + {options.cases // 10:,} cases in "
              f"{time.perf_counter() - started:.0f} s ({settings.database_url.split(':')[0]})")
        with store.sessions() as session:
            office = session.scalar(select(Office).where(Office.code == "DEMO"))
            assert office is not None
            user = session.scalar(
                select(User).join(Membership).where(Membership.office_id == office.id).limit(1)
            )
            assert user is not None
            actor = actor_of(user)
            rows = session.scalar(select(func.count()).where(Case.office_id == office.id))
            lengths = session.execute(
                select(CaseIdentity.surname_bidx.op(">>")(sealing.BITS_SHIFT), func.count())
                .join(Case, Case.id == CaseIdentity.case_id)
                .where(Case.office_id == office.id)
                .group_by(CaseIdentity.surname_bidx.op(">>")(sealing.BITS_SHIFT))
            ).all()
        print(f"office DEMO: {rows:,} cases; surname index lengths (bits: rows): "
              + ", ".join(f"{bits}: {n:,}" for bits, n in sorted(lengths)))
        names = list(demo_data.SURNAMES)
        for label, wanted in (
            ("existing surnames", [names[i % len(names)] for i in range(options.queries)]),
            ("absent surnames", [f"Nichtda{i}" for i in range(options.queries)]),
        ):
            times, hits, candidates = [], [], []
            for name in wanted:
                with store.sessions() as session:
                    candidates.append(_candidates(session, store, office.id, name))
                with store.sessions() as session:
                    start = time.perf_counter()
                    with session.begin():
                        found = queries.search_person(session, actor, store.keys, "surname", name)
                    times.append(time.perf_counter() - start)
                    hits.append(len(found))
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"{label:18} median {statistics.median(times) * 1000:6.1f} ms, "
                  f"p95 {p95 * 1000:6.1f} ms; candidates/query median "
                  f"{statistics.median(candidates):.0f} (max {max(candidates)}); "
                  f"hits/query median {statistics.median(hits):.0f} (max {max(hits)})")
        store.close()


def _candidates(session: object, store: object, office_id: int, name: str) -> int:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    keys = store.keys  # type: ignore[attr-defined]
    values = sealing.BlindIndexer(keys.blind_index_root, office_id).candidates("surname", name)
    return session.scalar(
        select(func.count())
        .select_from(CaseIdentity)
        .join(Case, Case.id == CaseIdentity.case_id)
        .where(Case.office_id == office_id, CaseIdentity.surname_bidx.in_(values))
    ) or 0


if __name__ == "__main__":
    main()
