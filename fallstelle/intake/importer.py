"""Import cases from a JSON Lines file (offices moving from spreadsheets): all or nothing.

Imports SQLAlchemy, ``audit``, ``auth``, ``keyfiles`` and the case room's modules. The
operator runs the import for one office; the cases are created as one counsellor of that
office (the services require a counsellor; ``auth.service.actor_of`` builds that actor,
also for an account whose person has not enrolled yet), through
:func:`intake.bulk.create_whole_case`, so case numbers, keys, sealed payloads,
statistical records and ``case.create`` events are the normal ones. The import itself is
one operator event ``case.import`` (``ok`` with the number of cases, or ``failed``).

First every line is checked (``cases.import_format``) and every problem collected; only a
file without problems is imported, in the caller's transaction, which the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fallstelle.audit import Event, record
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import Membership, Office, User, UserRole
from fallstelle.auth.permissions import Role
from fallstelle.auth.service import actor_of
from fallstelle.cases.errors import Invalid
from fallstelle.catalogue import rule_admin, vocab
from fallstelle.clock import today
from fallstelle.intake import bulk
from fallstelle.intake.import_format import Context, Problem, message, read_line
from fallstelle.keyfiles import KeyMaterial


class ImportRefused(Exception):
    """The file has problems (or the office / counsellor is wrong); nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    office_code: str
    counsellor: str
    case_numbers: list[str]


def _office(session: Session, code: str) -> Office:
    office = session.scalar(select(Office).where(Office.code == code.strip().upper()))
    if office is None:
        raise ImportRefused([Problem(0, "--office", "no office with this code")])
    return office


def counsellor_accounts(session: Session, office_id: int) -> list[User]:
    """The office's counsellors, oldest account first."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(Membership.office_id == office_id, UserRole.role == Role.COUNSELLOR.value)
            .order_by(User.created_at, User.username)
        )
    )


def _acting(users: list[User], username: str | None) -> tuple[User, Actor]:
    """Return the counsellor the cases are created as (default: the office's first active).

    An account not enrolled yet may import: an office usually moves its spreadsheets in
    before its counsellors have set up their sign-in. A disabled account may not.
    """
    if username is not None:
        chosen = [u for u in users if u.username == username.strip().casefold()]
        if not chosen:
            raise ImportRefused([Problem(0, "--counsellor", "not a counsellor of this office")])
        if not chosen[0].active:
            enable = f"`flask --app fallstelle users enable {chosen[0].username}`"
            raise ImportRefused([Problem(0, "--counsellor", f"disabled ({enable})")])
    else:
        chosen = [u for u in users if u.active][:1]
        if not chosen:
            raise ImportRefused([Problem(0, "--office", "the office has no active counsellor "
                                         "(`flask --app fallstelle users create NAME --role "
                                         "counsellor --office CODE`)")])  # fmt: skip
    return chosen[0], actor_of(chosen[0])


def check_file(
    session: Session, office_id: int, lines: Iterable[str], counsellors: dict[str, str]
) -> tuple[list[tuple[int, bulk.WholeCase]], list[Problem]]:
    """Check every line; return the cases (with their line numbers) and all problems."""
    ctx = Context(vocab.load(session, office_id), counsellors, rule_admin.rules(session), today())
    cases: list[tuple[int, bulk.WholeCase]] = []
    problems: list[Problem] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        whole, found = read_line(number, text, office_id, ctx)
        problems += found
        if whole is not None:
            cases.append((number, whole))
    if not cases and not problems:
        problems.append(Problem(0, "FILE", "no cases in the file"))
    return cases, problems


def import_cases(
    session: Session,
    keys: KeyMaterial,
    office_code: str,
    lines: Iterable[str],
    counsellor: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Check the whole file, then create every case as the office's counsellor; flush only.

    Raises:
        ImportRefused: every problem found (unknown office or counsellor, a bad line, a
            number too long, nesting too deep, a line separator in a text); the session then
            holds only the ``case.import`` event with outcome ``failed`` — commit it.
    """
    try:
        office = _office(session, office_code)
    except ImportRefused:
        _record(session, None, "failed", 0, True)  # every failed import is audited
        raise
    users = counsellor_accounts(session, office.id)
    try:
        user, actor = _acting(users, counsellor)
    except ImportRefused:
        _record(session, office.id, "failed", 0, True)
        raise
    by_name = {u.username: u.id for u in users}
    cases, problems = check_file(session, office.id, lines, by_name)
    if not problems:
        ids = set(by_name.values())
        rules = rule_admin.rules(session)
        numbers: list[str] = []
        savepoint = session.begin_nested()
        for line, whole in cases:
            try:
                case = bulk.create_whole_case(
                    session, actor, keys, whole, source="import", counsellors=ids, rules=rules
                )
            except Invalid as invalid:  # a rule only the full case shows; normally caught above
                problems.append(Problem(line, invalid.field, message(invalid.code)))
                savepoint.rollback()
                break
            numbers.append(case.case_number)
            if progress is not None:
                progress(len(numbers), len(cases))
        else:
            savepoint.commit()
    _record(session, office.id, "ok" if not problems else "failed", len(cases), bool(problems))
    if problems:
        raise ImportRefused(problems)
    return ImportResult(office.code, user.username, numbers)


def _record(
    session: Session, office_id: int | None, outcome: str, count: int, refused: bool
) -> None:
    record(
        session,
        Event(
            action="case.import",
            outcome=outcome,
            actor_role="operator",
            object_type="office",
            object_id=None if office_id is None else str(office_id),
            reason="invalid_input" if refused else f"cases_{count}",
        ),
    )
