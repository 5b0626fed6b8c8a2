"""Unknown usernames take as long as known ones (SD-7), measured at the service."""

from __future__ import annotations

import statistics
import time

import pytest

from fallstelle.auth import login
from fallstelle.auth.errors import AuthRefused
from fallstelle.db import utcnow
from fallstelle.store import Store
from tests.auth.factories import make_account

ROUNDS = 8  # bcrypt cost high enough that hashing, not the database, dominates
TRIES = 200


@pytest.mark.slow
def test_unknown_and_known_usernames_take_the_same_time(store: Store) -> None:
    account = make_account(store, "anna", ["auditor"])
    with store.sessions() as session, session.begin():
        from fallstelle.auth.models import User

        user = session.get(User, account.user_id)
        assert user is not None
        from fallstelle.auth import passwords

        user.password_hash = passwords.hash_password(store.keys.pepper, account.password, ROUNDS)

    def attempt(username: str) -> float:
        req = login.Request(pepper=store.keys.pepper, rounds=ROUNDS, now=utcnow())
        with store.sessions() as session:
            start = time.perf_counter()
            with pytest.raises(AuthRefused):
                login.check_password(session, req, username, "falsches Passwort!")
            elapsed = time.perf_counter() - start
            session.rollback()  # no failure is kept: the throttle never kicks in
        return elapsed

    known, unknown = [], []
    for i in range(TRIES):
        known.append(attempt("anna"))
        unknown.append(attempt(f"niemand{i}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    print(f"median unknown/known = {ratio:.3f}")
    assert 0.9 < ratio < 1.1, f"median unknown/known = {ratio:.3f}"
