"""Password policy and hashing (ENC-13, SD-7)."""

from __future__ import annotations

import bcrypt
import pytest

from fallstelle.auth import login, passwords
from fallstelle.auth.errors import AuthRefused
from fallstelle.auth.models import User
from fallstelle.db import utcnow
from fallstelle.store import Store
from tests.auth.factories import make_account

PEPPER = b"p" * 32


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kurz", "too_short"),
        ("x" * 129, "too_long"),
        ("passwortpasswort", "common"),
        ("IchLiebeDich", "common"),
        ("aaaaaaaaaaaaaaa", "common"),
        ("anna.schmidt-geheim", "contains_username"),
        ("ein langer Satz als Passwort", None),
        ("x" * 6 + "yzäöü" + "q", None),
    ],
)
def test_policy(password: str, problem: str | None) -> None:
    assert passwords.policy_problem(password, "anna.schmidt") == problem


def test_no_composition_rules_and_128_allowed() -> None:
    assert passwords.policy_problem("alles klein und ohne ziffern") is None
    assert passwords.policy_problem("abcdefghij" * 12 + "klmnopqr") is None  # 128


def test_long_passwords_are_neither_truncated_nor_rejected() -> None:
    first = "ü" * 36 + "A" * 8  # 80 bytes; the first 72 equal the second's
    second = "ü" * 36 + "B" * 8
    assert len(first.encode()) == 80
    stored = passwords.hash_password(PEPPER, first, 4)
    assert passwords.verify_password(PEPPER, first, stored, 4)
    assert not passwords.verify_password(PEPPER, second, stored, 4)


def test_sixty_four_characters_with_umlauts_work() -> None:
    password = "Grüße aus Mönchengladbach, über die Brücke zum Fluss, äöü ÄÖÜ ß!"[:64]
    stored = passwords.hash_password(PEPPER, password, 4)
    assert passwords.verify_password(PEPPER, password, stored, 4)


def test_pepper_is_part_of_the_hash() -> None:
    stored = passwords.hash_password(PEPPER, "ein langer Satz als Passwort", 4)
    assert not passwords.verify_password(b"q" * 32, "ein langer Satz als Passwort", stored, 4)


def test_cost_is_configurable_and_rehash_detected() -> None:
    stored = passwords.hash_password(PEPPER, "ein langer Satz als Passwort", 5)
    assert stored.startswith("$2b$05$")
    assert passwords.needs_rehash(stored, 4) and not passwords.needs_rehash(stored, 5)


def test_unknown_user_is_checked_against_a_real_hash() -> None:
    dummy = passwords._dummy_hash(4)
    assert dummy.startswith(b"$2b$04$") and len(dummy) == 60
    bcrypt.checkpw(b"x", dummy)  # a malformed dummy would raise here
    assert not passwords.verify_password(PEPPER, "anything at all", None, 4)


def test_unknown_names_are_checked_at_the_cost_of_the_stored_hashes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a cost change (configured 4, stored 6) an unknown name must still cost what a
    known one costs: the dummy hash has the stored hashes' cost (issue 11). No clock: the
    costs of the hashes bcrypt is asked to check are compared."""
    account = make_account(store, "berta", ["auditor"])
    with store.sessions() as session, session.begin():
        user = session.get(User, account.user_id)
        assert user is not None
        user.password_hash = passwords.hash_password(store.keys.pepper, account.password, 6)
    checked: list[bytes] = []
    real = bcrypt.checkpw

    def spy(candidate: bytes, hashed: bytes) -> bool:
        checked.append(hashed[:7])
        return real(candidate, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", spy)
    for name in ("berta", "niemand"):
        req = login.Request(pepper=store.keys.pepper, rounds=4, now=utcnow())
        with store.sessions() as session, pytest.raises(AuthRefused):
            login.check_password(session, req, name, "falsches Passwort!")
    assert checked == [b"$2b$06$", b"$2b$06$"]
