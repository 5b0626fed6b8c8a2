"""The auditor's console: filter, page through, verify and export the access log.

Only ``audit:read`` reaches it. Every view, verification and export is itself an audit event,
committed before the page is rendered or the file is sent (LOG-8).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from fallstelle.audit import console, queries
from fallstelle.audit import service as audit_service
from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import queries as case_queries
from fallstelle.reports import register, register_versions
from fallstelle.reports.csv_export import neutralise
from fallstelle.runtime import get_store
from fallstelle.web.forms import ConfirmForm
from fallstelle.web.guard import current_actor, require
from fallstelle.web.pipeline import context, db_session

bp = Blueprint("audit", __name__, url_prefix="/protokoll")
CSV_COLUMNS = (
    "seq", "time", "username", "actor_role", "action", "object_type", "object_id",
    "outcome", "reason", "request_id",
)  # fmt: skip

REGISTER_PER_PAGE = 50
CASE_NUMBER = re.compile(r"\d{4}-\d{3,6}")  # 2026-0042


def _actor() -> Actor:
    actor = current_actor()
    assert actor is not None  # noqa: S101 - the guard ran
    return actor


def _audit(action: str, outcome: str = "ok", reason: str | None = None) -> None:
    context().audit(action, outcome=outcome, reason=reason, object_type="audit_log")


def _date(args: MultiDict[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Please enter a date as YYYY-MM-DD (the date picker does this).")
        return None


def parse_filter(args: MultiDict[str, str]) -> tuple[console.Filter, dict[str, str]]:
    """Turn the query string into a filter; problems are returned per field, in German."""
    errors: dict[str, str] = {}
    username = args.get("benutzer", "").strip()[:64]
    actor_id = None
    if username:
        actor_id = accounts.find_user_id(db_session(), _actor(), username)
        if actor_id is None:
            errors["benutzer"] = _("There is no account with this username.")
    outcome = args.get("ergebnis", "").strip() or None
    if outcome is not None and outcome not in console.OUTCOMES:
        errors["ergebnis"] = _("Please choose one of the offered values.")
    date_from, date_to = _date(args, "von", errors), _date(args, "bis", errors)
    if date_from and date_to and date_from > date_to:
        errors["bis"] = _("The end date lies before the start date.")
    object_id = args.get("objekt", "").strip()[:128] or None
    if object_id and CASE_NUMBER.fullmatch(object_id):  # a case number: the log holds ids
        found = case_queries.case_ids_by_number(db_session(), _actor(), object_id)
        if found:
            object_id = found[0]
    return (
        console.Filter(
            actor_id=actor_id,
            action=args.get("aktion", "").strip()[:128] or None,
            object_id=object_id,
            outcome=outcome,
            date_from=date_from,
            date_to=date_to,
        ),
        errors,
    )


@bp.get("")
@require(Permission.AUDIT_READ)
def log() -> tuple[str, int]:
    f, errors = parse_filter(request.args)
    session = db_session()
    page = console.Page([], 1, 0)
    opened: list[console.OpenedObject] = []
    if not errors:
        page = console.search(session, f, request.args.get("seite", 1, type=int) or 1)
        if f.actor_id:
            opened = console.objects_opened(session, f)
    last_check = console.last_verification(session)
    shown = [e.actor_id for e in page.events if e.actor_id]
    if last_check is not None and last_check.actor_id:
        shown.append(last_check.actor_id)
    names = accounts.usernames(session, _actor(), shown)
    objects = [e.object_id for e in page.events if e.object_type == "case" and e.object_id]
    numbers = case_queries.case_numbers(session, _actor(), objects + [o.object_id for o in opened])
    _audit("audit.view", "ok" if not errors else "failed", None if not errors else "invalid_input")
    query = {k: v for k, v in request.args.items() if k != "seite"}
    return render_template(
        "audit/log.html",
        page=page,
        errors=errors,
        args=request.args,
        query=query,
        names=names,
        opened=opened,
        numbers=numbers,
        last_check=last_check,
        outcomes=console.OUTCOMES,
        confirm=ConfirmForm(),
    ), 200 if not errors else 400


@bp.get("/berichte")
@require(Permission.AUDIT_READ)
def releases() -> str:
    """The release register (issue 10): every build and preview, who made it, what it covered."""
    session = db_session()
    number = max(request.args.get("seite", 1, type=int) or 1, 1)
    rows, total = register.entries(session, number, REGISTER_PER_PAGE)
    names = accounts.usernames(session, _actor(), [r.actor_id for r in rows if r.actor_id])
    _audit("audit.register")
    pages = max(1, -(-total // REGISTER_PER_PAGE))
    legacy = register_versions.legacy_count(session) if total else 0
    return render_template("audit/releases.html", rows=rows, names=names, total=total,
                           number=number, pages=pages, legacy=legacy)  # fmt: skip


@bp.post("/pruefen")
@require(Permission.AUDIT_READ)
def verify() -> BaseResponse:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    store = get_store()
    result = queries.verify_log(
        store.engine,
        store.keys.audit_signing_key.public_key(),
        chain_key=store.keys.audit_chain_key,
        witness_path=store.settings.audit_witness,
    )
    reason = None if result.ok else (result.kind or "damaged").replace("-", "_")
    _audit("audit.verify", "ok" if result.ok else "failed", reason)
    if result.ok:
        flash(
            _(
                "The chain is intact: %(n)s events, %(c)s checkpoints match.",
                n=result.events,
                c=result.checkpoints,
            ),
            "info",
        )
    else:
        flash(
            _(
                "The chain is DAMAGED from event no. %(seq)s on (%(kind)s). Inform the data "
                "protection officer and keep an export.",
                seq=result.bad_seq,
                kind=result.kind,
            ),
            "error",
        )
    return redirect(url_for("audit.log"))


@bp.post("/checkpoint")
@require(Permission.AUDIT_READ)
def download_checkpoint() -> Response:
    """Sign a checkpoint at the head now and hand it to the auditor to keep elsewhere.

    A checkpoint kept outside the installation is what still shows a rewrite by someone who
    stole every key (SECURITY.md "Audit log"); ``audit verify --checkpoint FILE`` uses it.
    """
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _audit("audit.checkpoint")
    made = audit_service.checkpoint(db_session(), get_store().keys.audit_signing_key)
    assert made is not None  # noqa: S101 - the event above makes the log non-empty
    return Response(
        made.note(),
        mimetype="text/plain",
        headers={
            "Content-Disposition": f'attachment; filename="audit-checkpoint-{made.seq}.txt"'
        },
    )


@bp.get("/export.csv")
@require(Permission.AUDIT_READ)
def export_csv() -> Response:
    f, errors = parse_filter(request.args)
    if errors:
        abort(400)
    session = db_session()
    _audit("audit.export")
    events = list(console.stream(session, f))
    names = accounts.usernames(session, _actor(), [e.actor_id for e in events if e.actor_id])

    # Written out here, inside the request: the session's objects do not outlive it.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for e in events:
        values = (
            e.seq, e.time, names.get(e.actor_id or "", ""), e.actor_role, e.action,
            e.object_type, e.object_id, e.outcome, e.reason, e.request_id,
        )  # fmt: skip
        writer.writerow([neutralise("" if v is None else str(v)) for v in values])

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="zugriffsprotokoll-{stamp}.csv"'},
    )
