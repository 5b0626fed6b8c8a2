"""The office's work beyond single cases (workshops, campaigns, network meetings,
institutional consultations): counsellors record, correct and delete it here; the funding
report lists it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fallstelle.activities import service as activities
from fallstelle.auth import service as accounts
from fallstelle.auth.errors import Conflict, Invalid
from fallstelle.auth.permissions import Permission
from fallstelle.catalogue import vocab
from fallstelle.clock import today
from fallstelle.web.forms import StrictForm
from fallstelle.web.guard import current_actor, require
from fallstelle.web.i18n import select_locale
from fallstelle.web.pipeline import context, db_session

bp = Blueprint("activities", __name__, url_prefix="/taetigkeiten")


class ActivityForm(StrictForm):
    office = SelectField(_l("Office"), coerce=int, validate_choice=False)  # service checks it
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    participants = IntegerField(
        _l("Participants"), validators=[Optional(), NumberRange(0, 100_000)]
    )


class EditActivityForm(ActivityForm):
    version = HiddenField()


class DeleteActivityForm(StrictForm):
    version = HiddenField()
    confirm = BooleanField(_l("Yes, delete this activity"), validators=[DataRequired()])


@bp.route("", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def index() -> str | BaseResponse | tuple[str, int]:
    actor = current_actor()
    assert actor is not None  # noqa: S101 - the guard ran
    session = db_session()
    offices = accounts.office_names(session, actor.office_ids)
    form = ActivityForm()
    form.office.choices = sorted(offices.items(), key=lambda item: item[1])
    first = min(offices) if offices else 0
    form.kind.choices = vocab.load(session, form.office.data or first).choices(
        "aktivitaet", select_locale()
    )
    if not form.is_submitted():
        form.held_on.data = today()
    status = 200
    if form.validate_on_submit():
        try:
            context().attempt(
                lambda: activities.add_activity(
                    session,
                    actor,
                    form.office.data or first,
                    form.held_on.data or today(),
                    form.kind.data or "",
                    form.title.data or "",
                    form.participants.data or 0,
                )
            )
        except Invalid as invalid:
            form.fail(invalid.field.rsplit(".", 1)[-1], invalid.code)
            status = 400
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("activities.index"))
    year = today().year
    listed = {
        office_id: activities.list_activities(
            session, actor, office_id, today().replace(year=year - 1, month=1, day=1), today()
        )
        for office_id in sorted(offices)
    }
    labels = dict(vocab.load(session, first).choices("aktivitaet", select_locale(), blank=False))
    return render_template(
        "activities.html", form=form, listed=listed, offices=offices, labels=labels
    ), status


@bp.route("/<int:activity_id>", methods=["GET", "POST"])
@require(Permission.CASE_WRITE)
def edit(activity_id: int) -> str | BaseResponse | tuple[str, int]:
    """Correct an activity (a stale form is a 409 with the input kept)."""
    ctx = context()
    actor = ctx.require_actor()
    action = activities.READ if request.method == "GET" else "activity.update"
    activity = activities.get_activity(ctx.session, actor, activity_id, action)
    form = EditActivityForm(obj=None if request.method == "POST" else activity)
    form.office.choices = [(activity.office_id, "")]
    form.kind.choices = vocab.load(ctx.session, activity.office_id).choices(
        "aktivitaet", select_locale()
    )
    if request.method == "GET":
        form.version.data = str(activity.version)
    remove = DeleteActivityForm(formdata=None, version=str(activity.version))
    status = 200
    if form.validate_on_submit():
        version = _version(form.version.data)
        try:
            ctx.attempt(
                lambda: activities.update_activity(
                    ctx.session, actor, activity_id, version, form.held_on.data or today(),
                    form.kind.data or "", form.title.data or "", form.participants.data or 0,
                )
            )
        except Invalid as invalid:
            form.fail(invalid.field.rsplit(".", 1)[-1], invalid.code)
            status = 400
        except Conflict:
            flash(_stale_message(), "error")
            status = 409
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("activities.index"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "activity_edit.html", form=form, remove=remove, activity=activity
    ), status


@bp.post("/<int:activity_id>/loeschen")
@require(Permission.CASE_WRITE)
def delete(activity_id: int) -> str | BaseResponse | tuple[str, int]:
    """Delete an activity after a second confirmation."""
    ctx = context()
    actor = ctx.require_actor()
    activity = activities.get_activity(ctx.session, actor, activity_id, "activity.delete")
    remove = DeleteActivityForm()
    if not remove.validate_on_submit():
        form = EditActivityForm(formdata=None, obj=activity, version=str(activity.version))
        form.office.choices = [(activity.office_id, "")]
        form.kind.choices = vocab.load(ctx.session, activity.office_id).choices(
            "aktivitaet", select_locale()
        )
        return render_template(
            "activity_edit.html", form=form, remove=remove, activity=activity
        ), 400
    version = _version(remove.version.data)
    try:
        ctx.attempt(lambda: activities.delete_activity(ctx.session, actor, activity_id, version))
    except Conflict:
        flash(_stale_message(), "error")
        return redirect(url_for("activities.edit", activity_id=activity_id))
    flash(_("The activity has been deleted."), "info")
    return redirect(url_for("activities.index"))


def _version(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        abort(400)


def _stale_message() -> str:
    return str(
        _(
            "Someone else changed this activity in the meantime. Please check it and save "
            "again."
        )
    )
