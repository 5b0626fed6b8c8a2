"""The role table: who may open a case, who may report on which office."""

from __future__ import annotations

from itertools import combinations

import pytest

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission, Role, permissions_for

NON_COUNSELLING = [Role.MANAGEMENT, Role.AUDITOR, Role.ADMIN]


@pytest.mark.parametrize("size", [1, 2, 3])
def test_no_combination_without_counsellor_opens_a_case(size: int) -> None:
    for roles in combinations(NON_COUNSELLING, size):
        granted = permissions_for(frozenset(roles))
        assert Permission.CASE_READ not in granted and Permission.CASE_WRITE not in granted


def test_management_reports_on_its_offices() -> None:
    actor = Actor.for_user("u", frozenset({Role.MANAGEMENT}), frozenset({1, 2}))
    assert actor.can(Permission.REPORT_GENERATE) and actor.report_offices == {1, 2}
    assert not actor.can(Permission.CASE_READ)


def test_counsellors_report_only_where_the_office_allows() -> None:
    closed = Actor.for_user("u", frozenset({Role.COUNSELLOR}), frozenset({1}))
    assert not closed.can(Permission.REPORT_GENERATE) and closed.report_offices == frozenset()
    open_ = Actor.for_user("u", frozenset({Role.COUNSELLOR}), frozenset({1, 2}), frozenset({2, 3}))
    assert open_.can(Permission.REPORT_GENERATE) and open_.report_offices == {2}


def test_only_auditors_read_the_log_and_only_admins_manage_users() -> None:
    for role in Role:
        granted = permissions_for(frozenset({role}))
        assert (Permission.AUDIT_READ in granted) == (role is Role.AUDITOR)
        assert (Permission.USER_MANAGE in granted) == (role is Role.ADMIN)
