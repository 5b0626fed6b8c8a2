"""Who is acting: the signed-in user as services see it (no Flask, no ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fallstelle.auth.permissions import Permission, Role, permissions_for


@dataclass(frozen=True)
class Actor:
    """A user with roles and office memberships, or the operator at the command line.

    ``report_offices`` are the offices this actor may generate reports for: every office of
    a management member, and those offices of a counsellor that allow counsellors to report.
    """

    user_id: str | None
    roles: frozenset[Role] = frozenset()
    office_ids: frozenset[int] = frozenset()
    report_offices: frozenset[int] = frozenset()
    permissions: frozenset[Permission] = field(default=frozenset())

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
        return cls(
            None, frozenset({Role.ADMIN}), permissions=permissions_for(frozenset({Role.ADMIN}))
        )

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def audit_role(self) -> str:
        """The roles as one stable string for the audit log (``operator`` at the CLI)."""
        if self.user_id is None:
            return "operator"
        return "+".join(sorted(self.roles)) or "none"
