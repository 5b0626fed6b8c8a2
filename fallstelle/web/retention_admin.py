"""An office's retention periods on the admin pages (issue 13; DOMAIN.md "Retention").
Routes on ``admin.bp``; only ``office:manage`` (admins) reaches them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from fallstelle.auth import service as accounts
from fallstelle.auth.permissions import Permission
from fallstelle.cases import retention
from fallstelle.cases.errors import Invalid
from fallstelle.web.admin import Page, bp, signed_in_admin
from fallstelle.web.guard import require
from fallstelle.web.lifecycle_forms import RetentionForm
from fallstelle.web.pipeline import context, db_session


@bp.route("/stellen/<int:office_id>/aufbewahrung", methods=["GET", "POST"])
@require(Permission.OFFICE_MANAGE)
def office_retention(office_id: int) -> Page:
    """Set how long an office keeps identifying data and case files after closure."""
    actor = signed_in_admin()
    try:
        office = accounts.get_office(db_session(), actor, office_id)
    except LookupError:
        abort(404)
    current = retention.periods_of(db_session(), office_id)
    form = RetentionForm(identifying_months=current.identifying_months,
                         case_years=current.case_years)  # fmt: skip
    status = 200
    if form.validate_on_submit():
        periods = retention.Periods(form.identifying_months.data or 0, form.case_years.data or 0)
        try:
            context().attempt(
                lambda: retention.set_periods(db_session(), actor, office_id, periods)
            )
        except Invalid as invalid:
            form.fail(invalid.field, invalid.code)
            status = 400
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("admin.office_edit", office_id=office_id))
    elif form.is_submitted():
        status = 400
    return render_template("admin/office_retention.html", form=form, office=office,
                           defaults=retention.Periods()), status  # fmt: skip
