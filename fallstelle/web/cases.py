"""Case pages: list, search, new case, the case page and its small forms.

Views parse the form, call one ``fallstelle.cases`` service with the session, the actor and
the keys, commit once, and render. A case outside the actor's offices is a 404 (never a 403:
the answer must not confirm the id). A stale form is a 409 page that names who changed the
case and when, and shows the form again with what the user typed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from fallstelle.auth import ratelimit
from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import entries, queries, service
from fallstelle.cases.errors import CaseConflict, CaseNotFound, Invalid, NotAllowed
from fallstelle.cases.models import STATUSES
from fallstelle.cases.sections import (
    CaseDetails,
    Deadline,
    Identity,
    Incident,
    Person,
)
from fallstelle.catalogue import vocab
from fallstelle.clock import today
from fallstelle.runtime import commit, db_session, get_store
from fallstelle.web.case_forms import (
    AttachmentForm,
    ContactForm,
    DeadlineForm,
    DetailsForm,
    FollowUpForm,
    IncidentForm,
    InterventionForm,
    NewCaseForm,
    OverrideForm,
    PersonForm,
    SearchForm,
    StatusForm,
)
from fallstelle.web.guard import current_actor, require
from fallstelle.web.i18n import status_label
from fallstelle.web.ratelimit import Headers, refusal

bp = Blueprint("cases", __name__, url_prefix="/faelle")
Page = str | BaseResponse | tuple[str, int] | tuple[str, int, Headers]
T = TypeVar("T")


def signed_in_actor() -> Actor:
    actor = current_actor()
    assert actor is not None  # noqa: S101 - the guard ran
    return actor


def call(work: Callable[[], T]) -> T:
    """Run a service call; refusals become 404/403 with their audit event committed."""
    try:
        return work()
    except CaseNotFound:
        commit()  # the refusal's audit event only
        abort(404)
    except NotAllowed:
        commit()
        abort(403)


@bp.get("")
@require(Permission.CASE_READ)
def index() -> Page:
    actor, session = signed_in_actor(), db_session()
    status = request.args.get("status") or None
    counsellor = request.args.get("berater") or None
    year = request.args.get("jahr", type=int)
    if status is not None and status not in STATUSES:
        status = None
    page = call(
        lambda: queries.list_cases(
            session, actor, status=status, counsellor_id=counsellor, year=year,
            page=max(request.args.get("seite", 1, type=int) or 1, 1),
        )
    )  # fmt: skip
    names = accounts.staff_names(session, actor, actor.office_ids)
    commit()
    query = {k: v for k, v in request.args.items() if k != "seite"}
    return render_template("cases/list.html", page=page, names=names, statuses=STATUSES,
                           query=query, search=SearchForm(), years=_years())  # fmt: skip


def _years() -> list[int]:
    return list(range(today().year, today().year - 6, -1))


@bp.post("/suche")
@require(Permission.CASE_READ)
def search() -> Page:
    actor, session = signed_in_actor(), db_session()
    form = SearchForm()
    found: list[queries.CaseSummary] | None = None
    # Past the per-user rate limit (REL-11) the page says so, with 429, and nothing is searched.
    valid = form.validate_on_submit()
    refused = refusal(ratelimit.SEARCH) if valid else None
    if valid and refused is None:
        value = form.value.data or ""
        try:
            if form.field.data == "number":
                found = queries.find_by_number(session, actor, value)
            else:
                keys = get_store().keys
                found = queries.search_person(session, actor, keys, form.field.data or "", value)
        except Invalid as invalid:
            session.rollback()
            form.fail("value", invalid.code)
        except NotAllowed:
            commit()
            abort(403)
        else:
            commit()
    names = accounts.staff_names(session, actor, actor.office_ids)
    page = render_template("cases/search.html", form=form, found=found, names=names)
    return (page, 429, refused) if refused is not None else page


@bp.route("/neu", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def new() -> Page:
    actor, session = signed_in_actor(), db_session()
    offices = accounts.office_names(session, actor.office_ids)
    form = NewCaseForm()
    form.office.choices = sorted(offices.items(), key=lambda item: item[1])
    if request.method == "GET":
        form.opened_on.data = today()
        form.role.data = "betroffen_ratsuchend"
    office_id = form.office.data if form.office.data in offices else min(offices, default=0)
    if not offices:
        abort(403)
    form.fill(session, office_id)
    if form.validate_on_submit():
        new_case = service.NewCase(
            office_id=office_id,
            opened_on=form.opened_on.data or today(),
            status=form.status.data or "in_beratung",
            details=CaseDetails(
                request_type=form.request_type.data or None,
                access_route=form.access_route.data or None,
                narrative=form.narrative.data or "",
            ),
            person=Person(role=form.role.data or None, age_band=form.age_band.data or None,
                          gender=form.gender.data or None, kreis=form.kreis.data or None),
            identity=_identity(form),
            incident=Incident(grounds=form.grounds.data or [],
                              life_domains=form.life_domains.data or [])
            if form.grounds.data or form.life_domains.data else None,
        )  # fmt: skip
        try:
            case = call(lambda: service.create_case(session, actor, get_store().keys, new_case))
        except Invalid as invalid:
            session.rollback()
            form.fail(form_field(invalid.field), invalid.code)
        else:
            commit()
            flash(_("Case %(number)s has been opened.", number=case.case_number), "info")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/new.html", form=form, several=len(offices) > 1)


def _identity(form: NewCaseForm) -> Identity | None:
    values = {
        name: (getattr(form, name).data or "").strip()
        for name in ("first_name", "surname", "phone", "email")
    }
    return Identity(**values) if any(values.values()) else None


def form_field(name: str) -> str:
    """Map a service field path (``details.request_type``) to the form field."""
    return name.rsplit(".", 1)[-1]


@bp.get("/<uuid:case_id>")
@require(Permission.CASE_READ)
def show(case_id: uuid.UUID) -> Page:
    return render_case(case_id)


def render_case(
    case_id: uuid.UUID, forms: dict[str, Any] | None = None, status: int = 200,
    conflict: CaseConflict | None = None,
) -> Page:  # fmt: skip
    """Decrypt the case (an audited read, committed before rendering) and show it."""
    actor, session = signed_in_actor(), db_session()
    view = call(lambda: service.get_case(session, actor, get_store().keys, case_id))
    commit()
    office_id = view.case.office_id
    words = vocab.load(session, office_id)
    open_deadlines = [
        (str(e.id), e.data.rule_code)
        for e in view.of_kind("deadline")
        if isinstance(e.data, Deadline) and not e.data.met_on
    ]
    forms = forms or {}
    # Prefixed: four forms share the page, and every id on it must be unique.
    contact = forms.get("contact") or ContactForm(formdata=None, on=today(), prefix="contact")
    intervention = forms.get("intervention") or InterventionForm(
        formdata=None, started_on=today(), prefix="intervention"
    )
    deadline = forms.get("deadline") or DeadlineForm(formdata=None, prefix="deadline")
    move = forms.get("status") or StatusForm(formdata=None, on=today(), prefix="status")
    upload = forms.get("attachment") or AttachmentForm(formdata=None, prefix="attachment")
    details = forms.get("details") or details_form(view.details)
    details.fill(session, office_id, consent_choices(view.details, words, page_language()))
    contact.fill(session, office_id)
    intervention.fill(session, office_id, open_deadlines)
    rule_names = {r.code: f"{r.name_de} ({r.legal_reference})" for r in entries.rules(session)}
    deadline.rule_code.choices = [("", "–")] + [
        (r.code, rule_names[r.code]) for r in rules_in_force(session)
    ]
    reachable = sorted(service.TRANSITIONS[view.case.status])
    move.fill(session, office_id, [("", "–")] + [(s, status_label(s)) for s in reachable])
    person = forms.get("person") or PersonForm(formdata=None, prefix="person")
    person.fill(session, office_id)
    follow_up = forms.get("follow_up") or FollowUpForm(formdata=None, prefix="follow_up")
    incident = forms.get("incident") or IncidentForm(formdata=None, prefix="incident")
    incident.fill(session, office_id)
    override = forms.get("override") or OverrideForm(formdata=None, prefix="override")
    override.deadline.choices = [("", "–"), *open_deadlines_labelled(view, rule_names)]
    for form in (
        contact,
        intervention,
        deadline,
        move,
        upload,
        details,
        person,
        follow_up,
        override,
        incident,
    ):
        if conflict is None or not form.version.data:
            form.version.data = str(view.case.version)
    names = accounts.staff_names(session, actor, [office_id])
    return render_template(
        "cases/show.html", view=view, words=words, names=names, contact=contact,
        intervention=intervention, deadline=deadline, move=move, conflict=conflict,
        rule_names=rule_names, upload=upload, details=details, person=person,
        follow_up=follow_up,
        incident=incident, override=override,
        today=today(), lang=page_language(),
    ), status  # fmt: skip


def page_language() -> str:
    from fallstelle.web.i18n import select_locale

    return select_locale()


def rules_in_force(session: Any) -> list[Any]:
    on = today()
    rules = entries.rules(session)
    return [r for r in rules if r.valid_from <= on and (r.valid_to is None or on < r.valid_to)]


def office_of(case_id: uuid.UUID) -> int:
    """The office of a visible case (for the form's choices); 404 otherwise."""
    from fallstelle.cases import access

    case = call(lambda: access.require_case(
        db_session(), signed_in_actor(), Permission.CASE_READ, case_id, "case.form"))  # fmt: skip
    return case.office_id


def open_deadlines_labelled(view: service.CaseView, names: dict[str, str]) -> list[tuple[str, str]]:
    """The case's deadlines not yet met, as ``(entry id, "rule – due date")`` choices."""
    out = []
    for e in view.of_kind("deadline"):
        if isinstance(e.data, Deadline) and not e.data.met_on:
            due = e.data.due_on
            out.append(
                (str(e.id), f"{names.get(e.data.rule_code, e.data.rule_code)} – {due or ''}")
            )
    return out


def details_form(current: CaseDetails) -> DetailsForm:
    return DetailsForm(
        formdata=None, prefix="details", request_type=current.request_type or "",
        access_route=current.access_route or "", agg_relevance=current.agg_relevance or "",
        narrative=current.narrative, legal_hold=current.legal_hold,
    )  # fmt: skip


def consent_choices(
    current: CaseDetails, words: vocab.Vocabulary, lang: str
) -> list[tuple[str, str]]:
    return [
        (str(i), f"{words.label('einwilligung', k.kind or '', lang)} ({k.given_on})")
        for i, k in enumerate(current.consents) if not k.withdrawn_on
    ]  # fmt: skip


def dashboard(actor: Actor) -> tuple[queries.Dashboard, dict[str, str], dt.date]:
    """The counsellor's part of the home page."""
    session = db_session()
    board = call(lambda: queries.dashboard(session, actor))
    names = accounts.staff_names(session, actor, actor.office_ids)
    commit()
    return board, names, today()
