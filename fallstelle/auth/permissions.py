"""Roles and permissions as data: one table maps each role to what it may do (Warehouse style).

Views declare the coarse permission; services check the object (this office, this case).
Management, auditor and admin never get ``case:read`` or ``case:write``: no combination of
those roles can open a case (ARCHITECTURE.md, "Roles").
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    CASE_READ = "case:read"
    CASE_WRITE = "case:write"
    REPORT_GENERATE = "report:generate"
    AUDIT_READ = "audit:read"
    USER_MANAGE = "user:manage"
    OFFICE_MANAGE = "office:manage"
    VOCABULARY_MANAGE = "vocabulary:manage"
    KEY_MANAGE = "key:manage"
    #: Every signed-in account: its own password, sign-out, the home page.
    ACCOUNT_SELF = "account:self"


class Role(StrEnum):
    COUNSELLOR = "counsellor"
    MANAGEMENT = "management"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # report:generate for counsellors is conditional on the office's policy (see Actor).
    Role.COUNSELLOR: frozenset({Permission.CASE_READ, Permission.CASE_WRITE}),
    Role.MANAGEMENT: frozenset({Permission.REPORT_GENERATE}),
    Role.AUDITOR: frozenset({Permission.AUDIT_READ}),
    Role.ADMIN: frozenset(
        {
            Permission.USER_MANAGE,
            Permission.OFFICE_MANAGE,
            Permission.VOCABULARY_MANAGE,
            Permission.KEY_MANAGE,
        }
    ),
}

#: German labels of the roles, for pages and messages.
ROLE_LABELS_DE = {
    Role.COUNSELLOR: "Berater*in",
    Role.MANAGEMENT: "Leitung",
    Role.AUDITOR: "Datenschutz",
    Role.ADMIN: "Administration",
}


def permissions_for(roles: frozenset[Role]) -> frozenset[Permission]:
    """Return the union of the roles' permissions plus ``account:self``."""
    granted: set[Permission] = {Permission.ACCOUNT_SELF}
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
