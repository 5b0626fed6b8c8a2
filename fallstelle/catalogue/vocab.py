"""Vocabularies for the forms and for validation; an office's own level-2 terms.

Imports SQLAlchemy, ``audit``, ``auth`` and this room's models and cache (each process keeps
the terms it has read until the catalogue changes: ``catalogue.cache``). Level 1 is fixed
(pooled reports count by it); an admin may add level-2 terms for one office under a shared
level-1 term of a two-level vocabulary. Their code is ``<level1>.<slug>``, so the mapping to
level 1 is fixed by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from fallstelle.audit import record
from fallstelle.auth.actor import Actor
from fallstelle.auth.errors import Invalid, NotAllowed
from fallstelle.auth.models import Office
from fallstelle.auth.permissions import Permission
from fallstelle.catalogue import cache
from fallstelle.catalogue.models import VocabTerm
from fallstelle.catalogue.vocab_seed import TWO_LEVEL

SLUG = re.compile(r"[a-z][a-z0-9_]{1,39}")


@dataclass(frozen=True, slots=True)
class Term:
    """One active vocabulary term as the forms and validation see it (no ORM object)."""

    vocabulary: str
    code: str
    level: int
    parent_code: str | None
    label_de: str
    label_en: str
    office_id: int | None
    own_line: bool

    def label(self, lang: str = "de") -> str:
        return self.label_de if lang == "de" else self.label_en


@dataclass(frozen=True)
class Vocabulary:
    """The active terms one office may use: ``(vocabulary, code)`` → term, and each
    vocabulary's terms in the order the forms list them (level 1 before its children)."""

    terms: dict[tuple[str, str], Term]
    ordered: dict[str, tuple[Term, ...]] = field(default_factory=dict)

    def known(self, vocabulary: str, code: str) -> bool:
        return (vocabulary, code) in self.terms

    def label(self, vocabulary: str, code: str, lang: str = "de") -> str:
        term = self.terms.get((vocabulary, code))
        if term is None:
            return code
        return term.label(lang)

    def in_order(self, vocabulary: str) -> tuple[Term, ...]:
        return self.ordered.get(vocabulary, ())

    def choices(
        self, vocabulary: str, lang: str = "de", *, blank: bool = True
    ) -> list[tuple[str, str]]:
        """``(code, label)`` pairs for a form; level-2 terms follow their parent, indented."""
        out = [("", "–")] if blank else []
        for term in self.in_order(vocabulary):
            out.append((term.code, ("\u2003" if term.level == 2 else "") + term.label(lang)))
        return out


def _scope(office_id: int) -> ColumnElement[bool]:
    return or_(VocabTerm.office_id.is_(None), VocabTerm.office_id == office_id)


def load(session: Session, office_id: int) -> Vocabulary:
    """Return the shared terms plus the office's own ones (the process's current copy)."""
    return cache.cached(session, ("vocabulary", office_id), lambda: _read(session, office_id))


def _read(session: Session, office_id: int) -> Vocabulary:
    rows = session.scalars(
        select(VocabTerm)
        .where(VocabTerm.active.is_(True), _scope(office_id))
        .order_by(
            VocabTerm.vocabulary,
            VocabTerm.office_id.is_not(None),
            VocabTerm.position,
            VocabTerm.id,
        )
    )
    terms: dict[tuple[str, str], Term] = {}
    ordered: dict[str, list[Term]] = {}
    for row in rows:
        term = Term(
            row.vocabulary, row.code, row.level, row.parent_code, row.label_de, row.label_en,
            row.office_id, row.own_line,
        )  # fmt: skip
        terms[(term.vocabulary, term.code)] = term
        ordered.setdefault(term.vocabulary, []).append(term)
    return Vocabulary(terms, {name: tuple(items) for name, items in ordered.items()})


def terms(session: Session, vocabulary: str, office_id: int) -> tuple[Term, ...]:
    """Return the active terms of one vocabulary for an office, level 1 before its children."""
    return load(session, office_id).in_order(vocabulary)


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
        record(session, actor.event("vocab.create", outcome="denied", reason="no_permission"))
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
    cache.bump(session)
    record(
        session, actor.event("vocab.create", object_type="vocab_term", object_id=str(term.id))
    )
    return term


def office_terms(session: Session, office_ids: list[int]) -> list[VocabTerm]:
    """Return the level-2 terms the given offices added themselves."""
    rows = session.scalars(
        select(VocabTerm)
        .where(VocabTerm.office_id.in_(office_ids))
        .order_by(VocabTerm.office_id, VocabTerm.vocabulary, VocabTerm.code)
    )
    return list(rows)
