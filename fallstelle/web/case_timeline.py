"""The case's timeline: everything that happened, newest first, filterable by kind.

Built from the case page's one value (``cases.page.CasePage``), nothing decrypted again:
contacts, interventions, status changes, documents, deadlines and follow-ups, each with the
day it belongs to. The filter is a GET parameter (``?zeige=kontakt``), so the state is in the
URL and works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fallstelle.cases.page import CasePage
from fallstelle.cases.sections import Attachment, Contact, Deadline, FollowUp, Intervention
from fallstelle.web.i18n import N_

# URL word → (entry kind, message id of the filter's label: the template translates it)
FILTERS: dict[str, tuple[str, str]] = {
    "kontakt": ("contact", N_("Contacts")),
    "intervention": ("intervention", N_("Interventions")),
    "status": ("status", N_("Status changes")),
    "dokument": ("attachment", N_("Documents")),
    "frist": ("deadline", N_("Deadlines")),
    "wiedervorlage": ("follow_up", N_("Follow-ups")),
}


@dataclass(frozen=True)
class Item:
    """One line of the timeline; ``entry`` is the case entry (None for a status change)."""

    on: dt.date | None
    kind: str
    entry: Any
    data: Any


def _day(data: Any) -> dt.date | None:
    if isinstance(data, Contact):
        return data.on
    if isinstance(data, Intervention):
        return data.started_on
    if isinstance(data, Attachment):
        return data.uploaded_on
    if isinstance(data, Deadline):
        return data.starts_on
    if isinstance(data, FollowUp):
        return data.due_on
    return None


def timeline(page: CasePage, shown: str | None = None) -> list[Item]:
    """Return the case's events, newest first; only one kind if ``shown`` names a filter."""
    kind = FILTERS[shown][0] if shown in FILTERS else None
    kinds = {k for k, _label in FILTERS.values()}
    items = [
        Item(_day(e.data), e.kind, e, e.data)
        for e in page.view.entries
        if e.kind in kinds and kind in (None, e.kind)
    ]
    if kind in (None, "status"):
        items += [Item(h.on, "status", None, h) for h in page.view.details.history]
    # Undated items last; the same day keeps the order the case recorded them in.
    return sorted(items, key=lambda i: i.on or dt.date.min, reverse=True)
