"""The deadline rule table as admins keep it: rules are data with validity periods, because
the AGG is being reformed (DOMAIN.md). A new version of a rule ends the previous one on the
day it starts; existing deadlines keep the version they were computed with.

Imports SQLAlchemy, ``audit``, ``auth`` and the case room's models and ``deadlines``.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from fallstelle.audit import record
from fallstelle.auth.actor import Actor
from fallstelle.auth.errors import Invalid, NotAllowed
from fallstelle.auth.permissions import Permission
from fallstelle.catalogue import cache, deadlines
from fallstelle.catalogue.models import DeadlineRule

CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")


def _require(session: Session, actor: Actor) -> None:
    if not actor.can(Permission.VOCABULARY_MANAGE):
        record(session, actor.event("rule.create", outcome="denied", reason="no_permission"))
        raise NotAllowed(Permission.VOCABULARY_MANAGE.value)


def list_rules(session: Session, actor: Actor) -> list[DeadlineRule]:
    """Return every version of every rule, newest first within a code.

    Raises:
        NotAllowed: the actor may not manage vocabularies and rules.
    """
    _require(session, actor)
    return list(
        session.scalars(
            select(DeadlineRule).order_by(DeadlineRule.code, DeadlineRule.valid_from.desc())
        )
    )


def add_version(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name_de: str,
    name_en: str,
    legal_reference: str,
    amount: int,
    unit: str,
    start_event: str,
    valid_from: dt.date,
    from_year_end: bool = False,
) -> DeadlineRule:
    """Add a rule or a new version of one, valid from ``valid_from``.

    Raises:
        NotAllowed: the actor may not manage rules.
        Invalid: malformed code, empty name or reference, amount outside 1–1000, unknown
            unit or start event, a start not after the current version's start.
    """
    _require(session, actor)
    if not CODE.fullmatch(code):
        raise Invalid("code", "rule_code_format")
    for field, value, limit in (
        ("name_de", name_de, 200),
        ("name_en", name_en, 200),
        ("legal_reference", legal_reference, 100),
    ):
        if not value.strip() or len(value) > limit:
            raise Invalid(field, "required")
    if not 1 <= amount <= 1000:
        raise Invalid("amount", "range")
    if unit not in deadlines.UNITS:
        raise Invalid("unit", "choice")
    if start_event not in deadlines.START_EVENTS:
        raise Invalid("start_event", "choice")
    current = session.scalar(
        select(DeadlineRule).where(DeadlineRule.code == code, DeadlineRule.valid_to.is_(None))
    )
    if current is not None:
        if valid_from <= current.valid_from:
            raise Invalid("valid_from", "date_range")
        current.valid_to = valid_from
    rule = DeadlineRule(
        code=code,
        name_de=name_de.strip(),
        name_en=name_en.strip(),
        legal_reference=legal_reference.strip(),
        amount=amount,
        unit=unit,
        start_event=start_event,
        from_year_end=from_year_end,
        valid_from=valid_from,
    )
    session.add(rule)
    session.flush()
    cache.bump(session)
    record(session, actor.event("rule.create", object_type="deadline_rule", object_id=code))
    return rule


def rules(session: Session) -> tuple[deadlines.Rule, ...]:
    """Return every deadline rule version stored (the process's current copy)."""
    return cache.cached(session, "rules", lambda: _read_rules(session))


def _read_rules(session: Session) -> tuple[deadlines.Rule, ...]:
    rows = session.scalars(select(DeadlineRule).order_by(DeadlineRule.id))
    return tuple(
        deadlines.Rule(
            r.code, r.name_de, r.name_en, r.legal_reference, r.amount, r.unit, r.start_event,
            r.valid_from, r.valid_to, r.from_year_end,
        )
        for r in rows
    )

