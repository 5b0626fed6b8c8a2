"""Administration of the data that drives case files: deadline rules and the offices' own
level-2 terms. Routes on ``admin.bp``; only ``vocabulary:manage`` (admins) reaches them.
Level 1 stays fixed for pooled reports; an office extends level 2 only.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from fallstelle.auth import service as accounts
from fallstelle.auth.permissions import Permission
from fallstelle.cases.errors import Invalid
from fallstelle.catalogue import deadlines, rule_admin, vocab
from fallstelle.catalogue.vocab_seed import TWO_LEVEL
from fallstelle.web.admin import Page, bp, signed_in_admin
from fallstelle.web.forms import StrictForm
from fallstelle.web.guard import require
from fallstelle.web.pipeline import context, db_session

UNIT_LABELS = {
    "days": _l("days"),
    "weeks": _l("weeks"),
    "months": _l("months"),
    "years": _l("years"),
}


class RuleForm(StrictForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_de = StringField(_l("Name (German)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    legal_reference = StringField(
        _l("Legal reference"), validators=[DataRequired(), Length(max=100)]
    )
    amount = IntegerField(_l("Duration"), validators=[DataRequired(), NumberRange(1, 1000)])
    unit = SelectField(_l("Unit"), choices=list(UNIT_LABELS.items()))
    start_event = SelectField(_l("Starts with"), choices=list(deadlines.START_EVENTS.items()))
    from_year_end = BooleanField(_l("Runs from the end of that year (§ 199 (1) BGB)"))
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])


class TermForm(StrictForm):
    office = SelectField(_l("Office"), coerce=int)
    vocabulary = SelectField(_l("List"), choices=[(v, v) for v in sorted(TWO_LEVEL)])
    parent_code = StringField(
        _l("Level-1 code it belongs to"), validators=[DataRequired(), Length(max=40)]
    )
    slug = StringField(
        _l("Short code of the new term"), validators=[DataRequired(), Length(max=40)]
    )
    label_de = StringField(_l("Label (German)"), validators=[DataRequired(), Length(max=200)])
    label_en = StringField(_l("Label (English)"), validators=[DataRequired(), Length(max=200)])


@bp.route("/fristen", methods=["GET", "POST"])
@require(Permission.VOCABULARY_MANAGE)
def rules() -> Page:
    session, actor = db_session(), signed_in_admin()
    form = RuleForm()
    status = 200
    if form.validate_on_submit():
        try:
            context().attempt(
                lambda: rule_admin.add_version(
                    session,
                    actor,
                    code=form.code.data or "",
                    name_de=form.name_de.data or "",
                    name_en=form.name_en.data or "",
                    legal_reference=form.legal_reference.data or "",
                    amount=form.amount.data or 0,
                    unit=form.unit.data or "",
                    start_event=form.start_event.data or "",
                    valid_from=form.valid_from.data,
                    from_year_end=bool(form.from_year_end.data),
                )
            )
        except Invalid as invalid:
            form.fail(invalid.field, invalid.code)
            status = 400
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("admin.rules"))
    listed = rule_admin.list_rules(session, actor)
    return render_template(
        "admin/rules.html",
        form=form,
        rules=listed,
        units=UNIT_LABELS,
        events=deadlines.START_EVENTS,
    ), status


@bp.route("/begriffe", methods=["GET", "POST"])
@require(Permission.VOCABULARY_MANAGE)
def terms() -> Page:
    session, actor = db_session(), signed_in_admin()
    offices = accounts.list_offices(session, actor)
    form = TermForm()
    form.office.choices = [(o.id, f"{o.code} – {o.name}") for o in offices]
    status = 200
    if form.validate_on_submit():
        try:
            context().attempt(
                lambda: vocab.add_term(
                    session,
                    actor,
                    form.office.data or 0,
                    form.vocabulary.data or "",
                    form.parent_code.data or "",
                    form.slug.data or "",
                    form.label_de.data or "",
                    form.label_en.data or "",
                )
            )
        except Invalid as invalid:
            form.fail(invalid.field, invalid.code)
            status = 400
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("admin.terms"))
    own = vocab.office_terms(session, [o.id for o in offices])
    names = {o.id: o.code for o in offices}
    return render_template("admin/terms.html", form=form, own=own, names=names), status
