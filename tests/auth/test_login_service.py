"""The password step at the service: rehash on a cost change."""

from __future__ import annotations

from fallstelle.auth import login, passwords
from fallstelle.auth.models import User
from fallstelle.db import utcnow
from fallstelle.store import Store
from tests.auth.factories import make_account


def test_hash_is_renewed_when_the_cost_changes(store: Store) -> None:
    account = make_account(store, "anna", ["auditor"])
    with store.sessions() as session, session.begin():
        user = session.get(User, account.user_id)
        assert user is not None
        user.password_hash = passwords.hash_password(store.keys.pepper, account.password, 5)
    req = login.Request(pepper=store.keys.pepper, rounds=4, now=utcnow())
    with store.sessions() as session, session.begin():
        login.check_password(session, req, "anna", account.password)
    with store.sessions() as session:
        user = session.get(User, account.user_id)
        assert user is not None and user.password_hash is not None
        assert user.password_hash.startswith("$2b$04$")
        assert passwords.verify_password(store.keys.pepper, account.password, user.password_hash, 4)
