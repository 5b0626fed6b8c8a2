"""Plain factory functions: offices and fully enrolled users, made through the services."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyotp
from sqlalchemy.orm import Session

from fallstelle.auth import login, service
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import Office
from fallstelle.db import utcnow
from fallstelle.store import Store

PASSWORD = "ein langer Satz als Passwort"


@dataclass
class Account:
    user_id: str
    username: str
    password: str
    secret: str

    def code(self, offset: int = 0, at: float | None = None) -> str:
        """The code ``offset`` time steps after ``at`` (default: now)."""
        return pyotp.TOTP(self.secret).at((time.time() if at is None else at) + 30 * offset)


def auth_request(store: Store) -> login.Request:
    return login.Request(pepper=store.keys.pepper, rounds=4, now=utcnow())


def make_office(session: Session, code: str, **options: object) -> Office:
    return service.create_office(
        session, Actor.operator(), code, f"Beratungsstelle {code}", **options
    )  # type: ignore[arg-type]


def make_account(
    store: Store,
    username: str,
    roles: list[str],
    office_ids: list[int] | None = None,
    password: str = PASSWORD,
) -> Account:
    with store.sessions() as session, session.begin():
        user, token = service.create_user(
            session, Actor.operator(), utcnow(), username, username.title(), roles, office_ids or []
        )
        req = auth_request(store)
        secret = login.set_password_from_link(session, req, token, password)
        step = int(time.time() // 30) - 1  # an older step, so a test can use the current code
        login.confirm_enrolment(session, req, token, pyotp.TOTP(secret).generate_otp(step))
        return Account(user.id, user.username, password, secret)
