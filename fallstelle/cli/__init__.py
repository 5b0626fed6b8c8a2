"""Command-line interface: ``flask --app fallstelle <command>``, one module per topic.

``setup`` (init), ``users`` (accounts and offices), ``audit`` (verify, export), ``cases``
(import, demo), ``reports`` (report build), ``retention`` (run), ``serve`` (``run.py``'s
listening; Flask's own ``run`` refused). Commands that touch data open the store through
:func:`fallstelle.cli.setup.open_or_exit` first.
"""

from __future__ import annotations

import click
from flask import Flask


@click.command("version")
def version_command() -> None:
    """Show the version of fallstelle (`flask --version` shows Flask's)."""
    import fallstelle

    click.echo(f"fallstelle {fallstelle.__version__}")


def init_app(app: Flask) -> None:
    from fallstelle.cli import audit, cases, reports, retention, serve, setup, users

    for module in (setup, users, audit, cases, reports, retention):
        module.init_app(app)
    app.cli.add_command(version_command)
    serve.replace_flask_run()
