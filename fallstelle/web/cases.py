"""Case pages: list, new case, and the case page itself (the search: ``web.case_search``).

Views parse the form, call one ``fallstelle.cases`` service with the request context's
session, actor and keys, and render; the pipeline commits (``web.pipeline``). The case page
is built from one value, ``cases.page.CasePage`` (the decrypted case and every choice its
forms offer), without further calls into the domain. A case outside the actor's offices is
a 404 (never a 403: the answer must not confirm the id) — the pipeline's error handler
answers ``CaseNotFound``. A stale form is a 409 page that names who changed the case and
when, and shows the form again with what the user typed (``web.case_edits``).

The case page only reads: every form is on its own page (``web.case_form_pages``), and the
timeline comes from ``web.case_timeline``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import due as due_list
from fallstelle.cases import listing, queries, service
from fallstelle.cases import page as case_page
from fallstelle.cases.errors import Invalid
from fallstelle.cases.models import STATUSES
from fallstelle.cases.sections import CaseDetails, Identity, Incident, Person
from fallstelle.catalogue import rule_admin, vocab
from fallstelle.clock import today
from fallstelle.web.case_forms import NewCaseForm, SearchForm
from fallstelle.web.case_timeline import FILTERS, timeline
from fallstelle.web.guard import require
from fallstelle.web.i18n import select_locale
from fallstelle.web.pipeline import context
from fallstelle.web.ratelimit import Headers

bp = Blueprint("cases", __name__, url_prefix="/faelle")
Page = str | BaseResponse | tuple[str, int] | tuple[str, int, Headers]


# Sort orders and filters of the case list: URL word → query value (the state is in the URL).
ORDER_WORDS = {"eroeffnet": "opened", "nummer": "number", "frist": "deadline", "kontakt": "contact"}


@bp.get("")
@require(Permission.CASE_READ)
def index() -> Page:
    """The case list: filters (status, counsellor, mine, overdue, year, Kreis) and order as
    GET; the page as a cursor (``nach`` / ``vor``: the row it starts after or ends before)."""
    ctx = context()
    actor = ctx.require_actor()
    args = request.args
    status = args.get("status") or None
    counsellor = actor.user_id if args.get("meine") else args.get("berater") or None
    offices = sorted(actor.office_ids)
    words = vocab.load(ctx.session, offices[0]) if offices else None
    kreis = args.get("kreis") or None
    if kreis is not None and (words is None or not words.known("kreis", kreis)):
        kreis = None
    filters = listing.Filters(
        status=status if status in STATUSES else None, counsellor_id=counsellor,
        year=args.get("jahr", type=int), kreis=kreis,
        overdue_on=today() if args.get("ueberfaellig") else None,
    )  # fmt: skip
    order = ORDER_WORDS.get(args.get("sortierung", ""), "opened")
    try:
        page = listing.list_cases(ctx.session, actor, ctx.keys, filters, order=order,
                                  after=args.get("nach"), before=args.get("vor"))  # fmt: skip
    except Invalid:  # a cursor from an older link: start at the first page
        page = listing.list_cases(ctx.session, actor, ctx.keys, filters, order=order)
    names = accounts.staff_names(ctx.session, actor, actor.office_ids)
    query = {k: v for k, v in args.items() if k not in ("nach", "vor", "seite")}
    kreise = words.choices("kreis", select_locale()) if words else []
    return render_template("cases/list.html", page=page, names=names, statuses=STATUSES,
                           query=query, search=SearchForm(), years=_years(), kreise=kreise,
                           orders=ORDER_WORDS, caps=CAPS)  # fmt: skip


CAPS = {"kreis": f"{listing.KREIS_CAP:,}".replace(",", "."),
        "count": f"{listing.COUNT_CAP:,}".replace(",", ".")}  # fmt: skip


def _years() -> list[int]:
    return list(range(today().year, today().year - 6, -1))


@bp.route("/neu", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def new() -> Page:
    ctx = context()
    actor = ctx.require_actor()
    offices = accounts.office_names(ctx.session, actor.office_ids)
    if not offices:
        abort(403)
    form = NewCaseForm()
    form.office.choices = sorted(offices.items(), key=lambda item: item[1])
    if request.method == "GET":
        form.opened_on.data = today()
        form.role.data = "betroffen_ratsuchend"
    office_id = form.office.data if form.office.data in offices else min(offices)
    form.fill(vocab.load(ctx.session, office_id), select_locale())
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
            case = ctx.attempt(lambda: service.create_case(ctx.session, actor, ctx.keys, new_case))
        except Invalid as invalid:
            form.fail(form_field(invalid.field), invalid.code)
        else:
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
    """The case as a file: header, what is due, timeline, persons, incidents, details."""
    ctx = context()
    page = case_page.load(ctx.session, ctx.require_actor(), ctx.keys, case_id)
    shown = request.args.get("zeige") or None
    lang = select_locale()
    return render_template(
        "cases/show.html", page=page, view=page.view, words=page.vocabulary,
        names=page.staff, rule_names=page.rule_names(lang), today=today(), lang=lang,
        events=timeline(page, shown), filters=FILTERS, shown=shown,
        closed=page.view.case.status == "abgeschlossen",
        printing=request.args.get("druck") == "1",
    )  # fmt: skip


@dataclass(frozen=True)
class Board:
    """The counsellor's part of the home page: what is due, and the open cases."""

    board: queries.Dashboard
    due: list[due_list.DueItem]
    names: dict[str, str]
    rule_names: dict[str, str]
    today: dt.date


def dashboard(actor: Actor) -> Board:
    """The counsellor's part of the home page: a task list, overdue first."""
    ctx = context()
    on = today()
    board = queries.dashboard(ctx.session, actor, on)
    items = due_list.due_items(ctx.session, actor, ctx.keys, board, on)
    names = accounts.staff_names(ctx.session, actor, actor.office_ids)
    lang = select_locale()
    rules = case_page.rule_names(rule_admin.rules(ctx.session), lang) if items else {}
    return Board(board, items, names, rules, on)
