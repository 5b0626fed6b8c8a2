"""Refusals of the case room. Imports ``errors`` and ``auth.errors``.

``NotAllowed`` (no permission: 403) and ``Invalid`` (a field breaks a rule) are the accounts
room's; a case outside the actor's offices or visibility is :class:`CaseNotFound`, the same
as a case that does not exist (404, never 403: the answer must not confirm that the id is a
case of another office).
"""

from __future__ import annotations

import datetime as dt

from fallstelle.auth.errors import Conflict, Invalid, NotAllowed
from fallstelle.errors import FallstelleError

__all__ = ["CaseConflict", "CaseKeyRefused", "CaseNotFound", "Invalid", "NotAllowed"]


class CaseNotFound(FallstelleError, LookupError):
    """No such case, or not one the actor may see."""


class CaseConflict(Conflict):
    """The case changed since the form was loaded: who changed it (id and name) and when."""

    def __init__(
        self, changed_by_id: str | None, changed_by_name: str | None, changed_at: dt.datetime
    ) -> None:
        super().__init__("case")
        self.changed_by_id = changed_by_id
        self.changed_by_name = changed_by_name
        self.changed_at = changed_at


class CaseKeyRefused(NotAllowed):
    """The case's data key is not bound to the office and counsellors its row names now.

    Only a write past the application does that (issue 11: an administrator or a modified
    database file moved the case or changed its counsellors). Nothing of the case is shown;
    the refusal is audited with reason ``binding`` and answers 403.
    """
