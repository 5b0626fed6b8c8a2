"""The case page as one value: a decrypted case and everything its forms offer.

Imports SQLAlchemy, ``auth``, the catalogue and this room's services. One call returns the
case (checked, decrypted and — for a read — its read recorded, once), the office's
vocabulary (one load, the process's copy), the deadline rules, who may lead or share the
case, and the staff names; a view builds its page from this and asks the domain nothing
more (issue 15: opening a case used to run 41 SQL statements, 20 of them vocabulary reads).

For a change (:func:`open_for_change`) the case is checked with ``case:write``, locked and
decrypted once; the open case is handed to the one service call of the request
(``service.open_for_write`` takes it from the session instead of opening the case again),
and the page keeps a copy as it was, so that a form shown again after bad input or a stale
version shows the case unchanged — without a second access check or decryption.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.cases import access, retention, service
from fallstelle.cases.retention import Periods, Plan
from fallstelle.cases.sections import Deadline
from fallstelle.cases.service import TRANSITIONS, CaseView
from fallstelle.catalogue import deadlines, rule_admin, vocab
from fallstelle.clock import today
from fallstelle.keyfiles import KeyMaterial

rule_names = deadlines.rule_names  # the case list names the rules of its due entries too


@dataclass(frozen=True)
class Labels:
    """The names of an office's terms in one language; "–" for no code (the case page)."""

    vocabulary: vocab.Vocabulary
    lang: str

    def one(self, vocabulary: str, code: str | None) -> str:
        return self.vocabulary.label(vocabulary, code, self.lang) if code else "–"

    def many(self, vocabulary: str, codes: list[str]) -> str:
        return "; ".join(self.vocabulary.label(vocabulary, c, self.lang) for c in codes) or "–"


@dataclass
class CasePage:
    """What the case page shows and offers."""

    view: CaseView
    vocabulary: vocab.Vocabulary
    rules: tuple[deadlines.Rule, ...]
    staff: dict[str, str]
    counsellors: frozenset[str]
    #: When what of the case is deleted (issue 13); the office's periods for an open case.
    retention: Plan | None = None
    periods: Periods = field(default_factory=Periods)
    read_recorded: bool = False

    @property
    def case_id(self) -> uuid.UUID:
        return self.view.case.id

    @property
    def office_id(self) -> int:
        return self.view.case.office_id

    @property
    def reachable(self) -> list[str]:
        """The statuses the case may move to next, in workflow order."""
        return sorted(TRANSITIONS[self.view.case.status])

    def labels(self, lang: str = "de") -> Labels:
        return Labels(self.vocabulary, lang)

    def rules_in_force(self) -> list[deadlines.Rule]:
        on = today()
        return [
            r for r in self.rules
            if r.valid_from <= on and (r.valid_to is None or on < r.valid_to)
        ]  # fmt: skip

    def rule_names(self, lang: str = "de") -> dict[str, str]:
        """Rule code → "name (legal reference)" of every rule version."""
        return rule_names(self.rules, lang)

    def open_deadlines(self) -> list[tuple[uuid.UUID, Deadline]]:
        """The case's deadlines not yet met, oldest first."""
        return [
            (e.id, e.data)
            for e in self.view.of_kind("deadline")
            if isinstance(e.data, Deadline) and not e.data.met_on
        ]

    def record_read(self, session: Session, actor: Actor) -> None:
        """Record that the page was shown (once; a change shown again after an error)."""
        if not self.read_recorded:
            access.audit(session, actor, "case.read", str(self.case_id))
            self.read_recorded = True


def _page(session: Session, actor: Actor, view: CaseView) -> CasePage:
    office_id = view.case.office_id
    staff, counsellors = accounts.office_staff(session, actor, office_id)
    periods = retention.periods_of(session, office_id)  # one primary-key read
    return CasePage(
        retention=retention.plan(view.case, periods),
        periods=periods,
        view=view,
        vocabulary=vocab.load(session, office_id),  # the process's copy: no query
        rules=rule_admin.rules(session),
        staff=staff,
        counsellors=counsellors,
    )


def load(session: Session, actor: Actor, keys: KeyMaterial, case_id: uuid.UUID) -> CasePage:
    """Decrypt a case for its page and record the read.

    Raises:
        NotAllowed: the actor may not read cases.
        CaseNotFound: no such case, or not visible to the actor.
    """
    view = service.get_case(session, actor, keys, case_id)  # checked, decrypted, recorded
    page = _page(session, actor, view)
    page.read_recorded = True
    return page


def open_for_change(
    session: Session, actor: Actor, keys: KeyMaterial, case_id: uuid.UUID, action: str
) -> CasePage:
    """Check, lock and decrypt a case for the one change of this request.

    The read is not recorded here: only if the page is shown again (:meth:`CasePage.
    record_read`); a change that succeeds records its own event and redirects.

    Raises:
        NotAllowed: the actor may not write cases.
        CaseNotFound: no such case, or not visible to the actor.
    """
    work = service.lock_and_open(session, actor, keys, case_id, action)
    before = CaseView(
        work.case,
        copy.deepcopy(work.details),
        copy.deepcopy(list(work.entries.values())),
        copy.deepcopy(dict(work.identities)),
    )
    service.hand_over(session, work)
    return _page(session, actor, before)
