"""The access log in words: what an action, a reason and an object type mean, for the
auditor's console (issue 14: ``case.read`` and ``stale_version`` are codes, not German).

Unknown codes are shown as they are, so a new event is never hidden; the export (CSV) keeps
the codes, which are what a later check compares.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

ACTIONS: dict[str, Any] = {
    "activity.create": _l("office activity recorded"),
    "activity.delete": _l("office activity deleted"),
    "activity.list": _l("office activities listed"),
    "activity.update": _l("office activity changed"),
    "audit.checkpoint": _l("log checkpoint signed"),
    "audit.epoch": _l("log epoch closed"),
    "audit.export": _l("access log exported"),
    "audit.purge": _l("old log epochs removed"),
    "audit.register": _l("release register viewed"),
    "audit.verify": _l("access log verified"),
    "audit.view": _l("access log viewed"),
    "auth.enrol": _l("account set up"),
    "auth.login": _l("sign-in"),
    "auth.login_code": _l("sign-in code"),
    "auth.logout": _l("sign-out"),
    "auth.password_change": _l("password changed"),
    "auth.session_expired": _l("session expired"),
    "auth.session_unknown": _l("unknown session"),
    "case.attachment": _l("document stored"),
    "case.attachment_read": _l("document downloaded"),
    "case.conflict": _l("case change refused (changed meanwhile)"),
    "case.create": _l("case opened"),
    "case.dashboard": _l("task list shown"),
    "case.demo": _l("demo cases created"),
    "case.import": _l("cases imported"),
    "case.list": _l("case list shown"),
    "case.read": _l("case read"),
    "case.search": _l("cases searched"),
    "case.status": _l("case status changed"),
    "case.update": _l("case changed"),
    "key.create": _l("key created"),
    "office.create": _l("office created"),
    "office.update": _l("office changed"),
    "report.download": _l("report downloaded"),
    "report.generate": _l("report generated"),
    "report.preview": _l("report previewed"),
    "report.revise": _l("frozen quarter revised"),
    "request.rejected": _l("request rejected"),
    "rule.create": _l("deadline rule added"),
    "user.create": _l("account created"),
    "user.disable": _l("account disabled"),
    "user.enable": _l("account enabled"),
    "user.end_sessions": _l("sessions ended"),
    "user.reset": _l("account reset"),
    "user.update": _l("account changed"),
    "vocab.create": _l("term added"),
}
REASONS: dict[str, Any] = {
    "by_number": _l("by case number"),
    "by_surname": _l("by surname"),
    "by_phone": _l("by phone"),
    "by_email": _l("by e-mail"),
    "counsellors": _l("counsellors"),
    "details": _l("details and consents"),
    "due_list": _l("for the task list"),
    "invalid_input": _l("invalid input"),
    "no_permission": _l("no permission"),
    "not_visible": _l("not visible to the user"),
    "other_office": _l("other office"),
    "stale_version": _l("changed meanwhile"),
    "throttled": _l("too many attempts"),
    "unexpected_field": _l("unexpected field"),
    "wrong_code": _l("wrong code"),
    "wrong_password": _l("wrong password"),
    "disabled": _l("account disabled"),
    "hash_mismatch": _l("checksum does not match"),
    "attachment_add": _l("document added"),
    "deadline_override": _l("own due date"),
    "follow_up_assign": _l("follow-up handed over"),
}
ENTRY_WORDS: dict[str, Any] = {
    "person": _l("person"),
    "incident": _l("incident"),
    "contact": _l("contact"),
    "intervention": _l("intervention"),
    "deadline": _l("deadline"),
    "follow_up": _l("follow-up"),
    "attachment": _l("document"),
}
OBJECTS: dict[str, Any] = {
    "activity": _l("activity"),
    "audit_epoch": _l("log epoch"),
    "audit_log": _l("access log"),
    "case": _l("case"),
    "deadline_rule": _l("deadline rule"),
    "endpoint": _l("page"),
    "epoch": _l("log epoch"),
    "kek": _l("key"),
    "office": _l("office"),
    "statistics": _l("statistics"),
    "user": _l("account"),
    "vocab_term": _l("term"),
}


def action_label(code: str | None) -> str:
    return str(ACTIONS.get(code or "", code or ""))


def reason_label(code: str | None) -> str:
    """``contact_save`` → "contact saved"; other codes from :data:`REASONS`."""
    if not code:
        return ""
    kind, _sep, verb = code.rpartition("_")
    if kind in ENTRY_WORDS and verb in ("save", "remove"):
        word = str(ENTRY_WORDS[kind])
        if verb == "save":
            return str(_l("%(what)s saved", what=word))
        return str(_l("%(what)s removed", what=word))
    return str(REASONS.get(code, code))


def object_label(code: str | None) -> str:
    return str(OBJECTS.get(code or "", code or ""))


def init_app(app: Flask) -> None:
    app.add_template_filter(action_label, "audit_action")
    app.add_template_filter(reason_label, "audit_reason")
    app.add_template_filter(object_label, "audit_object")
