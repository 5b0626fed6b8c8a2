"""Forms for correcting and removing entries of a case, and for a case's retention
(issue 13). The entry forms of the case page (``web.case_forms``) are reused for corrections
where they fit; these add what a correction needs beyond them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fallstelle.catalogue.vocab import Vocabulary
from fallstelle.web.case_forms import LONG, FollowUpForm, VersionedForm
from fallstelle.web.forms import StrictForm


class RemoveForm(VersionedForm):
    reason = StringField(
        _l("Why is this removed?"), validators=[DataRequired(), Length(max=500)]
    )
    confirm = BooleanField(_l("Yes, remove it"), validators=[DataRequired()])


class FollowUpEditForm(FollowUpForm):
    done_on = DateField(_l("Done on"), validators=[Optional()])


class DeadlineEditForm(VersionedForm):
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    override_due_on = DateField(_l("Own due date"), validators=[Optional()])
    override_reason = StringField(_l("Reason for the own due date"),
                                  validators=[Optional(), Length(max=1000)])  # fmt: skip
    met_on = DateField(_l("Met on"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


class AttachmentEditForm(VersionedForm):
    filename = StringField(_l("File name"), validators=[DataRequired(), Length(max=200)])


class ConsentForm(VersionedForm):
    kind = SelectField(_l("Consent to"), validators=[DataRequired()])
    given_on = DateField(_l("Given on"), validators=[DataRequired()])
    text_version = StringField(_l("Version of the consent text"),
                               validators=[Optional(), Length(max=40)])  # fmt: skip
    withdrawn_on = DateField(_l("Withdrawn on"), validators=[Optional()])

    def fill(self, words: Vocabulary, lang: str) -> None:
        self.kind.choices = words.choices("einwilligung", lang)


class CaseDetailsEditForm(VersionedForm):
    request_type = SelectField(_l("Type of request"), validators=[DataRequired()])
    access_route = SelectField(_l("How the person found the office"), default="")
    initiated_by = SelectField(_l("Who made contact"), default="")
    agg_relevance = SelectField(_l("Relevance under the AGG"), default="")
    language = StringField(_l("Language"), validators=[Optional(), Length(max=16)])
    client_goals_text = StringField(_l("What the person wants (in their words)"),
                                    validators=[Optional(), Length(max=LONG)])  # fmt: skip
    narrative = StringField(_l("What happened"), validators=[Optional(), Length(max=LONG)])

    def fill(self, words: Vocabulary, lang: str) -> None:
        self.request_type.choices = words.choices("anfrage", lang)
        self.access_route.choices = words.choices("zugangsweg", lang)
        self.initiated_by.choices = words.choices("kontakt_durch", lang)
        self.agg_relevance.choices = words.choices("agg_relevanz", lang)


class LegalHoldForm(VersionedForm):
    hold = BooleanField(_l("Legal hold: proceedings are running, do not delete"))
    reason = StringField(_l("Reason for the hold"), validators=[Optional(), Length(max=1000)])
    review_on = DateField(_l("Review the hold on"), validators=[Optional()])


class EarlyDeleteForm(VersionedForm):
    reason = SelectField(
        _l("Why is the case deleted?"),
        choices=[
            ("", "–"),
            ("opened_by_mistake", _l("opened by mistake")),
            ("duplicate", _l("the same case was opened twice")),
            ("wrong_office", _l("belongs to another office")),
        ],
        validators=[DataRequired()],
    )
    case_number = StringField(_l("Type the case number to confirm"),
                              validators=[DataRequired(), Length(max=16)])  # fmt: skip
    confirm = BooleanField(
        _l("Yes, the case was opened by mistake: delete it for good"),
        validators=[DataRequired()],
    )


class ErasureForm(VersionedForm):
    what = SelectField(_l("What is to be erased"), validators=[DataRequired()])
    case_number = StringField(_l("Type the case number to confirm"),
                              validators=[DataRequired(), Length(max=16)])  # fmt: skip
    code = StringField(
        _l("A fresh six-digit code from your authenticator app"),
        validators=[DataRequired(), Length(min=6, max=8)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    confirm = BooleanField(
        _l("Yes, the person asked for erasure and nothing requires us to keep the data"),
        validators=[DataRequired()],
    )


class AccessRequestForm(VersionedForm):
    received_on = DateField(_l("Request received on"), validators=[DataRequired()])


class RetentionForm(StrictForm):
    identifying_months = IntegerField(
        _l("Identifying data (names, contact) is removed this many months after closure"),
        validators=[DataRequired(), NumberRange(1, 120)],
    )
    case_years = IntegerField(
        _l("The case file is deleted at the end of this calendar year after closure"),
        validators=[DataRequired(), NumberRange(1, 30)],
    )
    version = HiddenField()
