"""``flask --app fallstelle audit verify | checkpoint | export | epoch | purge``."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from fallstelle.audit import witness
from fallstelle.store import Store
from tests.audit.helpers import append, lift_triggers, rows, sql


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit", *args])
    return result.exit_code, result.output


def test_verify_an_intact_log(app: Flask, store: Store) -> None:
    append(store, 5)
    code, out = run(app, "verify")
    assert code == 0
    assert out == (
        "audit log intact: 5 events (seq 1-5); no signed checkpoint due yet; the witness matches\n"
    )
    assert rows(store)[-1].action == "audit.verify"  # verifying is itself audited


class _SlowTimer:
    """A witness timer thread that has not run yet (a loaded machine)."""

    daemon = False

    def __init__(self, *_args: object) -> None:
        pass

    def start(self) -> None:
        pass


def test_verify_sees_the_head_this_process_committed_before_its_timer_ran(
    app: Flask, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The witness is written on a timer thread after each commit; ``verify`` in the same
    process must not race it (seen on a loaded CI machine: "no witness file")."""
    monkeypatch.setattr(witness.threading, "Timer", _SlowTimer)
    append(store, 5)
    code, out = run(app, "verify")
    assert code == 0
    assert out.endswith("the witness matches\n"), out


def test_verify_a_damaged_log(app: Flask, store: Store) -> None:
    append(store, 5)
    lift_triggers(store)
    sql(store, "DELETE FROM audit_events WHERE seq = 3")
    code, out = run(app, "verify")
    assert code == 1
    assert out == "audit log DAMAGED: first bad seq 3: deleted (seq 3-3 absent)\n"
    last = rows(store)[-1]
    assert (last.action, last.outcome, last.reason) == ("audit.verify", "failed", "deleted")


def test_a_saved_checkpoint_catches_a_rewrite(app: Flask, store: Store, tmp_path: Path) -> None:
    append(store, 5)
    note = tmp_path / "visit.txt"
    code, out = run(app, "checkpoint", "--out", str(note))
    assert code == 0
    assert out == note.read_text()
    assert out.startswith("fallstelle/audit\n6\n")  # covers its own audit.checkpoint event
    assert run(app, "verify", "--checkpoint", str(note))[0] == 0
    from tests.audit.helpers import drop_witness, rechain, resign

    # An attacker with every key rewrites history and the witness; the saved note remains.
    lift_triggers(store)
    sql(store, "UPDATE audit_events SET actor_id = 'u-9' WHERE seq = 2")
    rechain(store, chain_key=store.keys.audit_chain_key)
    resign(store, store.keys.audit_signing_key)
    drop_witness(store)
    code, out = run(app, "verify", "--checkpoint", str(note))
    assert code == 1
    assert out.splitlines()[-1] == (
        "audit log DAMAGED: first bad seq 6: forged "
        "(disagrees with saved checkpoint visit.txt; rewritten after 0)"
    )


def test_an_unreadable_checkpoint_file_exits_2(app: Flask, store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("not a checkpoint\n")
    code, out = run(app, "verify", "--checkpoint", str(bad))
    assert code == 2
    assert "checkpoint file" in out


def test_export_writes_events_checkpoints_and_key(app: Flask, store: Store, tmp_path: Path) -> None:
    append(store, 4)
    out_dir = tmp_path / "export"
    code, out = run(app, "export", "--out", str(out_dir))
    assert code == 0, out
    assert out == f"Exported 5 events and 1 checkpoints to {out_dir}.\n"
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "audit-signing.pub",
        "checkpoints.jsonl",
        "events.jsonl",
        "head.json",
    ]
    assert len((out_dir / "events.jsonl").read_text().splitlines()) == 5
    assert (out_dir / "events.jsonl").stat().st_mode & 0o077 == 0
    code, out = run(app, "export", "--out", str(out_dir))
    assert code == 1 and "not empty" in out


def test_epoch_and_purge(app: Flask, store: Store) -> None:
    append(store, 3)
    assert run(app, "epoch") == (0, "No new epoch started.\n")
    assert run(app, "epoch", "--now") == (0, "Epoch 1 closed at seq 5; a new epoch has begun.\n")
    assert run(app, "purge") == (0, "Purged epochs: none.\n")
    assert run(app, "verify")[0] == 0
