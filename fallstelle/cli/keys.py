"""``flask --app fallstelle keys status|rotate|retire``: the key-encryption keys.

``rotate`` makes a new KEK primary and re-wraps every data key in batches while the app
serves; stopped at any point (Ctrl+C, a kill, a crash), running it again finishes the same
rotation. ``retire KID`` destroys a KEK only when no data key uses it. ``status`` also says
how the other keys are rotated (SECURITY.md, "Cryptographic inventory").
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from fallstelle.cases import rotation
from fallstelle.cli.progress import progress
from fallstelle.cli.setup import open_or_exit
from fallstelle.db import utcnow

keys_cli = AppGroup("keys", help="Show, rotate and retire the key-encryption keys.")

OTHER_KEYS = (
    "audit-signing.key: not rotated here; a new signing key needs a new epoch "
    "(`audit epoch`) and auditors given the new audit-signing.pub (SECURITY.md)",
    "blind-index.key: rotated only with a full re-index of names, phone numbers and "
    "e-mail addresses (not automated; SECURITY.md)",
)


@keys_cli.command("status")
def status_command() -> None:
    """List the KEKs: id, status, age and how many data keys each wraps."""
    store = open_or_exit()
    now = utcnow()
    click.echo("kid\tstatus\tcreated\tage_days\tdata_keys")
    for kek in rotation.status(store.sessions, store.settings.keys_dir):
        created = kek.created.date().isoformat() if kek.created else "-"
        age = str((now - kek.created).days) if kek.created else "-"
        click.echo(f"{kek.kid}\t{kek.status}\t{created}\t{age}\t{kek.data_keys}")
    for line in OTHER_KEYS:
        click.echo(f"# {line}")


@keys_cli.command("rotate")
@click.option("--batch", default=rotation.BATCH, show_default=True, help="Data keys per commit.")
def rotate_command(batch: int) -> None:
    """Make a new KEK primary and re-wrap every data key (restartable, online)."""
    store = open_or_exit()
    with progress("Re-wrapping") as bar:
        done = rotation.rotate(store.sessions, store.settings.keys_dir, batch=batch, progress=bar)
    what = "new primary key" if done.started_new else "primary key"
    click.echo(f"{what} {done.primary}: {done.rewrapped} data keys re-wrapped.")
    click.echo(
        "Restart the server so that new cases use it, then run `keys rotate` once more; "
        "`keys retire KID` destroys the old key when no data key uses it (and no backup "
        "you keep still needs it)."
    )


@keys_cli.command("retire")
@click.argument("kid")
def retire_command(kid: str) -> None:
    """Destroy a KEK that wraps no data key any more."""
    store = open_or_exit()
    try:
        rotation.retire(store.sessions, store.settings.keys_dir, kid)
    except rotation.RetireRefused as exc:
        click.echo(f"fallstelle: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Key {kid} destroyed. Backups made before its rotation cannot be restored now.")


def init_app(app: Flask) -> None:
    app.cli.add_command(keys_cli)
