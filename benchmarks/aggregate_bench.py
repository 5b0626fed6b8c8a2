"""Time aggregation from statistical records, and a funding report end to end (not a test).

Creates a fresh installation in a temporary directory (SQLite, or PostgreSQL with
``--database-url``), bulk-inserts synthetic statistical records with Core ``INSERT`` —
realistic shapes: one to three Merkmale with their level-2 codes (about 6 % antisemitism),
one or two Lebensbereiche, forms, an actor type, channels; about 80 % of the cases closed
within 0–5 quarters, with interventions (about 3 % in court), outcomes, contacts and minutes —
then recounts the pre-counted facts from the records (``cases.stat_counts.rebuild``, the
step a migration or ``report recount`` runs; a case change updates only its own facts) and
times :func:`fallstelle.reports.aggregate.aggregate` for one year over all records.
``--end-to-end`` then times :func:`fallstelle.reports.service.build_release` (aggregation,
disclosure control, PDF in the limited worker, CSV, storing) for one office.

    python -m benchmarks.aggregate_bench [--records 100000] [--end-to-end 1000 10000 …]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.cases import stat_counts
from fallstelle.cases.models.stats import StatisticalCode, StatisticalRecord
from fallstelle.catalogue.models import VocabTerm
from fallstelle.config import Settings
from fallstelle.reports import periods
from fallstelle.reports.aggregate import aggregate
from fallstelle.store import Store, initialise, open_store

MERKMAL_WEIGHTS = {
    "rassismus_herkunft": 68, "geschlecht": 20, "behinderung_krankheit": 15,
    "religion_weltanschauung": 10, "sozialer_status": 8, "lebensalter": 6,
    "sexuelle_identitaet": 4, "anderes": 3, "keine_angabe": 2,
}  # fmt: skip


class Vocab:
    """The seeded codes, grouped for drawing."""

    def __init__(self, session: Session) -> None:
        self.level1: dict[str, list[str]] = {}
        self.children: dict[tuple[str, str], list[str]] = {}
        for t in session.scalars(select(VocabTerm).where(VocabTerm.office_id.is_(None))):
            if t.level == 1:
                self.level1.setdefault(t.vocabulary, []).append(t.code)
            else:
                self.children.setdefault((t.vocabulary, t.parent_code or ""), []).append(t.code)

    def pick(self, rng: random.Random, vocabulary: str, k: int = 1) -> list[str]:
        codes = self.level1[vocabulary]
        weights = [1 / (i + 1) for i in range(len(codes))]
        return list(dict.fromkeys(rng.choices(codes, weights, k=k)))

    def child(self, rng: random.Random, vocabulary: str, parent: str) -> str | None:
        options = self.children.get((vocabulary, parent))
        if not options:
            return None
        if vocabulary == "merkmal" and parent == "rassismus_herkunft" and rng.random() < 0.09:
            return "rassismus_herkunft.antisemitismus"
        return rng.choice(options)


def _quarter(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


def synthetic(
    vocab: Vocab, rng: random.Random, office_ids: list[int], year: int
) -> tuple[dict[str, object], list[dict[str, str]]]:
    """Return one record row and its code rows, opened in ``year``."""
    rid = str(uuid.uuid4())
    opened = year * 4 + rng.randrange(4)
    closed = opened + min(int(rng.expovariate(0.8)), 5) if rng.random() < 0.8 else None
    contacts = min(int(rng.expovariate(0.3)), 30)
    codes: set[tuple[str, str]] = set()
    n_grounds = rng.choices((1, 2, 3), (70, 22, 8))[0]
    grounds = rng.choices(list(MERKMAL_WEIGHTS), list(MERKMAL_WEIGHTS.values()), k=n_grounds)
    for dimension, level1 in (
        ("merkmal", grounds),
        ("lebensbereich", vocab.pick(rng, "lebensbereich", rng.choice((1, 1, 2)))),
        ("intervention", vocab.pick(rng, "intervention", rng.choice((0, 1, 1, 2)))
         if closed is not None else []),
    ):  # fmt: skip
        for code in level1:
            if dimension == "intervention" and code == "gerichtlich" and rng.random() > 0.15:
                code = "nicht_rechtlich"
            codes.add((dimension, code))
            child = vocab.child(rng, dimension, code)
            if child:
                codes.add((dimension, child))
    codes |= {("form", c) for c in vocab.pick(rng, "form", rng.choice((1, 2)))}
    codes |= {("akteur", c) for c in vocab.pick(rng, "akteur")}
    codes |= {("kontakt_kanal", c) for c in vocab.pick(rng, "kontakt_kanal", rng.choice((1, 2)))}
    if closed is not None:
        codes |= {("wirkung", c) for c in vocab.pick(rng, "wirkung", rng.choice((1, 2)))}
    record = {
        "id": rid,
        "office_id": rng.choice(office_ids),
        "opened_quarter": _quarter(opened),
        "closed_quarter": _quarter(closed) if closed is not None else None,
        "request_type": vocab.pick(rng, "anfrage")[0],
        "access_route": vocab.pick(rng, "zugangsweg")[0],
        "age_band": vocab.pick(rng, "altersgruppe")[0],
        "gender": vocab.pick(rng, "geschlecht")[0],
        "kreis": rng.choice(vocab.level1["kreis"][:12]),
        "agg_relevance": vocab.pick(rng, "agg_relevanz")[0],
        "closure_reason": vocab.pick(rng, "abschlussgrund")[0] if closed is not None else None,
        "counterpart_response": None,
        "contact_count": contacts,
        "minutes": contacts * rng.choice((30, 45, 60, 90)),
    }
    return record, [{"record_id": rid, "dimension": d, "code": c} for d, c in sorted(codes)]


def bulk_insert(store: Store, n: int, office_ids: list[int], years: list[int], seed: int) -> None:
    """Insert ``n`` synthetic records spread over ``years`` (Core INSERT, 5,000 per batch)."""
    rng = random.Random(seed)
    with store.sessions() as session:
        vocab = Vocab(session)
    records: list[dict[str, object]] = []
    codes: list[dict[str, str]] = []
    with store.engine.begin() as conn:
        for i in range(n):
            record, its_codes = synthetic(vocab, rng, office_ids, years[i % len(years)])
            records.append(record)
            codes += its_codes
            if len(records) == 5000:
                conn.execute(insert(StatisticalRecord), records)
                conn.execute(insert(StatisticalCode), codes)
                records, codes = [], []
        if records:
            conn.execute(insert(StatisticalRecord), records)
            conn.execute(insert(StatisticalCode), codes)
        t0 = time.perf_counter()
        rows = stat_counts.rebuild(conn)
        print(f"  recounted {rows} count rows from all records in {time.perf_counter() - t0:.1f} s")
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


def installation(directory: Path, database_url: str | None) -> Iterator[Store]:
    settings = Settings(
        data_dir=directory / "data",
        keys_dir=directory / "keys",
        database_url=database_url or f"sqlite:///{directory / 'data' / 'fallstelle.db'}",
        bcrypt_rounds=4,
    )
    initialise(settings)
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


def offices(store: Store, n: int, prefix: str = "BEN") -> list[int]:
    with store.sessions() as session, session.begin():
        return [
            accounts.create_office(session, Actor.operator(), f"{prefix}{i}", f"Stelle {i}").id
            for i in range(n)
        ]


def time_aggregate(store: Store, period: str, office_ids: list[int], repeat: int) -> None:
    times = []
    for _ in range(repeat):
        with store.sessions() as session:
            t0 = time.perf_counter()
            result = aggregate(session, periods.parse(period), office_ids)
            times.append(time.perf_counter() - t0)
    print(
        f"  aggregate {period} over {len(office_ids)} offices: {result.new_cases} new, "
        f"{result.closed_cases} closed, {len(result.tables)} tables, "
        f"{sum(len(t.cells()) for t in result.tables)} cells; "
        f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


def end_to_end(store: Store, n: int, repeat: int) -> None:
    from fallstelle.reports import service

    office = offices(store, 1, prefix=f"E{n}")
    bulk_insert(store, n, office, [2026], seed=7)
    bulk_insert(store, n * 9 // 10, office, [2025], seed=8)
    print(f"end to end: funding report 2026 for one office with {n} cases (+{n * 9 // 10} in 2025)")
    for _ in range(repeat):
        with store.sessions() as session:
            t0 = time.perf_counter()
            steps: dict[str, float] = {}
            release = service.build_release(
                session, Actor.operator(), period="2026", office_ids=office, template="funding",
                generated=date(2027, 1, 15), timings=steps,
            )  # fmt: skip
            session.commit()
            total = time.perf_counter() - t0
        split = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in steps.items())
        print(f"  total {total:.2f} s ({split}); PDF {len(release.pdf) // 1024} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--end-to-end",
        type=int,
        nargs="*",
        default=[],
        metavar="CASES",
        help="case counts of one office to build a funding report for",
    )
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:  # a fresh schema each run
            engine = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            engine.dispose()
        stores = installation(Path(tmp), args.database_url)
        store = next(stores)
        office_ids = offices(store, 5)
        t0 = time.perf_counter()
        bulk_insert(store, args.records, office_ids, [2026], seed=2026)
        print(
            f"inserted {args.records} records of 2026 in {time.perf_counter() - t0:.1f} s "
            f"({store.engine.dialect.name})"
        )
        time_aggregate(store, "2026", office_ids, args.repeat)
        time_aggregate(store, "2026-H1", office_ids, args.repeat)
        time_aggregate(store, "2026", office_ids[:1], args.repeat)
        for n in args.end_to_end:
            end_to_end(store, n, max(1, args.repeat // 2))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory: this process {peak:.0f} MB, largest PDF worker {child:.0f} MB")
        next(stores, None)


if __name__ == "__main__":
    main()
