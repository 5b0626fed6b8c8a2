"""Who is acting: a signed-in user, or the operator at the command line (no Flask, no ORM).

There are two kinds, and every room asks which one it has (``is_operator``) instead of
guessing from a missing user id: a **user** has an id, roles and offices; the **operator**
is the person at the server's command line, who holds ``keys/`` anyway — reports and
administration let them act, the case room never does (imports and demos act as one of the
office's counsellors). :meth:`Actor.event` is the one way to describe what an actor did for
the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fallstelle.audit.events import Event
from fallstelle.auth.permissions import Permission, Role, permissions_for

USER = "user"
OPERATOR = "operator"


@dataclass(frozen=True)
class Actor:
    """A user with roles and office memberships, or the operator at the command line.

    ``report_offices`` are the offices this actor may generate reports for: every office of
    a management member, and those offices of a counsellor that allow counsellors to report.

    Raises:
        ValueError: a user without an id, or an operator with one.
    """

    user_id: str | None
    roles: frozenset[Role] = frozenset()
    office_ids: frozenset[int] = frozenset()
    report_offices: frozenset[int] = frozenset()
    permissions: frozenset[Permission] = field(default=frozenset())
    kind: str = USER

    def __post_init__(self) -> None:
        if (self.kind == USER) != (self.user_id is not None) or self.kind not in (USER, OPERATOR):
            raise ValueError("a user has an id; the operator has none")

    @classmethod
    def for_user(
        cls,
        user_id: str,
        roles: frozenset[Role],
        office_ids: frozenset[int],
        counsellor_report_offices: frozenset[int] = frozenset(),
    ) -> Actor:
        granted = permissions_for(roles)
        report = office_ids if Role.MANAGEMENT in roles else frozenset()
        if Role.COUNSELLOR in roles:
            report = report | (office_ids & counsellor_report_offices)
        if report:
            granted = granted | {Permission.REPORT_GENERATE}
        return cls(user_id, roles, office_ids, report, granted)

    @classmethod
    def operator(cls) -> Actor:
        """The person at the command line of the server (holds keys/ anyway)."""
        admin = frozenset({Role.ADMIN})
        return cls(None, admin, permissions=permissions_for(admin), kind=OPERATOR)

    @property
    def is_operator(self) -> bool:
        return self.kind == OPERATOR

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def audit_role(self) -> str:
        """The roles as one stable string for the audit log (``operator`` at the CLI)."""
        if self.is_operator:
            return OPERATOR
        return "+".join(sorted(self.roles)) or "none"

    def event(
        self,
        action: str,
        *,
        outcome: str = "ok",
        object_type: str | None = None,
        object_id: str | None = None,
        reason: str | None = None,
        request_id: str | None = None,
    ) -> Event:
        """Describe something this actor did, for ``audit.record`` (ids and codes only)."""
        return Event(
            action=action,
            outcome=outcome,
            actor_id=self.user_id,
            actor_role=self.audit_role,
            object_type=object_type,
            object_id=object_id,
            reason=reason,
            request_id=request_id,
        )
