"""What one audit event may say: the :class:`Event` value every room hands to ``record``.

Imports only the standard library. An event holds ids and codes, never content: no names,
no field values, no passwords, one-time codes or session ids (ARCHITECTURE.md "Audit log",
security.md LOG-3). The validation below makes that hard to get wrong: every text is a short
token of printable ASCII without spaces or control characters, so a free-text name or a
sentence does not fit, and nothing can inject a line into a log (LOG-9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

#: ``auth.login``, ``case.read``, ``audit.export``: lowercase words joined by dots.
ACTION_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
#: A reason is a code from a fixed vocabulary (``wrong_password``), never free text.
REASON_RE = re.compile(r"^[a-z0-9_]{1,64}$")
#: Ids, roles, request ids, client references: printable ASCII without spaces.
TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")
MAX_LENGTH = 128
OUTCOMES = frozenset({"ok", "denied", "failed", "error"})


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, described by ids and codes only.

    Attributes:
        action: what happened, e.g. ``"auth.login"``, ``"case.read"``.
        outcome: ``"ok"``, ``"denied"``, ``"failed"`` or ``"error"``.
        actor_id: the acting user's id (a UUID string), never a user name.
        actor_role: the role the actor acted in (``"counsellor"``, ``"auditor"``, …).
        object_type: the kind of object acted on (``"case"``, ``"user"``, …).
        object_id: the object's id or case number, never a person's name.
        reason: a reason code such as ``"wrong_password"``; never free text.
        request_id: the request's random id, to correlate events of one request.
        client: the client address, already truncated or keyed-hashed by the caller.

    Raises:
        ValueError: a field does not have the shape above (see the module docstring).
    """

    action: str
    outcome: str = "ok"
    actor_id: str | None = None
    actor_role: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    reason: str | None = None
    request_id: str | None = None
    client: str | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None and field.name not in {"action", "outcome"}:
                continue
            if not isinstance(value, str):
                raise ValueError(f"audit event field {field.name} must be a string")
            if len(value) > MAX_LENGTH or not TOKEN_RE.match(value):
                # The value itself is not repeated: it may be exactly what must not be logged.
                raise ValueError(
                    f"audit event field {field.name} must be 1-{MAX_LENGTH} printable "
                    "ASCII characters without spaces"
                )
        if not ACTION_RE.match(self.action):
            raise ValueError("audit event action must look like 'room.verb' (a-z, _ and dots)")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"audit event outcome must be one of {sorted(OUTCOMES)}")
        if self.reason is not None and not REASON_RE.match(self.reason):
            raise ValueError("audit event reason must be a code of a-z, 0-9 and _ (1-64)")
