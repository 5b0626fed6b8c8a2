"""Demo data: the same seed gives the same cases; the figures look like ada.nrw's."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from flask import Flask
from sqlalchemy import func, select, text

from fallstelle.auth.models import Office, User
from fallstelle.cases.models import Case, StatisticalRecord
from fallstelle.cli import cases as cases_cli
from fallstelle.intake import demo
from fallstelle.intake.demo_run import create_demo
from fallstelle.store import Store

UNTIL = dt.date(2026, 6, 30)


def test_the_same_seed_gives_the_same_cases() -> None:
    first = list(demo.plan(42, 50, 1, ["a", "b"], UNTIL))
    again = list(demo.plan(42, 50, 1, ["a", "b"], UNTIL))
    other = list(demo.plan(43, 50, 1, ["a", "b"], UNTIL))
    assert first == again
    assert first != other


def test_the_distributions_look_like_the_reported_ones() -> None:
    cases = list(demo.plan(7, 2000, 1, ["a"], UNTIL))
    grounds = Counter(g.split(".")[0] for c in cases for g in {*c.incidents[0].grounds})
    domains = Counter(c.incidents[0].life_domains[0].split(".")[0] for c in cases)
    assert grounds.most_common(1)[0][0] == "rassismus_herkunft"
    assert 0.6 < grounds["rassismus_herkunft"] / len(cases) < 0.85
    assert {d for d, _ in domains.most_common(3)} <= {
        "arbeit", "bildung", "gueter_dienstleistungen", "aemter_behoerden"
    }  # fmt: skip
    closed = sum(1 for c in cases if any(s.status == "abgeschlossen" for s in c.steps))
    assert 0.55 < closed / len(cases) < 0.75
    contacts = [len(c.contacts) for c in cases]
    assert 10 < sum(contacts) / len(cases) < 16
    short = [len(c.contacts) for c in cases if c.details.request_type == "verweisberatung"]
    assert max(short) <= 2
    assert all(c.opened_on <= UNTIL for c in cases)
    agg_cases = [c for c in cases if c.deadlines]
    assert agg_cases and all(c.details.agg_relevance == "agg_relevant" for c in agg_cases)


def test_create_demo_sets_up_the_office_and_writes_the_cases(store: Store) -> None:
    result = create_demo(store, 30, seed=5, office_code="demo-essen")
    assert result.cases == 30
    assert result.created[0] == "office DEMO-ESSEN"
    assert len(result.created) == 4
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 30
        assert session.scalar(select(func.count()).select_from(StatisticalRecord)) == 30
        office = session.scalar(select(Office).where(Office.code == "DEMO-ESSEN"))
        assert office is not None
        assert session.scalar(select(func.count()).select_from(User)) == 3
    again = create_demo(store, 10, seed=5, office_code="DEMO-ESSEN")
    assert again.created == []  # the office and its counsellors are reused


def test_the_demo_command(app: Flask, store: Store) -> None:
    cases_cli.init_app(app)
    out = app.test_cli_runner().invoke(args=["demo", "--cases", "5", "--seed", "3"])
    assert out.exit_code == 0, out.output
    assert "Created office DEMO for the demo." in out.output
    assert "Created 5 synthetic cases in DEMO (seed 3)" in out.output


def planned_rows(store: Store, table: str) -> float:
    """How many rows the query planner believes ``table`` has (0: no statistics)."""
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "sqlite":
            stats = connection.execute(
                text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}
            ).scalars()
            return max((float(s.split()[0]) for s in stats), default=0.0)
        found = connection.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
        )  # the table of this test's schema (search_path)
        return max(float(found or 0), 0.0)


def test_the_demo_command_leaves_the_planner_statistics_of_the_new_cases(
    app: Flask, store: Store
) -> None:
    # A bulk write ends with ANALYZE: with the statistics of the migrations' empty tables
    # PostgreSQL filtered every closed case row by row for the home page (issue 15).
    cases_cli.init_app(app)
    out = app.test_cli_runner().invoke(args=["demo", "--cases", "12", "--seed", "3"])
    assert out.exit_code == 0, out.output
    assert planned_rows(store, "cases") == 12
