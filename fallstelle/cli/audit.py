"""``flask --app fallstelle audit …`` commands."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the audit commands (none yet)."""
    del app
