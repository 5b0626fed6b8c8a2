"""``flask --app fallstelle audit …``: verify, checkpoint, export, epoch, purge, archive.

Each command opens the store with :func:`~fallstelle.cli.setup.open_or_exit` first, records
its own audit event (security.md LOG-8: working with the log is itself logged) and commits
at its end. ``verify`` reads everything first (keyed chain, checkpoints, the witness file,
the checkpoint files given) and only then records its event; it exits 0 when the log is
intact and 1 with one line naming the first bad seq and the kind of damage otherwise; a
checkpoint file it cannot read exits 2.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from fallstelle.audit import Event, chain, queries, record, retention, service, witness
from fallstelle.cli.progress import progress
from fallstelle.cli.setup import open_or_exit
from fallstelle.db import utcnow

audit_cli = AppGroup("audit", help="Verify, checkpoint and export the audit log.")
OPERATOR = "operator"


def _read_checkpoints(files: tuple[Path, ...]) -> list[tuple[str, chain.Checkpoint]]:
    saved: list[tuple[str, chain.Checkpoint]] = []
    for path in files:
        try:
            saved.append(
                (
                    f"saved checkpoint {path.name}",
                    chain.parse_note(path.read_text(encoding="utf-8")),
                )
            )
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            click.echo(f"fallstelle: checkpoint file {path}: {exc}", err=True)
            sys.exit(2)
    return saved


@audit_cli.command("verify")
@click.option(
    "--checkpoint",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint note saved earlier; the log must still agree with it (repeatable).",
)
def verify_command(files: tuple[Path, ...]) -> None:
    """Recompute the hash chain and check every signed and saved checkpoint."""
    store = open_or_exit()
    witness.flush_all()  # a head this process committed, not yet written by its timer thread
    saved = _read_checkpoints(files)
    public = store.keys.audit_signing_key.public_key()
    with progress("Verifying") as bar:
        result = queries.verify_log(
            store.engine,
            public,
            chain_key=store.keys.audit_chain_key,
            witness_path=store.settings.audit_witness,
            saved_checkpoints=saved,
            progress=bar,
        )
    try:
        with store.sessions() as session:
            reason = None if result.ok else (result.kind or "").replace("-", "_")
            outcome = "ok" if result.ok else "failed"
            record(session, Event("audit.verify", outcome, actor_role=OPERATOR, reason=reason))
            session.commit()
    except service.ChainDamaged as exc:
        click.echo(f"warning: this verification was not recorded: {exc}", err=True)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(result.message())
    if not result.ok:
        sys.exit(1)


@audit_cli.command("checkpoint")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the checkpoint note to this file (never overwritten).",
)
def checkpoint_command(out: Path | None) -> None:
    """Sign a checkpoint at the head now (and any due every 1000 events); print it."""
    store = open_or_exit()
    key = store.keys.audit_signing_key
    with store.sessions() as session:
        record(session, Event("audit.checkpoint", actor_role=OPERATOR))
        made = service.checkpoint(session, key)
        session.commit()
    if made is None:  # pragma: no cover - the command's own event makes the log non-empty
        click.echo("The audit log is empty; nothing to sign.")
        return
    note = made.note()
    if out is not None:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(note)
    click.echo(note, nl=False)


@audit_cli.command("export")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new or empty directory for events.jsonl, checkpoints.jsonl and the public key.",
)
def export_command(out: Path) -> None:
    """Export events (JSON Lines), checkpoints and the public key for an auditor."""
    store = open_or_exit()
    with store.sessions() as session:
        # Recorded (and committed) first, so the export contains its own event, and signed
        # at the head, so the outside verifier can prove every exported event.
        record(session, Event("audit.export", actor_role=OPERATOR))
        service.checkpoint(session, store.keys.audit_signing_key)
        session.commit()
    try:
        summary = queries.export(store.engine, out, store.keys.audit_signing_key.public_key())
    except (FileExistsError, OSError) as exc:
        click.echo(f"fallstelle: export refused: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Exported {summary.events} events and {summary.checkpoints} checkpoints to {out}.")


@audit_cli.command("epoch")
@click.option("--days", default=retention.DEFAULT_EPOCH_DAYS, show_default=True)
@click.option("--now", "force", is_flag=True, help="Start a new epoch regardless of its age.")
def epoch_command(days: int, force: bool) -> None:
    """Start a new retention epoch when the current one is DAYS old (or now)."""
    store = open_or_exit()
    key = store.keys.audit_signing_key
    with store.sessions() as session:
        record(session, Event("audit.epoch", actor_role=OPERATOR))
        if force:
            final = retention.start_epoch(session, key)
        else:
            final = retention.start_epoch_if_due(session, key, epoch_days=days)
        session.commit()
    if final is None:
        click.echo("No new epoch started.")
    else:
        click.echo(f"Epoch {final.epoch} closed at seq {final.seq}; a new epoch has begun.")


@audit_cli.command("purge")
@click.option("--retention-days", default=retention.DEFAULT_RETENTION_DAYS, show_default=True)
def purge_command(retention_days: int) -> None:
    """Delete whole closed epochs whose newest event is older than the retention period."""
    store = open_or_exit()
    with store.sessions() as session:
        purged = retention.purge_epochs(session, retention_days=retention_days)
        # Recorded even when nothing was due: the auditor sees that retention ran.
        record(
            session,
            Event(
                "audit.purge",
                actor_role=OPERATOR,
                object_type="epoch",
                object_id=",".join(map(str, purged)) or None,
            ),
        )
        session.commit()
    click.echo(f"Purged epochs: {', '.join(map(str, purged)) or 'none'}.")


@audit_cli.command("archive")
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Archive epochs whose newest event is older than this day (default: 3 years ago).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory that receives one signed export per archived epoch.",
)
def archive_command(before: dt.datetime | None, out: Path) -> None:
    """Archive old epochs as signed exports, then remove them from the database."""
    store = open_or_exit()
    if before is None:
        cutoff = utcnow() - dt.timedelta(days=retention.DEFAULT_RETENTION_DAYS)
    else:
        cutoff = before.replace(tzinfo=dt.UTC)
    public = store.keys.audit_signing_key.public_key()
    result = queries.verify_log(
        store.engine,
        public,
        chain_key=store.keys.audit_chain_key,
        witness_path=store.settings.audit_witness,
    )
    if not result.ok:
        # Archiving a damaged log would delete the evidence: stop and let the auditor look.
        click.echo(f"fallstelle: archive refused: {result.message()}", err=True)
        sys.exit(1)
    try:
        removed = retention.archive_epochs(store.sessions, store.engine, out, public, before=cutoff)
    except OSError as exc:
        click.echo(f"fallstelle: archive stopped: {exc}", err=True)
        sys.exit(1)
    with store.sessions() as session:
        # Recorded even when nothing was due: the auditor sees that retention ran.
        record(session, Event("audit.archive", actor_role=OPERATOR, object_type="audit_log"))
        session.commit()
    names = ", ".join(map(str, removed)) or "none"
    click.echo(f"Archived and removed epochs: {names} (in {out}).")


def init_app(app: Flask) -> None:
    """Register the ``audit`` command group."""
    app.cli.add_command(audit_cli)
