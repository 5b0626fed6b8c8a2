"""Refusals of the accounts room; each carries a reason code for the audit log."""

from __future__ import annotations

from fallstelle.errors import FallstelleError


class AuthRefused(FallstelleError):
    """An authentication step failed. ``reason`` is a code, never user input."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAllowed(FallstelleError):
    """The actor lacks the permission or the object is outside their offices."""


class Invalid(FallstelleError):
    """Input that breaks a rule; ``field`` names the form field, ``code`` the message."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


class Conflict(FallstelleError):
    """Someone else changed the object since the form was loaded."""
