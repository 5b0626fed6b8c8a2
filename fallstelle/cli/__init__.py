"""Command-line interface: ``flask --app fallstelle <command>``, one module per topic.

``setup`` (init), ``users`` (accounts and offices), ``audit`` (verify, export), ``cases``
(import, demo), ``reports`` (report build), ``backup`` (create, verify, restore), ``keys``
(status, rotate, retire), ``retention`` (run), ``serve`` (``run.py``'s listening; Flask's own
``run`` refused). Commands that touch data open the store through
:func:`fallstelle.cli.setup.open_or_exit` first.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import click
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from fallstelle.db import storage_fault
from fallstelle.store import storage_state


@click.command("version")
def version_command() -> None:
    """Show the version of fallstelle (`flask --version` shows Flask's)."""
    import fallstelle

    click.echo(f"fallstelle {fallstelle.__version__}")


#: Exit code of a command stopped by a storage fault (sysexits.h EX_TEMPFAIL: try again).
EX_TEMPFAIL = 75
STORAGE_LINES = {
    "full": "storage full: no space left for the database or the data directory; nothing "
    "was saved. Free space, then run the command again",
    "read_only": "the database or the data directory is read-only (file system or "
    "permissions); nothing was saved. Make it writable, then run the command again",
}


def _file_system_state(exc: Exception) -> str | None:
    if not isinstance(exc, OSError | SQLAlchemyError):
        return None
    from flask import current_app

    from fallstelle.runtime import get_runtime

    return storage_state(get_runtime(current_app).settings.data_dir)


def one_line_on_storage_faults(command: click.Command) -> None:
    """Let a full disk or a read-only database end ``command`` with one line, no traceback.

    Every command's transaction is rolled back by its ``with`` block on the way out, so
    nothing is half-written; groups are walked recursively.
    """
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            one_line_on_storage_faults(sub)
    callback = command.callback
    if callback is None:
        return

    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except Exception as exc:
            kind = storage_fault(exc) or _file_system_state(exc)
            if kind is None:
                raise
            click.echo(f"fallstelle: {STORAGE_LINES[kind]}", err=True)
            sys.exit(EX_TEMPFAIL)

    command.callback = guarded


def init_app(app: Flask) -> None:
    from fallstelle.cli import (
        audit,
        backup,
        cases,
        keys,
        reports,
        retention,
        serve,
        setup,
        users,
    )

    for module in (setup, users, audit, cases, reports, backup, keys, retention):
        module.init_app(app)
    app.cli.add_command(version_command)
    one_line_on_storage_faults(app.cli)
    serve.replace_flask_run()
