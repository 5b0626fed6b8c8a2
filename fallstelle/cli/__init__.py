"""Command-line interface: ``flask --app fallstelle <command>``, one module per topic.

``setup`` (init), ``users`` (accounts and offices), ``audit`` (verify, export), ``cases``
(import, demo), ``reports`` (report build). Commands that
touch data open the store through :func:`fallstelle.cli.setup.open_or_exit` first.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from fallstelle.cli import audit, cases, reports, setup, users

    for module in (setup, users, audit, cases, reports):
        module.init_app(app)
