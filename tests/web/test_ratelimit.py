"""Per-user rate limits on report previews/builds and case search (REL-11).

10 report requests (previews and builds together) per user and minute pass, the 11th gets
429 with nothing aggregated or stored and a ``rate.limited`` audit row; another user is not
affected; after the window it works again; the 31st search in a minute gets 429; and two
processes racing for the last slot cannot both take it.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from fallstelle.audit.models import AuditEvent
from fallstelle.auth import ratelimit
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import LoginFailure
from fallstelle.auth.permissions import Role
from fallstelle.db import utcnow
from fallstelle.reports.models import ReportRelease
from fallstelle.store import Store
from tests.auth.factories import Account, make_account
from tests.web.helpers import csrf, sign_in
from tests.web.test_cases import open_case

CHOICES = {"period": "2026", "offices": "1", "template": "funding"}
#: A period without cases: the report service refuses it at once, while the rate limit has
#: already counted the request exactly as for a real one (the disclosure check of a real
#: preview takes seconds to a minute, which is why the limit exists; the refused requests
#: below use the real choices).
CHEAP = {**CHOICES, "period": "2019"}


class Clock:
    """The rate limit's clock, frozen, so that slow requests never leave the window."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr("fallstelle.web.ratelimit.utcnow", frozen)
    return frozen


@pytest.fixture
def boss(app: Flask, store: Store, anna: Account) -> FlaskClient:
    """A management member of office 1, which has three cases."""
    counsellor = app.test_client()
    sign_in(counsellor, anna)
    for _ in range(3):
        open_case(counsellor)
    return _manager(app, store, "leitung")


def _manager(app: Flask, store: Store, username: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_account(store, username, ["management"], [1]))
    return client


def _report(
    client: FlaskClient, step: str = "vorschau", choices: dict[str, str] = CHEAP
) -> TestResponse:
    token = csrf(client, "/berichte")
    return client.post(f"/berichte/{step}", data={**choices, "csrf_token": token})


def _count(store: Store, model: type, *where: object) -> int:
    with store.sessions() as session:
        query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return session.scalar(query) or 0


def _refusals(store: Store) -> list[AuditEvent]:
    with store.sessions() as session:
        query = select(AuditEvent).where(AuditEvent.action == "rate.limited")
        return list(session.scalars(query.order_by(AuditEvent.seq)))


def _assert_refused(response: TestResponse) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    body = response.get_data(as_text=True)
    assert "innerhalb einer Minute" in body and "erneut" in body


def _use_up(client: FlaskClient, times: int) -> None:
    for _ in range(times):
        response = _report(client)
        assert response.status_code == 400, response.status_code
        assert "Kein Fall wurde" in response.get_data(as_text=True)


def test_eleventh_report_request_in_a_minute_is_refused(boss: FlaskClient, store: Store) -> None:
    _use_up(boss, 9)
    assert _report(boss, "erstellen").status_code == 400  # a build counts as well
    assert _count(store, LoginFailure, LoginFailure.key.like("rate:report:%")) == 10

    refused = _report(boss, "erstellen", CHOICES)
    _assert_refused(refused)
    assert 'value="2026"' in refused.get_data(as_text=True)  # the choices are kept
    _assert_refused(_report(boss, choices=CHOICES))  # the preview shares the limit
    assert _count(store, ReportRelease) == 0  # nothing built or stored
    assert _count(store, AuditEvent, AuditEvent.action == "report.preview") == 0
    assert _count(store, AuditEvent, AuditEvent.action == "report.generate") == 0
    assert _count(store, LoginFailure, LoginFailure.key.like("rate:report:%")) == 10

    events = _refusals(store)
    assert [(e.outcome, e.reason, e.object_id) for e in events] == [
        ("denied", "report", "reports.build"),
        ("denied", "report", "reports.preview"),
    ]
    assert events[0].actor_id and events[0].actor_role == "management"


def test_one_users_limit_never_blocks_another(app: Flask, boss: FlaskClient, store: Store) -> None:
    _use_up(boss, 10)
    _assert_refused(_report(boss))
    other = _manager(app, store, "leitung2")
    _use_up(other, 1)
    assert _count(store, LoginFailure, LoginFailure.key.like("rate:report:%")) == 11


def test_the_limit_frees_after_the_window(boss: FlaskClient, store: Store, clock: Clock) -> None:
    _use_up(boss, 10)
    clock.now += dt.timedelta(seconds=59)
    refused = _report(boss)
    _assert_refused(refused)
    assert refused.headers["Retry-After"] == "1"
    clock.now += dt.timedelta(seconds=1)
    _use_up(boss, 1)
    # The rows that left the window are pruned: one user's rows never pile up.
    assert _count(store, LoginFailure, LoginFailure.key.like("rate:report:%")) == 1


def _search(client: FlaskClient, token: str) -> TestResponse:
    data = {"csrf_token": token, "field": "surname", "value": "Zzyzxqvarn"}
    return client.post("/faelle/suche", data=data, follow_redirects=True)


def test_thirty_first_search_in_a_minute_is_refused(
    app: Flask, store: Store, anna: Account
) -> None:
    client = app.test_client()
    sign_in(client, anna)
    open_case(client)
    token = csrf(client, "/faelle")
    for _ in range(30):
        found = _search(client, token)
        assert found.status_code == 200 and "1 Fall gefunden" in found.get_data(as_text=True)
    refused = _search(client, token)
    _assert_refused(refused)
    body = refused.get_data(as_text=True)
    assert "gefunden" not in body and 'value="Zzyzxqvarn"' in body
    assert _count(store, AuditEvent, AuditEvent.action == "case.search") == 30
    assert [(e.reason, e.object_id) for e in _refusals(store)] == [("search", "cases.results")]

    colleague = app.test_client()
    sign_in(colleague, make_account(store, "ben", ["counsellor"], [1]))
    assert _search(colleague, csrf(colleague, "/faelle")).status_code == 200


def test_racing_requests_cannot_share_the_last_slot(store: Store) -> None:
    """Twenty sessions at once, as from several processes: exactly ten get through."""
    actor = Actor.for_user("00000000-0000-4000-8000-000000000001", frozenset({Role.MANAGEMENT}),
                           frozenset({1}))  # fmt: skip
    now, start = utcnow(), threading.Barrier(20)
    outcomes: list[str] = []

    def attempt() -> None:
        start.wait()
        with store.sessions() as session:
            try:
                ratelimit.hit(session, actor, ratelimit.REPORT, now)
                session.commit()
                outcomes.append("ok")
            except ratelimit.RateLimited:
                session.commit()
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] * 10 + ["refused"] * 10
