"""Fixtures of the page tests: the app's own store and a counsellor of office MG-A."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from fallstelle.runtime import get_runtime
from fallstelle.store import Store
from tests.auth.factories import Account, make_account, make_office


@pytest.fixture
def store(app: Flask) -> Iterator[Store]:
    """The store the app opened (overrides the top-level fixture, which opens its own)."""
    yield get_runtime(app).open(app)


@pytest.fixture
def anna(store: Store) -> Account:
    with store.sessions() as session, session.begin():
        office = make_office(session, "MG-A").id
    return make_account(store, "anna", ["counsellor"], [office])
