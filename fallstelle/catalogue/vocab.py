"""Vocabularies for the forms and for validation; an office's own level-2 terms.

Imports SQLAlchemy, ``audit``, ``auth`` and the case models. Level 1 is fixed (pooled reports
count by it); an admin may add level-2 terms for one office under a shared level-1 term of a
two-level vocabulary. Their code is ``<level1>.<slug>``, so the mapping to level 1 is fixed
by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from fallstelle.audit import Event, record
from fallstelle.auth.actor import Actor
from fallstelle.auth.errors import Invalid, NotAllowed
from fallstelle.auth.models import Office
from fallstelle.auth.permissions import Permission
from fallstelle.catalogue.models import VocabTerm
from fallstelle.catalogue.vocab_seed import TWO_LEVEL

SLUG = re.compile(r"[a-z][a-z0-9_]{1,39}")


@dataclass(frozen=True)
class Vocabulary:
    """The active terms one office may use: ``(vocabulary, code)`` → term."""

    terms: dict[tuple[str, str], VocabTerm]

    def known(self, vocabulary: str, code: str) -> bool:
        return (vocabulary, code) in self.terms

    def label(self, vocabulary: str, code: str, lang: str = "de") -> str:
        term = self.terms.get((vocabulary, code))
        if term is None:
            return code
        return term.label_de if lang == "de" else term.label_en


_CACHE = "fallstelle.vocabulary"


def _scope(office_id: int) -> ColumnElement[bool]:
    return or_(VocabTerm.office_id.is_(None), VocabTerm.office_id == office_id)


def load(session: Session, office_id: int) -> Vocabulary:
    """Return the shared terms plus the office's own ones (kept for the session's lifetime).

    A session is one request or one batch; ``add_term`` drops the kept copy.
    """
    key = (_CACHE, office_id)
    cached = session.info.get(key)
    if isinstance(cached, Vocabulary):
        return cached
    rows = session.scalars(select(VocabTerm).where(VocabTerm.active.is_(True), _scope(office_id)))
    loaded = Vocabulary({(t.vocabulary, t.code): t for t in rows})
    session.info[key] = loaded
    return loaded


def terms(session: Session, vocabulary: str, office_id: int) -> list[VocabTerm]:
    """Return the active terms of one vocabulary for an office, level 1 before its children."""
    rows = session.scalars(
        select(VocabTerm)
        .where(
            VocabTerm.vocabulary == vocabulary,
            VocabTerm.active.is_(True),
            _scope(office_id),
        )
        .order_by(VocabTerm.office_id.is_not(None), VocabTerm.position, VocabTerm.id)
    )
    return list(rows)


def add_term(
    session: Session,
    actor: Actor,
    office_id: int,
    vocabulary: str,
    parent_code: str,
    slug: str,
    label_de: str,
    label_en: str,
) -> VocabTerm:
    """Add an office's own level-2 term under a shared level-1 term.

    Raises:
        NotAllowed: the actor may not manage vocabularies.
        Invalid: not a two-level vocabulary, unknown parent, malformed or taken slug,
            missing label, unknown office.
    """
    if not actor.can(Permission.VOCABULARY_MANAGE):
        record(session, Event(action="vocab.create", outcome="denied", actor_id=actor.user_id,
                              actor_role=actor.audit_role, reason="no_permission"))  # fmt: skip
        raise NotAllowed(Permission.VOCABULARY_MANAGE.value)
    if vocabulary not in TWO_LEVEL:
        raise Invalid("vocabulary", "fixed_vocabulary")
    if session.get(Office, office_id) is None:
        raise Invalid("office", "choice")
    parent = session.scalar(
        select(VocabTerm).where(
            VocabTerm.vocabulary == vocabulary,
            VocabTerm.code == parent_code,
            VocabTerm.level == 1,
            VocabTerm.office_id.is_(None),
        )
    )
    if parent is None:
        raise Invalid("parent_code", "unknown_code")
    if not SLUG.fullmatch(slug):
        raise Invalid("slug", "slug_format")
    code = f"{parent_code}.{slug}"
    taken = session.scalar(
        select(VocabTerm.id).where(
            VocabTerm.vocabulary == vocabulary,
            VocabTerm.code == code,
            _scope(office_id),
        )
    )
    if taken is not None:
        raise Invalid("slug", "taken")
    for name, label in (("label_de", label_de), ("label_en", label_en)):
        if not label.strip() or len(label) > 200:
            raise Invalid(name, "required")
    term = VocabTerm(
        vocabulary=vocabulary, code=code, level=2, parent_code=parent_code,
        label_de=label_de.strip(), label_en=label_en.strip(), office_id=office_id,
        position=10_000, own_line=False, active=True,
    )  # fmt: skip
    session.add(term)
    session.flush()
    session.info.pop((_CACHE, office_id), None)
    record(
        session,
        Event(action="vocab.create", actor_id=actor.user_id, actor_role=actor.audit_role,
              object_type="vocab_term", object_id=str(term.id)),
    )  # fmt: skip
    return term


def office_terms(session: Session, office_ids: list[int]) -> list[VocabTerm]:
    """Return the level-2 terms the given offices added themselves."""
    rows = session.scalars(
        select(VocabTerm)
        .where(VocabTerm.office_id.in_(office_ids))
        .order_by(VocabTerm.office_id, VocabTerm.vocabulary, VocabTerm.code)
    )
    return list(rows)
