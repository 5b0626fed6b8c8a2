"""Audit retention (issue 13): old epochs archived as signed exports, then removed; the rest
stays verifiable, the archive verifies offline, a re-run after a kill does the right thing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask

from fallstelle.audit import queries, retention
from fallstelle.store import Store
from tests.audit.helpers import append, check, rows, sql, tool

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)


def _new_epoch(store: Store) -> None:
    with store.sessions() as session:
        assert retention.start_epoch(session, store.keys.audit_signing_key) is not None
        session.commit()


@pytest.fixture
def three_epochs(signed: Store) -> Store:
    append(signed, 12)
    _new_epoch(signed)  # epoch 1: seq 1-12 (final checkpoint at 12)
    append(signed, 7)
    _new_epoch(signed)  # epoch 2: seq 13-19
    append(signed, 4)  # epoch 3 (current): seq 20-23
    return signed


def _archive(store: Store, out: Path, before: dt.datetime = LATER) -> list[int]:
    public = store.keys.audit_signing_key.public_key()
    return retention.archive_epochs(store.sessions, store.engine, out, public, before=before)


def test_archiving_keeps_what_stays_verifiable(three_epochs: Store, tmp_path: Path) -> None:
    assert _archive(three_epochs, tmp_path / "arch") == [1, 2]
    kept = rows(three_epochs)
    assert kept[0].seq == 20 and [r.action for r in kept[-2:]] == ["audit.archive"] * 2
    found = check(three_epochs)
    assert found.ok, found.message()
    assert (found.first_seq, found.last_seq) == (20, 25)
    assert sql(three_epochs, "SELECT epoch FROM audit_purges ORDER BY epoch") == [(1,), (2,)]


def test_each_archive_verifies_offline_with_the_public_key(
    three_epochs: Store, tmp_path: Path
) -> None:
    _archive(three_epochs, tmp_path / "arch")
    public = three_epochs.keys.audit_signing_key.public_key()
    first = tool().verify_export(tmp_path / "arch" / "audit-epoch-000001", public)
    assert first.message() == "audit log intact: 12 events (seq 1-12); 2 signed checkpoints match"
    second = tool().verify_export(tmp_path / "arch" / "audit-epoch-000002", public)
    assert second.ok and (second.first_seq, second.last_seq) == (13, 19)


def test_a_cut_archive_is_detected_offline(three_epochs: Store, tmp_path: Path) -> None:
    _archive(three_epochs, tmp_path / "arch")
    events = tmp_path / "arch" / "audit-epoch-000002" / "events.jsonl"
    events.write_text("".join(events.read_text().splitlines(keepends=True)[:-2]))
    public = three_epochs.keys.audit_signing_key.public_key()
    found = tool().verify_export(events.parent, public)
    assert found.message().startswith("audit log DAMAGED: first bad seq 18: truncated")


def test_young_epochs_and_the_current_one_stay(three_epochs: Store, tmp_path: Path) -> None:
    assert (
        _archive(
            three_epochs, tmp_path / "arch", before=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        )
        == []
    )
    assert len(rows(three_epochs)) == 23
    assert not list((tmp_path / "arch").iterdir())


def test_a_rerun_after_a_kill_finishes_the_job(three_epochs: Store, tmp_path: Path) -> None:
    out = tmp_path / "arch"
    # Killed while writing epoch 1: a half-written temporary directory is left.
    (out / ".audit-epoch-000001.tmp").mkdir(parents=True)
    (out / ".audit-epoch-000001.tmp" / "events.jsonl").write_text("{half")
    # Killed after writing epoch 2's archive but before deleting its events: simulated by
    # archiving into another directory and copying it over.
    assert _archive(three_epochs, out) == [1, 2]
    assert not (out / ".audit-epoch-000001.tmp").exists()
    assert _archive(three_epochs, out) == []  # idempotent
    assert check(three_epochs).ok


def test_an_archive_written_but_not_removed_is_removed_on_rerun(
    three_epochs: Store, tmp_path: Path
) -> None:
    out = tmp_path / "arch"
    public = three_epochs.keys.audit_signing_key.public_key()
    queries.export(three_epochs.engine, out / "audit-epoch-000001", public, seqs=(1, 12))
    before = (out / "audit-epoch-000001" / "events.jsonl").read_text()
    assert _archive(three_epochs, out) == [1, 2]
    assert (out / "audit-epoch-000001" / "events.jsonl").read_text() == before
    assert check(three_epochs).ok


def test_the_archive_command(app: Flask, three_epochs: Store, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    out = tmp_path / "arch"
    args = ["audit", "archive", "--before", tomorrow, "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output == f"Archived and removed epochs: 1, 2 (in {out}).\n"
    result = runner.invoke(args=args)
    assert result.output == f"Archived and removed epochs: none (in {out}).\n"
    assert rows(three_epochs)[-1].action == "audit.archive"


def test_the_archive_command_refuses_a_damaged_log(
    app: Flask, three_epochs: Store, tmp_path: Path
) -> None:
    from tests.audit.helpers import lift_triggers

    lift_triggers(three_epochs)
    sql(three_epochs, "UPDATE audit_events SET actor_id = 'u-evil' WHERE seq = 3")
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    result = app.test_cli_runner().invoke(
        args=["audit", "archive", "--before", tomorrow, "--out", str(tmp_path / "a")]
    )
    assert result.exit_code == 1
    assert "archive refused: audit log DAMAGED: first bad seq 3: edited" in result.output
    assert len(rows(three_epochs)) == 23
