"""The office's work beyond single cases (workshops, campaigns, network meetings,
institutional consultations): counsellors record it here; the funding report lists it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fallstelle.activities import service as activities
from fallstelle.auth import service as accounts
from fallstelle.auth.permissions import Permission
from fallstelle.cases.errors import Invalid
from fallstelle.clock import today
from fallstelle.runtime import commit, db_session
from fallstelle.web.case_forms import choices
from fallstelle.web.forms import StrictForm
from fallstelle.web.guard import current_actor, require

bp = Blueprint("activities", __name__, url_prefix="/taetigkeiten")


class ActivityForm(StrictForm):
    office = SelectField(_l("Office"), coerce=int, validate_choice=False)  # service checks it
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    participants = IntegerField(
        _l("Participants"), validators=[Optional(), NumberRange(0, 100_000)]
    )


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
    form.kind.choices = choices(session, "aktivitaet", form.office.data or first)
    if not form.is_submitted():
        form.held_on.data = today()
    status = 200
    if form.validate_on_submit():
        try:
            activities.add_activity(
                session,
                actor,
                form.office.data or first,
                form.held_on.data or today(),
                form.kind.data or "",
                form.title.data or "",
                form.participants.data or 0,
            )
        except Invalid as invalid:
            session.rollback()
            form.fail(invalid.field.rsplit(".", 1)[-1], invalid.code)
            status = 400
        else:
            commit()
            flash(_("Saved."), "info")
            return redirect(url_for("activities.index"))
    year = today().year
    listed = {
        office_id: activities.list_activities(
            session, actor, office_id, today().replace(year=year - 1, month=1, day=1), today()
        )
        for office_id in sorted(offices)
    }
    labels = dict(choices(session, "aktivitaet", first, blank=False))
    commit()
    return render_template(
        "activities.html", form=form, listed=listed, offices=offices, labels=labels
    ), status
