"""What a request costs the database (issue 15, second pass): the case page's reads and an
anonymous request's session handling."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from fallstelle.auth.models import User
from fallstelle.auth.service import OFFICES, actor_of, load_actor
from fallstelle.store import Store
from tests.auth.factories import Account
from tests.web.helpers import sign_in
from tests.web.test_cases import open_case
from tests.web.test_transactions import StatementCounter


def test_a_case_read_loads_case_and_co_counsellors_and_the_actor_in_one_statement_each(
    app: Flask, anna: Account, store: Store
) -> None:
    client = app.test_client()
    sign_in(client, anna)
    location = open_case(client)
    client.get(location)  # the catalogue is read once per process, then kept
    with StatementCounter([store.engine, store.read_engine]) as counter:
        response = client.get(location)
    assert response.status_code == 200
    shown = counter.statements
    # The co-counsellors come joined to the case row, not in a second SELECT ...
    assert not any(s.startswith("SELECT case_counsellors") for s in shown), shown
    assert sum(s.startswith("SELECT cases.") for s in shown) == 1, shown
    # ... and the actor's roles and offices with the user, in the session row's statement.
    assert not any(s.startswith("SELECT users.") for s in shown), shown  # staff: kept
    assert sum(s.startswith("SELECT web_sessions.") and "users.active" in s for s in shown) == 1
    assert len(shown) <= 11, shown


def test_the_actor_is_loaded_with_its_roles_offices_and_policies(
    store: Store, anna: Account
) -> None:
    with store.sessions() as session, session.begin():
        user = session.get(User, anna.user_id)
        assert user is not None
        expected = actor_of(user)
    with store.sessions() as session, session.begin():
        actor = load_actor(session, anna.user_id)
        assert actor == expected  # the same actor as from the ORM objects
        assert actor is not None and actor.office_ids
        # The office policies read with the actor serve the visibility check.
        assert set(session.info[OFFICES]) == set(actor.office_ids)
        assert load_actor(session, "no-such-user") is None


def test_an_anonymous_request_opens_no_writing_session(client: FlaskClient, store: Store) -> None:
    opened: list[object] = []
    real = store.sessions

    def counting() -> Session:
        opened.append(1)
        return real()

    object.__setattr__(store, "sessions", counting)  # a frozen dataclass: only in this test
    try:
        for path in ("/health", "/static/favicon.svg"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert "fallstelle_session" not in response.headers.get("Set-Cookie", "")
    finally:
        object.__setattr__(store, "sessions", real)
    assert opened == []  # nothing to keep: no session, no transaction, no cookie
