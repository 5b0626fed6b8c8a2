"""Case list and dashboard (issue 15): SQL statements, query plans and server time per call.

Run from the repository root against a kept installation of ``request_bench``::

    FALLSTELLE_DATA_DIR=/tmp/bench100k/data FALLSTELLE_KEYS_DIR=/tmp/bench100k/keys \\
        python -m benchmarks.list_plans [--user bench0] [--plans]

For each call (the first list page, page 40 by its cursor, the filters, a Kreis filter, the
dashboard and the retention warning) it prints the number of SQL statements, the median of
five runs in ms, and with ``--plans`` SQLite's ``EXPLAIN QUERY PLAN`` of every statement
(PostgreSQL: ``EXPLAIN``). Everything runs in a transaction that is rolled back: the audit
events the calls record are not kept.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select, text

from fallstelle.auth import service as accounts
from fallstelle.auth.models import User
from fallstelle.cases import listing, queries, retention
from fallstelle.clock import today
from fallstelle.config import Settings
from fallstelle.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="bench0")
    parser.add_argument("--plans", action="store_true")
    options = parser.parse_args()
    store = open_store(Settings.from_env())
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        statements.append((sql, params))

    with store.sessions() as session:
        user_id = session.scalars(select(User.id).where(User.username == options.user)).one()
        actor = accounts.load_actor(session, user_id)
        assert actor is not None
        first = listing.list_cases(session, actor)
        cursor = first.after
        for _ in range(39):  # the cursor of page 40
            cursor = listing.list_cases(session, actor, after=cursor).after
        kreis = "05315"  # Köln, the demo's most frequent Kreis
        calls: list[tuple[str, Callable[[], object]]] = [
            ("list, page 1", lambda: listing.list_cases(session, actor)),
            ("list, page 40 (cursor)", lambda: listing.list_cases(session, actor, after=cursor)),
            ("list, back from 40", lambda: listing.list_cases(session, actor, before=cursor)),
            ("list, by number", lambda: listing.list_cases(session, actor, order="number")),
            ("list, by deadline", lambda: listing.list_cases(session, actor, order="deadline")),
            ("list, by contact", lambda: listing.list_cases(session, actor, order="contact")),
            ("list, status", lambda: listing.list_cases(
                session, actor, filters=listing.Filters(status="ruhend"))),
            ("list, overdue", lambda: listing.list_cases(
                session, actor, filters=listing.Filters(overdue_on=today()))),
            ("list, year", lambda: listing.list_cases(
                session, actor, filters=listing.Filters(year=today().year))),
            ("list, mine", lambda: listing.list_cases(
                session, actor, filters=listing.Filters(counsellor_id=actor.user_id))),
            ("list, Kreis (refused)", lambda: listing.list_cases(
                session, actor, store.keys, listing.Filters(kreis=kreis))),
            ("list, Kreis+status+year", lambda: listing.list_cases(
                session, actor, store.keys,
                listing.Filters(kreis=kreis, status="anfrage", year=today().year))),
            ("dashboard", lambda: queries.dashboard(session, actor)),
            ("retention warning", lambda: retention.upcoming(session, actor, today(), limit=10)),
            ("retention count", lambda: retention.count_upcoming(session, actor, today())),
        ]  # fmt: skip
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        for label, call in calls:
            times = []
            for _ in range(5):
                statements.clear()
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
            made = [s for s in statements if not s[0].lstrip().upper().startswith("INSERT")]
            print(f"{label:24} {statistics.median(times):7.1f} ms  {len(made):2} SELECTs "
                  f"(+{len(statements) - len(made)} audit INSERTs)")  # fmt: skip
            if options.plans:
                _plans(session, made)
        event.remove(engine, "before_cursor_execute", seen)
        session.rollback()


def _plans(session: Any, made: list[tuple[str, Any]]) -> None:
    sqlite = session.get_bind().dialect.name == "sqlite"
    for sql, params in made:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        raw = session.connection().connection.driver_connection
        cur = raw.cursor()
        cur.execute(prefix + sql, params)
        rows = cur.fetchall()
        print("    " + " ".join(sql.split())[:160])
        for row in rows:
            print("      " + (str(row[-1]) if sqlite else str(row[0])))
    session.execute(text("SELECT 1"))


if __name__ == "__main__":
    main()
