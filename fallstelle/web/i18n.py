"""Languages: German first, English second (Flask-Babel; message ids are English).

The language is German unless the user chose English with the switch in the page header
(a cookie holding only ``de`` or ``en``); the browser's Accept-Language is deliberately not
used, because offices in Germany often run English-language systems.
"""

from __future__ import annotations

import datetime as dt
import weakref
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, format_datetime, format_decimal, get_translations
from flask_babel import lazy_gettext as _l
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from fallstelle import clock
from fallstelle.reports import periods

LANGUAGES = ("de", "en")
DEFAULT = "de"
COOKIE = "lang"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def N_(message: str) -> str:  # babel's default keyword: "translate later"
    """Mark ``message`` for the catalogue; :func:`gettext` translates it where it is shown.

    Unlike a lazy string (``_l``), whose every use goes through Flask-Babel's whole lookup,
    the shown text costs one lookup in this request's catalogue (issue 15: the case page's
    status badge, status changes and timeline filters)."""
    return message


#: Workflow status → message id of its name.
STATUS_LABELS = {
    "anfrage": N_("enquiry"),
    "in_beratung": N_("in counselling"),
    "intervention_laufend": N_("intervention running"),
    "ruhend": N_("dormant"),
    "abgeschlossen": N_("closed"),
    "wiederaufgenommen": N_("reopened"),
}


def status_label(status: str) -> str:
    """The German (or English) name of a workflow status."""
    message = STATUS_LABELS.get(status)
    return status if message is None else gettext(message)


def select_locale() -> str:
    if not has_request_context():  # command line: German, like the pages
        return DEFAULT
    choice = request.cookies.get(COOKIE, DEFAULT)
    return choice if choice in LANGUAGES else DEFAULT


def current_translations() -> Any:
    """This request's catalogue (Flask-Babel's for its locale), looked up once per request."""
    found = g.get("fallstelle_translations")
    if found is None:
        found = g.fallstelle_translations = get_translations()
    return found


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext`` (formatted only with variables), with this request's catalogue
    looked up once per request (filters call it on every page)."""
    if not has_request_context():
        return str(_l(string, **variables))
    found: str = current_translations().ugettext(string)
    return found % variables if variables else found


#: catalogue (one per language and process) → {(message id, variables?): (translated,
#: translated as Markup)}, formatted already when there are no variables: a case page looks
#: up some 100 ids, mostly the same ones on every page (issue 15). Weak keys: a catalogue
#: that is dropped takes its memo along.
_MEMO: weakref.WeakKeyDictionary[Any, dict[tuple[str, bool], tuple[str, Markup]]] = (
    weakref.WeakKeyDictionary()
)


def _memo() -> dict[tuple[str, bool], tuple[str, Markup]]:
    """This request's language's memo (looked up once per request)."""
    found: dict[tuple[str, bool], tuple[str, Markup]] | None = g.get("fallstelle_gettext")
    if found is None:
        found = g.fallstelle_gettext = _MEMO.setdefault(current_translations(), {})
    return found


@pass_eval_context
def _gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """Jinja's new-style ``gettext``: translated, escaped when autoescaping, %-formatted.

    It needs only the evaluation context (autoescaping), not the template context: a
    ``pass_context`` callable called in a loop gets a new derived context on every call.
    Each message is translated (and, without variables, formatted) once per language.
    """
    key = (string, bool(variables))
    memo = _memo()
    done = memo.get(key)
    if done is None:
        plain: str = current_translations().ugettext(string)
        marked = Markup(plain)  # noqa: S704 - our own catalogue, as Jinja's i18n does
        done = memo[key] = (plain, marked) if variables else (plain % {}, marked % {})
    found = done[1] if eval_ctx.autoescape else done[0]
    return found % variables if variables else found


def init_app(app: Flask) -> None:
    app.config.update(
        BABEL_DEFAULT_LOCALE=DEFAULT,
        BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    Babel(app, locale_selector=select_locale)
    # A page calls gettext some 80 times; Flask-Babel looks up the request, the locale and
    # its cache on each call. Look them up once per request instead (issue 15: a tenth of
    # the case page's time went there).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda s: current_translations().ugettext(s),
        lambda s, p, n: current_translations().ungettext(s, p, n),
        newstyle=True,
    )
    # ``_()`` (the case page calls it some 145 times) without the extension's two layers of
    # ``Context.call`` (alias → new-style wrapper → callable): the same new-style semantics
    # (escaped, always %-formatted) in one call.
    app.jinja_env.globals.update(_=_gettext, gettext=_gettext)

    @app.template_filter("role_label")
    def _role_label(role: str) -> str:
        labels = {
            "counsellor": _l("Counsellor"),
            "management": _l("Management"),
            "auditor": _l("Data protection"),
            "admin": _l("Administration"),
        }
        return str(labels.get(role, role))

    app.add_template_filter(status_label, "status_label")

    @app.template_filter("date_de")
    def _date_de(value: dt.date | None) -> str:
        # As strftime("%d.%m.%Y") (the year unpadded, as glibc does), at a fifth of its cost.
        return f"{value.day:02d}.{value.month:02d}.{value.year}" if value else ""

    @app.template_filter("number")
    def _number(value: int) -> str:
        """A count with the language's digit grouping: "1.000" in German, "1,000" in English."""
        return str(format_decimal(value))

    @app.template_filter("datetime_de")
    def _datetime_de(value: dt.datetime) -> str:
        return str(format_datetime(value, "dd.MM.yyyy HH:mm"))

    @app.template_filter("days_left")
    def _days_left(value: dt.date | None) -> str:
        """ "in 5 days", "today", "3 days overdue": how much time a deadline leaves."""
        if value is None:
            return ""
        days = (value - clock.today()).days
        if days == 0:
            return gettext("due today")
        if days == 1:
            return gettext("due tomorrow")
        if days == -1:
            return gettext("1 day overdue")
        if days > 0:
            return gettext("in %(n)s days", n=days)
        return gettext("%(n)s days overdue", n=-days)

    @app.template_filter("period_label")
    def _period_label(value: str) -> str:
        """``2026-H2`` → "2. Halbjahr 2026" (a stored code shown as words)."""
        try:
            return periods.parse(value).label(select_locale())
        except periods.BadPeriod:
            return value

    @app.template_global("today_date")
    def _today() -> dt.date:
        return clock.today()

    @app.template_filter("outcome_label")
    def _outcome_label(outcome: str) -> str:
        labels = {
            "ok": _l("ok"),
            "denied": _l("denied"),
            "failed": _l("failed"),
            "error": _l("error"),
        }
        return str(labels.get(outcome, outcome))

    @app.template_filter("audit_time")
    def _audit_time(value: str) -> str:
        """Show an RFC 3339 UTC time in the office's time zone, German style."""
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return str(format_datetime(moment, "dd.MM.yyyy HH:mm:ss"))

    @app.context_processor
    def _language() -> dict[str, str]:
        return {"current_language": select_locale()}
