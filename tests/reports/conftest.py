"""Fixtures of the report tests: the case tests' world of offices and users in every role."""

from __future__ import annotations

import pytest

from fallstelle.store import Store
from tests.cases.factories import World, make_world


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)
