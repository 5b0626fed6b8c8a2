"""Legal deadlines: the seeded rules and the date arithmetic of §§ 187–193 BGB (pure).

Imports only the standard library. The rules themselves are data (``deadline_rules``, seeded
from :data:`RULES` by migration 0004, edited by admins); this module only computes.

How a period is counted (BGB, which § 186 makes the rule for every statute here):

* § 187 (1): a period that starts with an event (knowledge, receipt of a rejection or of a
  dismissal, a written claim) does not count the day of the event;
* § 188 (2): a period of weeks, months or years therefore ends with the day of the last
  week / month that has the same weekday name / day number as the event day;
* § 188 (3): when that day does not exist in the last month (31 January + 1 month), the
  period ends with the last day of that month (28 or 29 February);
* § 199 (1): the regular limitation period of § 195 (3 years) starts at the end of the year
  in which the claim arose and the person learned of it, so it always ends on 31 December;
* § 193: when the last day is a Saturday, Sunday or a public holiday at the place of
  performance, the period ends with the next working day. :func:`last_day` applies this with
  the public holidays of Nordrhein-Westfalen. Dashboards show the unshifted ``due`` date
  (the safe one); ``last_day`` is the legal end for the counsellor's information.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

UNITS = ("days", "weeks", "months", "years")

#: Events a period can start with, and their German label.
START_EVENTS = {
    "knowledge": "Kenntnis von der Benachteiligung",
    "rejection_received": "Zugang der Ablehnung",
    "rejection_or_knowledge": "Zugang der Ablehnung, nicht vor Kenntnis (sonst Kenntnis)",
    "claim_arose": "Entstehung des Anspruchs (Ende der Benachteiligung)",
    "written_claim": "schriftliche Geltendmachung",
    "dismissal_received": "Zugang der schriftlichen Kündigung",
}


@dataclass(frozen=True)
class Rule:
    """A deadline rule as the computation needs it (a row of ``deadline_rules``)."""

    code: str
    name_de: str
    name_en: str
    legal_reference: str
    amount: int
    unit: str
    start_event: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    from_year_end: bool = False


#: The seed of revision 0004 (reference/domain.md §4.1). AGG and the § 61b ArbGG version that
#: refers to it are in force since 18 August 2006.
RULES = (
    Rule("agg_15_4", "Geltendmachung Entschädigung/Schadensersatz (Beschäftigung)",
         "Written claim (employment)", "§ 15 Abs. 4 AGG", 2, "months",
         "rejection_or_knowledge", dt.date(2006, 8, 18)),
    Rule("agg_21_5", "Geltendmachung von Ansprüchen (Zivilrecht)",
         "Claim (civil law)", "§ 21 Abs. 5 AGG", 2, "months", "claim_arose",
         dt.date(2006, 8, 18)),
    Rule("arbgg_61b", "Klage auf Entschädigung nach schriftlicher Geltendmachung",
         "Court action after the written claim", "§ 61b Abs. 1 ArbGG", 3, "months",
         "written_claim", dt.date(2006, 8, 18)),
    Rule("kschg_4", "Kündigungsschutzklage", "Action against dismissal", "§ 4 KSchG",
         3, "weeks", "dismissal_received", dt.date(2004, 1, 1)),
    Rule("bgb_195", "Regelverjährung (Beseitigung, Unterlassung, Schadensersatz)",
         "Regular limitation period", "§§ 195, 199 Abs. 1 BGB", 3, "years", "knowledge",
         dt.date(2002, 1, 1), from_year_end=True),
)  # fmt: skip


def rule_names(rules: Iterable[Rule], lang: str = "de") -> dict[str, str]:
    """Rule code → "name (legal reference)" of every rule version."""
    return {
        r.code: f"{r.name_de if lang == 'de' else r.name_en} ({r.legal_reference})" for r in rules
    }


def add_months(start: dt.date, months: int) -> dt.date:
    """Return the same day number ``months`` later, or that month's last day (§ 188 (3))."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_date(event_on: dt.date, amount: int, unit: str, *, from_year_end: bool = False) -> dt.date:
    """Return the last day of a period that starts with an event on ``event_on``.

    Raises:
        ValueError: unknown unit or a negative amount.
    """
    if amount < 0:
        raise ValueError("a period cannot be negative")
    if from_year_end:  # § 199 (1) BGB: counting starts with the end of the year
        event_on = dt.date(event_on.year, 12, 31)
    if unit == "days":
        return event_on + dt.timedelta(days=amount)
    if unit == "weeks":
        return event_on + dt.timedelta(weeks=amount)
    if unit == "months":
        return add_months(event_on, amount)
    if unit == "years":
        return add_months(event_on, 12 * amount)
    raise ValueError(f"unknown unit {unit!r}")


def easter_sunday(year: int) -> dt.date:
    """Return Easter Sunday of ``year`` (Gregorian; anonymous algorithm of Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def nrw_holidays(year: int) -> frozenset[dt.date]:
    """Return the statutory public holidays of Nordrhein-Westfalen in ``year`` (FTG NRW)."""
    easter = easter_sunday(year)
    # Karfreitag, Ostermontag, Christi Himmelfahrt, Pfingstmontag, Fronleichnam
    moving = (-2, 1, 39, 50, 60)
    fixed = ((1, 1), (5, 1), (10, 3), (11, 1), (12, 25), (12, 26))
    return frozenset(
        [easter + dt.timedelta(days=d) for d in moving] + [dt.date(year, m, d) for m, d in fixed]
    )


def last_day(due: dt.date) -> dt.date:
    """Return ``due`` moved past Saturdays, Sundays and NRW holidays (§ 193 BGB)."""
    while due.weekday() >= 5 or due in nrw_holidays(due.year):
        due += dt.timedelta(days=1)
    return due


def rule_in_force(rules: list[Rule], code: str, on: dt.date) -> Rule | None:
    """Return the version of rule ``code`` valid on ``on`` (valid_to exclusive), if any."""
    for rule in sorted(rules, key=lambda r: r.valid_from, reverse=True):
        if (
            rule.code == code
            and rule.valid_from <= on
            and (rule.valid_to is None or on < rule.valid_to)
        ):
            return rule
    return None


def start_from_dates(
    start_event: str,
    *,
    knowledge: dt.date | None = None,
    rejection_received: dt.date | None = None,
    claim_arose: dt.date | None = None,
) -> dt.date | None:
    """Return the start date a rule's event gives for the incident dates entered, if any.

    ``rejection_or_knowledge`` is § 15 (4) AGG: for applicants the receipt of the rejection,
    but not before the person knew of the discrimination; otherwise the knowledge. Events the
    incident does not record (a written claim, a dismissal) give None: the counsellor enters
    the date.
    """
    if start_event == "knowledge":
        return knowledge
    if start_event == "rejection_received":
        return rejection_received
    if start_event == "rejection_or_knowledge":
        if rejection_received is None:
            return knowledge
        return max(rejection_received, knowledge) if knowledge else rejection_received
    if start_event == "claim_arose":
        return claim_arose
    return None
