"""``flask --app fallstelle users …`` commands."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the users commands (none yet)."""
    del app
