"""One page per form of a case (GOV.UK's "one thing per page"): the case page only reads.

``GET /faelle/<id>/<slug>`` shows the one form the counsellor chose ("Kontakt erfassen"
opens the contact form and nothing else); the form posts to the same address
(``web.case_edits``, ``web.case_entries``). Bad input shows this page again with an error
summary at the top (400); a stale version shows it with who changed the case and when
(409). Each form is built here, from the case page's one value (``cases.page.CasePage``):
the read page no longer renders ten forms with their long choice lists (issue 15's benchmark
found that rendering dominated the case page).

A form that ends something — closing a case, withdrawing a consent — asks once more
(:func:`needs_confirmation`): the confirmation page repeats the input as hidden fields and
posts it again with ``confirmed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fallstelle.auth.permissions import Permission
from fallstelle.cases import page as case_page
from fallstelle.cases.errors import CaseConflict
from fallstelle.cases.sections import CaseDetails
from fallstelle.clock import today
from fallstelle.web.case_forms import (
    AttachmentForm,
    ContactForm,
    CounsellorsForm,
    DeadlineForm,
    DetailsForm,
    FollowUpForm,
    IncidentForm,
    InterventionForm,
    OverrideForm,
    PersonForm,
    StatusForm,
)
from fallstelle.web.cases import Page, bp
from fallstelle.web.guard import require
from fallstelle.web.i18n import select_locale, status_label
from fallstelle.web.pipeline import context


@dataclass(frozen=True)
class FormPage:
    """One form of the case: its address, heading, and the case-page section it changes."""

    slug: str
    title: Any  # a lazy string
    section: str
    build: Callable[[case_page.CasePage, Any, str], Any]


def date_label(value: Any) -> str:
    """``25.01.2027`` (choice labels are plain strings: no template filter reaches them)."""
    return value.strftime("%d.%m.%Y") if value else ""


def open_deadlines(page: case_page.CasePage, lang: str) -> list[tuple[str, str]]:
    names = page.rule_names(lang)
    return [
        (str(entry_id), f"{names.get(d.rule_code, d.rule_code)} – {date_label(d.due_on)}")
        for entry_id, d in page.open_deadlines()
    ]


def deadline_choices(form: DeadlineForm, page: case_page.CasePage, lang: str) -> None:
    names = page.rule_names(lang)
    form.rule_code.choices = [("", "–")] + [(r.code, names[r.code]) for r in page.rules_in_force()]


def consent_choices(page: case_page.CasePage, lang: str) -> list[tuple[str, str]]:
    words = page.vocabulary
    return [
        (str(i), f"{words.label('einwilligung', k.kind or '', lang)} ({date_label(k.given_on)})")
        for i, k in enumerate(page.view.details.consents) if not k.withdrawn_on
    ]  # fmt: skip


def counsellor_choices(page: case_page.CasePage) -> list[tuple[str, str]]:
    """The office's counsellors by name (those who may lead or share the case)."""
    return sorted(((uid, page.staff.get(uid, uid)) for uid in page.counsellors), key=lambda c: c[1])


def _contact(page: case_page.CasePage, form: Any, lang: str) -> Any:
    form = form or ContactForm(formdata=None, on=today(), prefix="contact")
    form.fill(page.vocabulary, lang)
    return form


def _intervention(page: case_page.CasePage, form: Any, lang: str) -> Any:
    form = form or InterventionForm(formdata=None, started_on=today(), prefix="intervention")
    form.fill(page.vocabulary, lang, open_deadlines(page, lang))
    return form


def _deadline(page: case_page.CasePage, form: Any, lang: str) -> Any:
    form = form or DeadlineForm(formdata=None, prefix="deadline")
    deadline_choices(form, page, lang)
    return form


def _override(page: case_page.CasePage, form: Any, lang: str) -> Any:
    form = form or OverrideForm(formdata=None, prefix="override")
    form.deadline.choices = [("", "–"), *open_deadlines(page, lang)]
    return form


def assignee_choices(page: case_page.CasePage) -> list[tuple[str, str]]:
    """Who can be given a follow-up: the case's lead (empty: it stays with the lead) and
    its co-counsellors, by name."""
    case = page.view.case
    lead = page.staff.get(case.lead_counsellor_id, case.lead_counsellor_id)
    others = [(u, page.staff.get(u, u)) for u in case.counsellor_ids]
    others = [o for o in others if o[0] != case.lead_counsellor_id]
    return [("", _("%(name)s (lead counsellor)", name=lead)), *sorted(others, key=lambda c: c[1])]


def _follow_up(page: case_page.CasePage, form: Any, lang: str) -> Any:
    form = form or FollowUpForm(formdata=None, prefix="follow_up")
    form.assignee_id.choices = assignee_choices(page)
    return form


def _person(page: case_page.CasePage, form: Any, lang: str) -> Any:
    form = form or PersonForm(formdata=None, prefix="person")
    form.fill(page.vocabulary, lang)
    return form


def _incident(page: case_page.CasePage, form: Any, lang: str) -> Any:
    form = form or IncidentForm(formdata=None, prefix="incident")
    form.fill(page.vocabulary, lang)
    return form


def details_form(current: CaseDetails) -> DetailsForm:
    return DetailsForm(
        formdata=None, prefix="details", request_type=current.request_type or "",
        access_route=current.access_route or "", agg_relevance=current.agg_relevance or "",
        narrative=current.narrative, legal_hold=current.legal_hold,
    )  # fmt: skip


def _details(page: case_page.CasePage, form: Any, lang: str) -> Any:
    form = form or details_form(page.view.details)
    form.fill(page.vocabulary, lang, consent_choices(page, lang))
    return form


def _status(page: case_page.CasePage, form: Any, lang: str) -> Any:
    form = form or StatusForm(formdata=None, on=today(), prefix="status")
    form.fill(page.vocabulary, lang, [("", "–")] + [(s, status_label(s)) for s in page.reachable])
    return form


def _counsellors(page: case_page.CasePage, form: Any, lang: str) -> Any:
    case = page.view.case
    form = form or CounsellorsForm(
        formdata=None, prefix="counsellors", lead=case.lead_counsellor_id,
        co=sorted(c.user_id for c in case.co_counsellors),
    )  # fmt: skip
    form.fill(counsellor_choices(page))
    return form


def _attachment(page: case_page.CasePage, form: Any, lang: str) -> Any:
    return form or AttachmentForm(formdata=None, prefix="attachment")


FORMS: dict[str, FormPage] = {
    "contact": FormPage("kontakt", _l("Log a contact"), "verlauf", _contact),
    "intervention": FormPage("intervention", _l("Add an intervention"), "verlauf", _intervention),
    "deadline": FormPage("frist", _l("Add a deadline"), "fristen", _deadline),
    "override": FormPage("frist-aendern", _l("Set an own due date"), "fristen", _override),
    "follow_up": FormPage("wiedervorlage", _l("Add a follow-up"), "fristen", _follow_up),
    "person": FormPage("person", _l("Add a person"), "personen", _person),
    "incident": FormPage("vorfall", _l("Record an incident"), "vorfall", _incident),
    "details": FormPage("angaben", _l("Case details and consents"), "angaben", _details),
    "status": FormPage("status", _l("Change status"), "kopf", _status),
    "counsellors": FormPage("beratende", _l("Counsellors of the case"), "kopf", _counsellors),
    "attachment": FormPage("dokument", _l("Add a document"), "dokumente", _attachment),
}
BY_SLUG = {f.slug: key for key, f in FORMS.items()}
# Forms that may be opened on a closed case: only the way back (reopening).
ON_CLOSED = frozenset({"status"})


def render_form(
    page: case_page.CasePage, key: str, form: Any = None, status: int = 200,
    conflict: CaseConflict | None = None,
) -> Page:  # fmt: skip
    """Show one form of the case (again, with the user's input and errors, if ``form``)."""
    ctx = context()
    page.record_read(ctx.session, ctx.require_actor())  # the form shows case content
    spec = FORMS[key]
    built = spec.build(page, form, select_locale())
    if conflict is None or not built.version.data:
        built.version.data = str(page.view.case.version)
    return render_template(
        "cases/form.html", page=page, view=page.view, key=key, spec=spec, form=built,
        conflict=conflict, lang=select_locale(), today=today(),
    ), status  # fmt: skip


def needs_confirmation(form: Any, question: Any, button: Any) -> Page | None:
    """Ask once more before something that ends (GOV.UK confirmation): the page repeats the
    input and posts it again with ``confirmed``; None when confirmed."""
    if form.confirmed.data == "1":
        return None
    hidden = [(name, value) for name, values in request.form.lists() for value in values]
    return render_template(
        "cases/confirm.html", hidden=hidden, question=question, button=button,
        confirmed=form.confirmed.name, back=request.path,
    )  # fmt: skip


@bp.get("/<uuid:case_id>/<slug>")
@require(Permission.CASE_WRITE)
def form_page(case_id: uuid.UUID, slug: str) -> Page:
    """One form of the case on its own page."""
    key = BY_SLUG.get(slug)
    if key is None:
        abort(404)
    ctx = context()
    page = case_page.load(ctx.session, ctx.require_actor(), ctx.keys, case_id)
    if page.view.case.status == "abgeschlossen" and key not in ON_CLOSED:
        # A closed case is read-only until it is reopened.
        flash(_("This case is closed. Reopen it to change it."), "error")
        return redirect(url_for("cases.show", case_id=case_id))
    return render_form(page, key)
