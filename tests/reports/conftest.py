"""Fixtures of the report tests: the case tests' world of offices and users in every role,
and a spy on the checker's LPs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fallstelle.reports import union_check
from fallstelle.reports.union_check import Program
from fallstelle.store import Store
from tests.cases.factories import World, make_world


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


@pytest.fixture
def programs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Program]]:
    """Every Program the checker builds (to count its LPs)."""
    made: list[Program] = []
    init = Program.__init__

    def spy(self: Program, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(union_check.Program, "__init__", spy)
    yield made
