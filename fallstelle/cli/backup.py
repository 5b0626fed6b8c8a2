"""``flask --app fallstelle backup create|verify|restore``.

Progress goes to stderr (one line per step, and a bar on a terminal); the last line on
stdout of ``create`` is the backup's path, so a script can take it with ``tail -n 1``.
Every refusal or damage is one line on stderr: exit code 1 for damage or a failure,
78 (EX_CONFIG) for a refusal of the installation (keys, database).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

import fallstelle
from fallstelle.audit import Event, record
from fallstelle.backup import archive, identity, restore
from fallstelle.cli.progress import progress
from fallstelle.cli.setup import open_or_exit, refuse
from fallstelle.errors import ConfigError
from fallstelle.keyfiles import load_keys
from fallstelle.runtime import get_runtime

backup_cli = AppGroup("backup", help="Back up, verify and restore the whole installation.")


def _private() -> None:
    os.umask(0o077)  # backups, copies and restored files: the service user only


def _say(line: str) -> None:
    click.echo(f"backup: {line}", err=True)


def _fail(message: str) -> None:
    click.echo(f"fallstelle: {message}", err=True)
    sys.exit(1)


_IDENTITY = click.option(
    "--identity",
    "identity_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The age identity the backups are encrypted to (default: keys/backup-identity.txt).",
)


def _identity(identity_file: Path | None) -> object:
    settings = get_runtime().settings
    try:
        return identity.identity(identity_file or settings.keys_dir / identity.IDENTITY)
    except ConfigError as exc:
        refuse(exc)


@backup_cli.command("create")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory the backup file is written to (created 0700 if missing).",
)
def create_command(out_dir: Path) -> None:
    """Write one encrypted backup (database, attachments, manifest) while the app serves."""
    _private()
    store = open_or_exit()
    try:
        with progress("Copying") as bar:
            path = archive.create(
                store.settings, store.keys, store.engine, out_dir,
                app_version=fallstelle.__version__, say=_say, bar=bar,
            )  # fmt: skip
    except ConfigError as exc:
        refuse(exc)
    except archive.BackupFailed as exc:
        _fail(str(exc))
    with store.sessions() as session, session.begin():
        record(session, Event("backup.create", actor_role="operator"))
    _say(f"written {path.stat().st_size} bytes")
    click.echo(str(path))


@backup_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_IDENTITY
@click.option("--scratch", help="PostgreSQL only: an empty database URL to load the copy into.")
def verify_command(path: Path, identity_file: Path | None, scratch: str | None) -> None:
    """Decrypt a backup, check every part and run the audit verification on the copy."""
    _private()
    settings = get_runtime().settings
    ident = _identity(identity_file)
    try:
        keys = load_keys(settings.keys_dir)
        with progress("Verifying") as bar:
            checked = restore.verify(
                path, ident, keys, settings.data_dir, scratch_url=scratch, say=_say, bar=bar
            )
    except ConfigError as exc:
        refuse(exc)
    except archive.BackupFailed as exc:
        _fail(str(exc))
    click.echo(
        f"backup intact: {len(checked.manifest.parts)} parts, made {checked.manifest.created_at}"
        f"; {checked.audit.message()}"
    )


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "to_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="An empty data directory; serve it with FALLSTELLE_DATA_DIR set to it.",
)
@_IDENTITY
def restore_command(path: Path, to_dir: Path, identity_file: Path | None) -> None:
    """Restore a backup into an empty data directory and re-apply later erasures."""
    _private()
    settings = get_runtime().settings
    ident = _identity(identity_file)
    try:
        keys = load_keys(settings.keys_dir)
        with progress("Checking") as bar:
            done = restore.restore(path, ident, keys, settings, to_dir.resolve(), say=_say, bar=bar)
    except ConfigError as exc:
        refuse(exc)
    except archive.BackupFailed as exc:
        _fail(str(exc))
    _say(f"{done.cases} cases restored, {done.reapplied} erased again from the register")
    click.echo(
        f"restored into {done.settings.data_dir}: start with FALLSTELLE_DATA_DIR="
        f"{done.settings.data_dir}"
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_cli)
