"""``flask --app fallstelle init`` and the refusal helpers every other command uses.

Every command that touches data opens the store first through :func:`open_or_exit`, so it
refuses exactly as ``run.py`` does: one line on stderr, exit code 78, nothing written.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from fallstelle.audit import Event, record
from fallstelle.config import Settings
from fallstelle.errors import ConfigError
from fallstelle.runtime import get_runtime
from fallstelle.store import Store, initialise, open_store


def refuse(exc: ConfigError) -> NoReturn:
    """Print one line on stderr and exit with the refusal's code (78)."""
    click.echo(f"fallstelle: {exc}", err=True)
    sys.exit(exc.exit_code)


def open_or_exit(app: Flask | None = None) -> Store:
    """Open the store of ``app`` (default: the current app) or refuse."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return get_runtime(app).open(app)
    except ConfigError as exc:
        refuse(exc)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create keys and database and apply migrations; never overwrites a key."""
    settings = get_runtime().settings
    os.umask(0o077)
    try:
        done = initialise_and_record(settings)
    except ConfigError as exc:
        refuse(exc)
    if not done:
        click.echo(
            "Nothing to do: keys and database are in place and up to date "
            f"(keys: {settings.keys_dir})."
        )
    for line in done:
        click.echo(line[0].upper() + line[1:] + ".")


def initialise_and_record(settings: Settings) -> list[str]:
    """Run :func:`~fallstelle.store.initialise`; record key creation in the audit log.

    Raises:
        ConfigError: any refusal of ``initialise``.
    """
    done = initialise(settings)
    if any(line.startswith("created keys") for line in done):
        store = open_store(settings)
        try:
            with store.sessions() as session, session.begin():
                for kid in store.keys.keyring.keks:
                    record(
                        session,
                        Event(
                            "key.create",
                            actor_role="operator",
                            object_type="kek",
                            object_id=kid.hex(),
                        ),
                    )
        finally:
            store.close()
    return done


def init_app(app: Flask) -> None:
    app.cli.add_command(init_command)
