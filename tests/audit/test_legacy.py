"""An installation from before the keyed chain: migration 0012 seals its log with an anchor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text

from fallstelle import db, keyfiles
from fallstelle.audit import chain
from fallstelle.config import Settings
from fallstelle.errors import ConfigError
from fallstelle.store import Store, alembic_config, initialise, open_store
from tests.audit.helpers import check, lift_triggers, rechain, rows, sql

LEGACY = 5


def _legacy_log(settings: Settings) -> None:
    """An installation at revision 0011 with five events of the plain SHA-256 chain."""
    initialise(settings)
    engine = db.make_engine(settings)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0011")
        prev = chain.GENESIS
        with engine.begin() as conn:
            for seq in range(1, LEGACY + 1):
                when = f"2026-01-0{seq}T00:00:00.000000Z"
                row = chain.Row(seq, 1, when, "u-1", "counsellor", "case.read", "case",
                                f"c-{seq}", "ok", None, None, None, prev, b"")  # fmt: skip
                row = row._replace(entry_hash=chain.entry_hash(prev, row))
                values = row._asdict()
                del values["mac"]
                marks = ", ".join(f":{name}" for name in values)
                conn.execute(text(f"INSERT INTO audit_events VALUES ({marks})"), values)
                prev = row.entry_hash
            conn.execute(text("UPDATE audit_head SET seq = 5, entry_hash = :h"), {"h": prev})
    finally:
        engine.dispose()
    (settings.keys_dir / keyfiles.AUDIT_CHAIN).unlink()


@pytest.fixture
def upgraded(settings: Settings) -> Iterator[Store]:
    _legacy_log(settings)
    done = initialise(settings)
    assert f"created {settings.keys_dir / keyfiles.AUDIT_CHAIN}" in done
    assert any(line.startswith("migrated database from 0011") for line in done)
    store = open_store(settings)
    yield store
    store.close()


def test_the_anchor_seals_the_legacy_events(upgraded: Store) -> None:
    log = rows(upgraded)
    assert [r.mac is None for r in log] == [True] * LEGACY + [False]
    assert log[-1].action == chain.ANCHOR_ACTION and log[-1].prev_hash == log[-2].entry_hash
    found = check(upgraded)
    assert found.message() == (
        "audit log intact: 6 events (seq 1-6); the first 5 from before the keyed chain; "
        "no signed checkpoint due yet"
    )


def test_a_legacy_event_rewritten_after_the_upgrade_is_detected(upgraded: Store) -> None:
    lift_triggers(upgraded)
    sql(upgraded, "UPDATE audit_events SET actor_id = 'u-evil' WHERE seq = 2")
    rechain(upgraded)
    found = check(upgraded)
    assert (found.bad_seq, found.kind) == (6, "forged"), found.message()


def test_calling_every_event_legacy_is_detected(upgraded: Store) -> None:
    lift_triggers(upgraded)
    sql(upgraded, "UPDATE audit_events SET mac = NULL")
    found = check(upgraded)
    assert (found.bad_seq, found.kind) == (1, "forged"), found.message()
    assert "anchor" in found.detail


def test_a_lost_chain_key_is_never_replaced_once_the_log_is_keyed(upgraded: Store) -> None:
    settings = upgraded.settings
    (settings.keys_dir / keyfiles.AUDIT_CHAIN).unlink()
    with pytest.raises(ConfigError, match=r"key file missing: .*audit-chain\.key"):
        initialise(settings)
    with pytest.raises(ConfigError, match="key file missing"):
        open_store(settings)
