"""Search for a person: prefix search on surname and phone, exact search on e-mail.

Imports SQLAlchemy, ``keyfiles``, ``auth`` and the case room's modules. The database holds
no name and no number in clear, only truncated blind indexes keyed per office
(``cases.sealing``): the exact index of surname, phone and e-mail, and the prefix index of
the first 3 / 5 letters of the folded surname and the first 4 / 6 digits of the phone
number (issue 14, CipherSweet's truncated-prefix index). A query asks the longest indexed
prefix not longer than itself; the index deliberately matches more people than the query,
so every candidate's identifying data is decrypted and compared (a prefix of the folded
value), and only real matches are returned. At most :data:`MAX_CANDIDATES` rows are
decrypted: a broader query is refused with "please search more precisely". Each call
records one audit event and one per disclosed case (ids and codes only, never the term).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access, sealing
from fallstelle.cases.errors import CaseKeyRefused, Invalid
from fallstelle.cases.models import Case, CaseIdentity
from fallstelle.cases.queries import CaseSummary
from fallstelle.cases.sections import Identity
from fallstelle.keyfiles import KeyMaterial

#: The most candidate rows one search decrypts; beyond, the user is asked to be more precise.
#: At 10,000 cases (10 bits: 5 for the short prefix) a three-letter query has about
#: 10,000 / 32 = 310 false candidates besides its real matches (benchmarks/search_bench.py).
MAX_CANDIDATES = 500
#: Refusal codes (``messages.MESSAGES``) for a query shorter than the shortest prefix.
TOO_SHORT = {"surname": "search_too_short", "phone": "search_phone_too_short"}
#: The shortest query: two letters find a surname of exactly two letters ("Li", "Vu", "Ng"),
#: which is indexed as it is under the short prefix; from three letters on, any beginning.
MIN_LENGTH = {"surname": 2, "phone": sealing.PREFIXES["phone"][0]}


@dataclass(frozen=True)
class PersonHit(CaseSummary):
    """A case found by a person search, with the name of the matching person(s)."""

    person_name: str = ""


@dataclass(frozen=True)
class _Query:
    #: office → index column → the stored values a candidate row may have there
    values: dict[int, dict[str, set[int]]]
    matches: Callable[[Identity], bool]

    def columns(self) -> list[str]:
        return sorted({c for by_column in self.values.values() for c in by_column})

    def admits(self, office: int, row: dict[str, int | None]) -> bool:
        """Whether a row carries, in every column asked, a value of its own office."""
        wanted = self.values.get(office, {})
        return bool(wanted) and all(row[c] in values for c, values in wanted.items())


def _query(keys: KeyMaterial, offices: list[int], field: str, value: str) -> _Query:
    """Return the index values to ask per office, and the exact comparison.

    Raises:
        Invalid: empty value (``required``) or shorter than the shortest prefix.
    """
    root = keys.blind_index_root
    if field == "email":
        wanted = sealing.normalise_for_index(field, value)
        if not wanted:
            raise Invalid("value", "required")
        return _Query(
            {
                o: {"email_bidx": set(sealing.BlindIndexer(root, o).candidates(field, wanted))}
                for o in offices
            },
            lambda ident: sealing.normalise_for_index(field, ident.email) == wanted,
        )
    folded = sealing.fold_for_prefix(field, value)
    if not folded:
        raise Invalid("value", "required")
    if len(folded) < MIN_LENGTH[field]:
        raise Invalid("value", TOO_SHORT[field])
    values = {
        o: {c: set(v) for c, v in sealing.PrefixIndexer(root, o).candidates(field, folded).items()}
        for o in offices
    }
    if len(folded) < sealing.PREFIXES[field][0]:  # "Li": only the whole, equally short name
        return _Query(values, lambda ident: sealing.fold_for_prefix(field, ident.surname) == folded)
    return _Query(
        values,
        lambda ident: sealing.fold_for_prefix(field, getattr(ident, field)).startswith(folded),
    )


def search_person(
    session: Session, actor: Actor, keys: KeyMaterial, field: str, value: str
) -> list[PersonHit]:
    """Return the visible cases with a person whose surname / phone starts with ``value``,
    or whose e-mail equals it.

    Surname and phone compare as :func:`sealing.fold_for_prefix` folds them (case, umlauts
    and accents, spaces and hyphens do not matter; phone numbers as digits with +49 → 0);
    a surname query needs 3 letters (2 for a whole two-letter name), a phone query 4 digits.
    The index is keyed per office, so each of the actor's offices is asked with its own
    values. The audit log gets one ``case.search`` event (the field, never the value) and one
    ``case.search_hit`` event per case the answer discloses.

    Raises:
        NotAllowed: the actor may not read cases.
        Invalid: ``field`` is not one of surname, phone, email; empty or too short a value;
            ``search_too_broad`` when more than :data:`MAX_CANDIDATES` rows would be decrypted.
    """
    access.require(session, actor, Permission.CASE_READ, "case.search")
    if field not in sealing.INDEXED:
        raise Invalid("field", "choice")
    query = _query(keys, sorted(actor.office_ids), field, value[:200])
    columns = query.columns()
    # The index on the blind index drives the search: first the candidate rows by their
    # values, then their cases by id, kept if visible (in SQL the planner would walk every
    # case of the office first); each row must carry values made with its own office's keys.
    wanted = [
        getattr(CaseIdentity, c).in_(
            sorted(set().union(*(v.get(c, set()) for v in query.values.values())))
        )
        for c in columns
    ]
    rows = session.execute(
        select(
            CaseIdentity.person_id,
            CaseIdentity.case_id,
            *(getattr(CaseIdentity, c) for c in columns),
        ).where(*wanted)
    ).all()
    visible = {
        case.id: case
        for case in session.scalars(select(Case).where(Case.id.in_({r[1] for r in rows})))
        if access.may_see(session, actor, case)  # the rule of visible_clause, per row
    }
    chosen = [
        r[0]
        for r in rows
        if r[1] in visible
        and query.admits(visible[r[1]].office_id, dict(zip(columns, r[2:], strict=True)))
    ]
    if len(chosen) > MAX_CANDIDATES:
        raise Invalid("value", "search_too_broad")
    names = _matching_names(session, keys, visible, chosen, query.matches)
    access.audit(session, actor, "case.search", reason=f"by_{field}")
    for case_id in sorted(names, key=str):
        access.audit(session, actor, "case.search_hit", str(case_id), reason=f"by_{field}")
    hits = [
        PersonHit(**vars(CaseSummary.of(visible[case_id])), person_name=", ".join(sorted(found)))
        for case_id, found in names.items()
    ]
    return sorted(hits, key=lambda h: h.case_number, reverse=True)


def _matching_names(
    session: Session,
    keys: KeyMaterial,
    cases: dict[uuid.UUID, Case],
    person_ids: list[uuid.UUID],
    matches: Callable[[Identity], bool],
) -> dict[uuid.UUID, set[str]]:
    """Decrypt the candidates and return case id → the names of the persons that match."""
    ciphers: dict[uuid.UUID, sealing.CaseCipher | None] = {}
    found: dict[uuid.UUID, set[str]] = {}
    if not person_ids:
        return found
    for ident in session.scalars(
        select(CaseIdentity).where(CaseIdentity.person_id.in_(person_ids))
    ):
        case = cases[ident.case_id]
        if case.id not in ciphers:
            try:
                ciphers[case.id] = sealing.open_case_key(keys.keyring, case)
            except CaseKeyRefused:
                ciphers[case.id] = None  # moved by a database write: never disclosed
        cipher = ciphers[case.id]
        if cipher is None:
            continue
        identity = cipher.open(Identity, sealing.IDENTITIES, str(ident.person_id), ident.payload)
        if matches(identity):
            name = " ".join(p for p in (identity.first_name, identity.surname) if p)
            found.setdefault(case.id, set()).add(name)
    return found
