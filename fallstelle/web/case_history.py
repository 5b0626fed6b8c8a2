"""Pages that show a case's entries and history for correcting (issue 13): the change
history (who, when, which section, before and after, with German labels) and a list of every
entry with its links to correct or remove it (``cases/_entry_actions.html``). Routes on
``cases.bp``."""

from __future__ import annotations

import uuid
from typing import Any

from fallstelle.auth.permissions import Permission
from fallstelle.cases import history
from fallstelle.cases import page as case_page
from fallstelle.cases.access_request import describe
from fallstelle.cases.sections import Identity
from fallstelle.web.case_corrections import shown
from fallstelle.web.cases import Page, bp
from fallstelle.web.guard import require
from fallstelle.web.i18n import select_locale
from fallstelle.web.pipeline import context


@bp.get("/<uuid:case_id>/verlauf")
@require(Permission.CASE_READ)
def case_history(case_id: uuid.UUID) -> Page:
    """The case's change history: who changed which section when, before and after."""
    ctx = context()
    actor = ctx.require_actor()
    page = case_page.load(ctx.session, actor, ctx.keys, case_id)
    changes = history.case_history(ctx.session, actor, ctx.keys, case_id)
    rules = page.rule_names(select_locale())
    rows = [
        (c, describe(c.section, c.before, page.vocabulary, page.staff, rules),
         describe(c.section, c.after, page.vocabulary, page.staff, rules))
        for c in changes
    ]  # fmt: skip
    return shown(page, "cases/history.html", 200, rows=rows)


@bp.get("/<uuid:case_id>/eintraege")
@require(Permission.CASE_WRITE)
def case_entries(case_id: uuid.UUID) -> Page:
    """Every entry of the case in one list, each with its links to correct or remove it."""
    ctx = context()
    page = case_page.load(ctx.session, ctx.require_actor(), ctx.keys, case_id)
    rows = [
        (e, _summary(page, e.kind, e.data, page.view.identities.get(e.id)))
        for e in page.view.entries
    ]
    return shown(page, "cases/entries.html", 200, rows=rows)


def _summary(page: case_page.CasePage, kind: str, data: Any, who: Identity | None) -> str:
    """A short line naming an entry (its date, code or name), for the list of entries."""
    words, lang = page.vocabulary, select_locale()
    if kind == "person":
        name = f"{who.first_name} {who.surname}".strip() if who else ""
        return ", ".join(x for x in (name, words.label("rolle", data.role or "", lang)) if x)
    if kind == "attachment":
        return str(data.filename)
    parts = []
    for name in ("on", "date_from", "started_on", "starts_on", "due_on"):
        value = getattr(data, name, None)
        if value:
            parts.append(value.strftime("%d.%m.%Y"))
            break
    for name, vocabulary in (("channel", "kontakt_kanal"), ("code", "intervention")):
        value = getattr(data, name, None)
        if value:
            parts.append(words.label(vocabulary, value, lang))
    note = getattr(data, "note", "") or getattr(data, "client_account", "")
    if note:
        parts.append(note[:80])
    return " · ".join(parts) or "–"
