"""Search benchmark (issues 11, 14): exact and prefix search at 10,000 cases per office.

Run from the repository root::

    python benchmarks/search_bench.py                          # SQLite, 10,000 cases
    python benchmarks/search_bench.py --cases 2000 --queries 50
    python benchmarks/search_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB

Creates a fresh installation in a temporary directory (on PostgreSQL: in the given, empty
database), fills office DEMO with synthetic cases (``intake.demo``, realistic surnames, so
common names have many real matches), a second office ZWEI with a tenth of that and a third,
KLEIN, with 100 cases, then times ``cases.search.search_person`` as a DEMO counsellor: each
query is one transaction with its audit events, as on the search page. Reports the median
and 95th percentile latency, the candidates the blind index returns per query (rows
decrypted) and the real hits, for whole names, absent names, 3/4/5-letter name prefixes and
4/6/7-digit phone prefixes (queries refused as too broad are counted, not timed).

Then, for the prefix index (SECURITY.md, "Prefix search"), what someone with the database and
no keys sees: per office and prefix column, how many distinct stored values there are and how
many rows share one (the "bucket" sizes: median, 90th percentile, largest).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from fallstelle.auth.models import Membership, Office, User
from fallstelle.auth.service import actor_of
from fallstelle.cases import sealing, search
from fallstelle.cases.errors import Invalid
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
        create_demo(store, 100, seed=3, office_code="KLEIN")
        print(f"setup: {options.cases:,} + {options.cases // 10:,} + 100 cases in "
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
                select(CaseIdentity.surname_p5_bidx.op(">>")(sealing.BITS_SHIFT), func.count())
                .join(Case, Case.id == CaseIdentity.case_id)
                .where(Case.office_id == office.id)
                .group_by(CaseIdentity.surname_p5_bidx.op(">>")(sealing.BITS_SHIFT))
            ).all()
        print(f"office DEMO: {rows:,} cases; surname index lengths (bits: rows): "
              + ", ".join(f"{bits}: {n:,}" for bits, n in sorted(lengths)))
        names = list(demo_data.SURNAMES)
        every = [names[i % len(names)] for i in range(options.queries)]
        with store.sessions() as session:
            phones = _phones(session, store, office.id, options.queries)
        for label, field, wanted in (
            ("existing surnames", "surname", every),
            ("absent surnames", "surname", [f"Nichtda{i}" for i in range(options.queries)]),
            ("3-letter prefixes", "surname", [n[:3] for n in every]),
            ("4-letter prefixes", "surname", [n[:4] for n in every]),
            ("5-letter prefixes", "surname", [n[:5] for n in every]),
            ("4-digit phones", "phone", [p[:4] for p in phones]),
            ("6-digit phones", "phone", [p[:6] for p in phones]),
            ("7-digit phones", "phone", [p[:7] for p in phones]),
        ):
            _time(store, actor, label, field, wanted)
        _buckets(store)
        store.close()


def _time(store: Any, actor: Any, label: str, field: str, wanted: list[str]) -> None:
    times, hits, broad = [], [], 0
    for term in wanted:
        with store.sessions() as session:
            start = time.perf_counter()
            try:
                with session.begin():
                    found = search.search_person(session, actor, store.keys, field, term)
            except Invalid:
                broad += 1
                continue
            times.append(time.perf_counter() - start)
            hits.append(len(found))
    if not times:
        print(f"{label:18} every query refused as too broad ({broad})")
        return
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label:18} median {statistics.median(times) * 1000:6.1f} ms, "
          f"p95 {p95 * 1000:6.1f} ms; hits/query median {statistics.median(hits):.0f} "
          f"(max {max(hits)}); refused as too broad: {broad} of {len(wanted)}")


def _phones(session: Any, store: Any, office_id: int, n: int) -> list[str]:
    """Decrypt n phone numbers of the office (digits only) to build queries from."""
    from fallstelle.cases.models import Case as CaseRow
    from fallstelle.cases.sections import Identity

    found: list[str] = []
    rows = session.execute(
        select(CaseIdentity, CaseRow).join(CaseRow, CaseRow.id == CaseIdentity.case_id)
        .where(CaseRow.office_id == office_id).limit(n)
    ).all()
    for ident, case in rows:
        cipher = sealing.open_case_key(store.keys.keyring, case)
        identity = cipher.open(Identity, sealing.IDENTITIES, str(ident.person_id), ident.payload)
        found.append(sealing.fold_for_prefix("phone", identity.phone))
    return found


def _buckets(store: Any) -> None:
    """Rows per stored prefix value, per office and column: what the database alone shows."""
    with store.sessions() as session:
        offices = session.execute(select(Office.id, Office.code)).all()
        for office_id, code in offices:
            rows = session.scalar(select(func.count()).where(Case.office_id == office_id))
            for field in sealing.PREFIXES:
                both = [c for c in sealing.prefix_columns() if c.startswith(field)]
                for names in [[c] for c in both] + [both]:
                    cols = [getattr(CaseIdentity, c) for c in names]
                    sizes = sorted(
                        n for (n,) in session.execute(
                            select(func.count()).select_from(CaseIdentity)
                            .join(Case, Case.id == CaseIdentity.case_id)
                            .where(Case.office_id == office_id, cols[0].is_not(None))
                            .group_by(*cols)
                        )
                    )
                    if not sizes:
                        continue
                    label = names[0] if len(names) == 1 else f"{field} together"
                    print(f"buckets {code:5} ({rows:,} cases) {label:16} {len(sizes):5} values; "
                          f"rows per value median {statistics.median(sizes):.0f}, "
                          f"p90 {sizes[int(len(sizes) * 0.9)]}, max {sizes[-1]}")


if __name__ == "__main__":
    main()
