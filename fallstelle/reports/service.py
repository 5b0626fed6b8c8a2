"""Report use-cases: build a release from statistical records, store it, hand it out again.

Owns :func:`build_release` (permission → aggregation → disclosure control → PDF and CSV →
stored :class:`ReportRelease` → audit event), :func:`download` and :func:`list_releases`.
Imports SQLAlchemy, ``audit``, ``auth`` and the ``reports`` modules; never ``crypto`` and
never the case rows. Like every service it takes an explicit Session and Actor, flushes and
never commits; the web request or the CLI command commits once at its end.

Who may report: an actor with ``report:generate`` on offices that are all in its
``report_offices`` (management of those offices, counsellors where the office allows it);
the operator at the command line on every office (it holds the keys anyway). Auditors and
admins never. A refusal is audited (``outcome=denied``) before it is raised. Speed: a build
first starts a PDF worker, which loads WeasyPrint while the tables are counted
(:func:`~fallstelle.reports.pdf.prepare_worker`). Determinism: regenerating a period from
the same data publishes the same numbers, and with the same generation date the same PDF
bytes (tests/reports/test_service.py). A new Berichtsstand: :mod:`.revisions`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from fallstelle import clock
from fallstelle.activities.models import OfficeActivity
from fallstelle.audit import record
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.catalogue import privacy
from fallstelle.catalogue.models import VocabTerm
from fallstelle.errors import FallstelleError
from fallstelle.reports import aggregate_layout as layout
from fallstelle.reports import frozen, periods, register
from fallstelle.reports.aggregate import aggregate
from fallstelle.reports.csv_export import to_csv
from fallstelle.reports.disclosure import Policy, Suppressed
from fallstelle.reports.models import FrozenCount, ReportRelease
from fallstelle.reports.pdf import REPORTS_DIR, prepare_worker, render_pdf
from fallstelle.reports.protect import protect
from fallstelle.reports.report_views import (
    Activity,
    PreviousRelease,
    ReportMeta,
    campaign_view,
    funding_view,
)
from fallstelle.reports.viewmodel import CampaignReport, FundingReport

TEMPLATES = ("funding", "campaign")
KINDS = ("pdf", "csv")


class ReportError(FallstelleError):
    """A report cannot be built or handed out; the message is safe to show to the user."""


class NotAllowed(ReportError):
    """The actor may not report on (or download a release of) these offices."""


class UnknownOffice(ReportError):
    """An office id that does not exist."""


class NoCases(ReportError):
    """No case was opened or closed in the period at these offices."""


class ReleaseNotFound(ReportError):
    """No stored release has this id."""


class ReleaseDamaged(ReportError):
    """The stored bytes no longer match the hash recorded at generation."""


class RegisterContradiction(ReportError):
    """The register's numbers cannot all hold (a safety net: a message, never a traceback)."""


@dataclass(frozen=True)
class ReleaseInfo:
    """A stored release without its bytes, for lists."""

    id: uuid.UUID
    created_at: dt.datetime
    actor_id: str | None
    period: str
    office_ids: tuple[int, ...]
    template: str
    pdf_sha256: str


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    *,
    outcome: str = "ok",
    reason: str | None = None,
) -> None:
    """Record one report event (ids and codes only)."""
    record(
        session,
        actor.event(
            action, outcome=outcome, object_type=object_type, object_id=object_id, reason=reason
        ),
    )


def _authorise(session: Session, actor: Actor, office_ids: Iterable[int], action: str) -> None:
    if actor.is_operator:  # the operator holds keys/ anyway; no office limit applies
        return
    reason = ("no_permission" if not actor.can(Permission.REPORT_GENERATE) else
              "other_office" if not set(office_ids) <= actor.report_offices else None)  # fmt: skip
    if reason is not None:
        _audit(session, actor, action, outcome="denied", reason=reason)
        raise NotAllowed("you may not report on these offices")


@dataclass
class _Shown:
    """What one build or preview shows: per period, the numbers for the register."""

    parts: list[tuple[str, list[register.Shown]]]
    known: list[register.Shown]  # the register as stored before this build


def _suppressed(
    session: Session,
    actor: Actor,
    period: periods.Period,
    ids: tuple[int, ...],
    policy: Policy,
    shown: _Shown,
    keys: Sequence[str] | None = None,
) -> tuple[list[Suppressed], tuple[str, ...]] | None:
    """Count and suppress the tables ``keys`` (all by default), from frozen quarters."""
    if policy.union_check:
        frozen.freeze(session, actor.user_id, ids, period.quarters)
        agg = aggregate(session, period, ids, FrozenCount)
    else:  # live counts (for tests and comparisons only)
        agg = aggregate(session, period, ids)
    if agg.empty:
        return None
    try:
        earlier = [s for _period, numbers in shown.parts for s in numbers]  # this build's
        tables = [t for t in agg.tables if keys is None or t.key in keys]
        done = protect(session, tables, policy, ids, period, shown.known, earlier)
    except ValueError as err:  # a safety net: load_versions reads contradictions as legacy
        raise (RegisterContradiction(str(err)) if "contradicts" in str(err) else err) from None
    shown.parts.append((period.code, done.shown))
    return done.release, agg.office_names


def _record(
    session: Session,
    actor: Actor,
    shown: _Shown,
    *,
    kind: str,
    ids: tuple[int, ...],
    template: str,
    policy: Policy,
    release_id: uuid.UUID | None = None,
) -> None:
    for period, numbers in shown.parts:
        register.record(session, shown=numbers, kind=kind, actor_id=actor.user_id,
                        actor_role=actor.audit_role, period=period, office_ids=ids,
                        template=template, k=policy.k, release_id=release_id)  # fmt: skip


def _load_activities(
    session: Session, period: periods.Period, ids: tuple[int, ...]
) -> list[Activity]:
    """The offices' non-case work in the period, with the German label of its kind."""
    terms = session.execute(
        select(VocabTerm.code, VocabTerm.label_de).where(VocabTerm.vocabulary == "aktivitaet")
    )
    labels = {code: label for code, label in terms}
    rows = session.scalars(
        select(OfficeActivity)
        .where(
            OfficeActivity.office_id.in_(ids),
            OfficeActivity.held_on >= period.first_day,
            OfficeActivity.held_on <= period.last_day,
        )
        .order_by(OfficeActivity.held_on, OfficeActivity.id)
    )
    return [
        Activity(a.held_on, labels.get(a.kind, a.kind), a.title, a.participants or None)
        for a in rows
    ]


def _view(
    session: Session,
    actor: Actor,
    shown: _Shown,
    when: periods.Period,
    ids: tuple[int, ...],
    template: str,
    policy: Policy,
    activities: Sequence[Activity] | None,
    logo: str | None,
    generated: dt.date | None,
    lap: Callable[[str], None] = lambda _step: None,
) -> tuple[FundingReport | CampaignReport, list[Suppressed]]:
    try:
        built = _suppressed(session, actor, when, ids, policy, shown)
    except LookupError:
        raise UnknownOffice("unknown office") from None
    if built is None:
        raise NoCases(f"no case was opened or closed in {when.label()} at these offices")
    release, names = built
    lap("aggregate+suppress")
    if logo is None and len(ids) == 1:  # one office: its own logo, if it has one
        logo = privacy.logo_data_uri(session, ids[0])
    meta = ReportMeta(names, when.code, generated or clock.today(), logo)
    if template != "funding":
        view = campaign_view(release, meta, headlines=layout.HEADLINES, charts=layout.CHARTS)
        return view, release
    prev = when.previous_year()  # shows its trend tables only: only they are checked, recorded
    before = _suppressed(session, actor, prev, ids, policy, shown, layout.TREND_KEYS)
    lap("previous year")
    previous = None if before is None else PreviousRelease(prev.code, tuple(before[0]))
    sections = layout.sections_for([pub.table.key for pub in release])
    if activities is None:
        activities = _load_activities(session, when, ids)
    funding = funding_view(
        release,
        meta,
        sections=sections,
        activities=activities,
        previous=previous,
        trend_keys=layout.TREND_KEYS,
    )
    return funding, release


def preview(
    session: Session,
    actor: Actor,
    *,
    period: str,
    office_ids: Iterable[int],
    template: str,
    policy: Policy | None = None,
) -> FundingReport | CampaignReport:
    """Build the report's published content for an on-screen preview; nothing is stored.

    Raises:
        NotAllowed, BadPeriod, UnknownOffice, ReportError, NoCases, DisclosureError: as
            :func:`build_release`.
    """
    ids = tuple(sorted(set(office_ids)))
    _authorise(session, actor, ids, "report.preview")
    when = periods.parse(period)
    if template not in TEMPLATES:
        raise ReportError(f"unknown template {template!r} (funding or campaign)")
    policy = policy or Policy()
    shown = _Shown([], register.load(session))
    view, _release = _view(session, actor, shown, when, ids, template, policy, None, None, None)
    _record(session, actor, shown, kind="preview", ids=ids, template=template, policy=policy)
    _audit(session, actor, "report.preview", "report_period", when.code, reason=template)
    return view


def build_release(
    session: Session,
    actor: Actor,
    *,
    period: str,
    office_ids: Iterable[int],
    template: str,
    policy: Policy | None = None,
    activities: Sequence[Activity] | None = None,
    logo: str | None = None,
    generated: dt.date | None = None,
    root: Path = REPORTS_DIR,
    sandbox: bool = True,
    timings: dict[str, float] | None = None,
) -> ReportRelease:
    """Build, store and audit the report of ``period`` for ``office_ids``.

    ``activities`` are the offices' non-case work for the funding report (Sachbericht);
    by default those recorded for the offices in the period.
    ``generated`` (default: today in Germany) is the date printed and written into the PDF.
    ``timings``, if given, receives the seconds spent per step.

    Raises:
        NotAllowed: the actor may not report on every one of the offices.
        BadPeriod: not a year, half-year or quarter.
        UnknownOffice: an office id that does not exist, or no office at all.
        ReportError: an unknown template.
        NoCases: no case was opened or closed in the period.
        DisclosureError: the release could not be protected (nothing is stored).
        ReportRenderError: a broken template or asset, or the renderer hit a limit.
    """
    ids = tuple(sorted(set(office_ids)))
    _authorise(session, actor, ids, "report.generate")
    when = periods.parse(period)
    if template not in TEMPLATES:
        raise ReportError(f"unknown template {template!r} (funding or campaign)")
    policy = policy or Policy()
    if sandbox:
        prepare_worker()  # WeasyPrint loads in the worker while the tables are counted
    clock = time.perf_counter()
    steps: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = steps.get(name, 0.0) + now - clock
        clock = now

    shown = _Shown([], register.load(session))
    lap("register")
    view, release = _view(
        session, actor, shown, when, ids, template, policy, activities, logo, generated, lap
    )
    pdf = render_pdf(view, root=root, sandbox=sandbox)
    lap("render pdf")
    csv = to_csv(release).encode("utf-8-sig")
    stored = ReportRelease(
        id=uuid.uuid4(),
        actor_id=actor.user_id,
        actor_role=actor.audit_role,
        period=when.code,
        office_ids=",".join(str(i) for i in ids),
        template=template,
        k=policy.k,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        csv=csv,
        csv_sha256=hashlib.sha256(csv).hexdigest(),
    )
    session.add(stored)
    session.flush()
    _record(session, actor, shown, kind="release", ids=ids, template=template, policy=policy,
            release_id=stored.id)  # fmt: skip
    _audit(session, actor, "report.generate", "report_release", str(stored.id), reason=template)
    lap("csv+store")
    if timings is not None:
        timings.update(steps)
    return stored


def download(session: Session, actor: Actor, release_id: uuid.UUID, kind: str = "pdf") -> bytes:
    """Return the stored PDF (or CSV) of a release unchanged, and audit the download.

    Raises:
        ReleaseNotFound: no such release (or ``kind`` is neither ``pdf`` nor ``csv``).
        NotAllowed: the actor may not report on every office of the release.
        ReleaseDamaged: the stored bytes do not match their recorded SHA-256.
    """
    found = session.get(ReportRelease, release_id)
    if found is None or kind not in KINDS:
        raise ReleaseNotFound(str(release_id))
    _authorise(session, actor, found.offices, "report.download")
    data, digest = (found.pdf, found.pdf_sha256) if kind == "pdf" else (found.csv, found.csv_sha256)
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), digest):
        _audit(session, actor, "report.download", "report_release", str(found.id),
               outcome="error", reason="hash_mismatch")  # fmt: skip
        raise ReleaseDamaged(str(release_id))
    _audit(session, actor, "report.download", "report_release", str(found.id), reason=kind)
    return data


def list_releases(session: Session, actor: Actor) -> list[ReleaseInfo]:
    """Return the stored releases the actor may download, newest first (no bytes loaded).

    Raises:
        NotAllowed: the actor may not generate reports at all.
    """
    if not actor.is_operator and not actor.can(Permission.REPORT_GENERATE):
        raise NotAllowed("you may not see reports")
    r = ReportRelease
    rows = session.execute(
        select(
            r.id, r.created_at, r.actor_id, r.period, r.office_ids, r.template, r.pdf_sha256
        ).order_by(r.created_at.desc(), r.id)
    )
    out = []
    for rid, created, actor_id, period, offices, template, sha in rows:
        ids = tuple(int(x) for x in offices.split(",") if x)
        if actor.is_operator or set(ids) <= actor.report_offices:
            out.append(ReleaseInfo(rid, created, actor_id, period, ids, template, sha))
    return out
