"""Statistical records inserted directly (no case behind them), and a small fixed dataset."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from fallstelle.cases import stat_counts
from fallstelle.cases.models.stats import StatisticalCode, StatisticalRecord


def with_level_one(codes: Iterable[str]) -> set[str]:
    """A code plus its level-1 prefix, as ``cases.statistics`` writes them."""
    return {c for code in codes for c in (code, code.split(".", 1)[0])}


def add_record(
    session: Session,
    office_id: int,
    opened: str,
    closed: str | None = None,
    *,
    merkmal: Iterable[str] = (),
    lebensbereich: Iterable[str] = (),
    form: Iterable[str] = (),
    intervention: Iterable[str] = (),
    kanal: Iterable[str] = (),
    wirkung: Iterable[str] = (),
    **columns: object,
) -> StatisticalRecord:
    rid = str(uuid.uuid4())
    codes = {("merkmal", c) for c in with_level_one(merkmal)}
    codes |= {("lebensbereich", c) for c in with_level_one(lebensbereich)}
    codes |= {("intervention", c) for c in with_level_one(intervention)}
    codes |= {("form", c) for c in form} | {("kontakt_kanal", c) for c in kanal}
    codes |= {("wirkung", c) for c in wirkung}
    record = StatisticalRecord(
        id=rid,
        office_id=office_id,
        opened_quarter=opened,
        closed_quarter=closed,
        codes=[StatisticalCode(record_id=rid, dimension=d, code=c) for d, c in sorted(codes)],
        **columns,
    )
    session.add(record)
    stat_counts.change(session, None, stat_counts.snapshot(record))  # as cases.statistics does
    return record


def fixed_dataset(session: Session, office_id: int, other_office: int) -> None:
    """30 cases of 2026 in one office, 3 in another, and 2 of 2025: the golden fixture.

    Hand-computed facts (office ``office_id``, year 2026):
    * opened in 2026: 30 (Q1 12, Q2 8, Q3 6, Q4 4); closed in 2026: 20; running at the end: 11
      (10 opened in 2026 and open, plus the 2025 case still open).
    * Merkmal rassismus_herkunft 24 (of which antisemitismus 6), geschlecht 10, lebensalter 2;
      two or more level-1 grounds: 6 (the cases with rassismus + geschlecht), one: 24.
    * Lebensbereich arbeit 18, bildung 12.
    * Closed: reason ziel_erreicht 14, nicht_erreicht 6; intervention gerichtlich 2,
      nicht_rechtlich 18.
    """
    for i in range(30):
        quarter = (
            "2026-Q1" if i < 12 else "2026-Q2" if i < 20 else "2026-Q3" if i < 26 else "2026-Q4"
        )
        closed = None
        if i < 20:
            closed = "2026-Q4" if i < 6 else quarter
        grounds = ["rassismus_herkunft.antimuslimisch"] if i < 18 else []
        if 18 <= i < 24:
            grounds = ["rassismus_herkunft.antisemitismus"]
        if i < 6:
            grounds.append("geschlecht.frau_sexismus")
        if 24 <= i < 28:
            grounds = ["geschlecht.frau_sexismus"]
        if i >= 28:
            grounds = ["lebensalter.hohes_alter"]
        add_record(
            session, office_id, quarter, closed,
            merkmal=grounds,
            lebensbereich=["arbeit.zugang"] if i < 18 else ["bildung.schule"],
            form=["ungleichbehandlung"],
            intervention=(["gerichtlich.klage_arbeitsgericht"] if i < 2
                          else ["nicht_rechtlich.beschwerdebrief"]) if closed else [],
            kanal=["telefon"],
            wirkung=["dokumentiert"] if closed else [],
            closure_reason=("ziel_erreicht" if i < 14 else "nicht_erreicht") if closed else None,
            access_route="selbst_internet" if i % 2 else "empfehlung_privat",
            age_band="27_44", gender="weiblich" if i % 3 else "trans",
            kreis="05315" if i < 25 else "05111", agg_relevance="agg_relevant",
            request_type="beratungsfall", contact_count=i % 5, minutes=45 * (i % 5),
        )  # fmt: skip
    add_record(session, office_id, "2025-Q4", None, merkmal=["geschlecht.mann"])
    add_record(session, office_id, "2025-Q2", "2025-Q3", merkmal=["geschlecht.mann"])
    for _ in range(3):
        add_record(session, other_office, "2026-Q1", None, merkmal=["lebensalter.hohes_alter"])
