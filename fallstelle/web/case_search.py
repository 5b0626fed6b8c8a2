"""The case search: by case number, or by a person's surname, phone (prefix) or e-mail.

The term is taken by ``POST /faelle/suche`` (so it is in no URL, browser history or access
log), kept in the server-side session, and the result shown at ``GET /faelle/suche``
(post-redirect-get: reload and back work). Each search counts against the user's rate limit
(REL-11); the audit log gets the field, never the term (``cases.search``). The routes join
``cases.bp`` before registration, so their endpoints stay ``cases.search``/``cases.results``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import redirect, render_template, session, url_for

from fallstelle.auth import ratelimit
from fallstelle.auth import service as accounts
from fallstelle.auth.permissions import Permission
from fallstelle.cases import queries
from fallstelle.cases import search as person_search
from fallstelle.cases.errors import Invalid
from fallstelle.web.case_forms import SearchForm
from fallstelle.web.cases import Page, bp
from fallstelle.web.guard import require
from fallstelle.web.pipeline import context, writes
from fallstelle.web.ratelimit import refusal

SEARCH_KEY = "case_search"  # the server-side session holds the term: never a URL, never a log


def find_cases(field: str, value: str) -> Sequence[queries.CaseSummary]:
    """Run one search (by case number, or by surname / phone / e-mail over the blind index).

    Raises:
        Invalid: unknown field, empty, too short or too broad a value.
    """
    ctx = context()
    actor = ctx.require_actor()
    if field == "number":
        return queries.find_by_number(ctx.session, actor, value)
    return ctx.attempt(
        lambda: person_search.search_person(ctx.session, actor, ctx.keys, field, value)
    )


@bp.post("/suche")
@require(Permission.CASE_READ)
def search() -> Page:
    """Take the search term and redirect to the result (303)."""
    form = SearchForm()
    if not form.validate_on_submit():
        return render_template("cases/search.html", form=form, found=None, **_names()), 400
    session[SEARCH_KEY] = {"field": form.field.data, "value": form.value.data}
    return redirect(url_for("cases.results"), 303)


@bp.get("/suche")
@require(Permission.CASE_READ)
@writes  # each search counts against the user's rate limit (a write, also on GET)
def results() -> Page:
    """The last search's result (the term kept in the server-side session)."""
    wanted = session.get(SEARCH_KEY) or {}
    form = SearchForm(formdata=None, field=wanted.get("field"), value=wanted.get("value"))
    found: Sequence[queries.CaseSummary] | None = None
    # Past the per-user rate limit (REL-11) the page says so, with 429, and nothing is searched.
    refused = refusal(ratelimit.SEARCH) if wanted else None
    if wanted and refused is None:
        try:
            found = find_cases(str(wanted.get("field")), str(wanted.get("value")))
        except Invalid as invalid:
            form.fail("value", invalid.code)
    page = render_template("cases/search.html", form=form, found=found, **_names())
    return (page, 429, refused) if refused is not None else page


def _names() -> dict[str, dict[int, str]]:
    ctx = context()
    actor = ctx.require_actor()
    return {"offices": accounts.office_names(ctx.session, actor.office_ids)}
