"""Audit fixtures: a store whose sessions sign a checkpoint every 10 events."""

from __future__ import annotations

import pytest

from fallstelle.audit import service
from fallstelle.store import Store


@pytest.fixture
def signed(store: Store) -> Store:
    service.enable_checkpoints(store.sessions, store.keys.audit_signing_key, every=10)
    return store
