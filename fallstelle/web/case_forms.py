"""Forms of the case pages. Choices come from the office's vocabulary (``Vocabulary``, the
process's copy of the catalogue; German or English labels by the page's language); the
services check every code again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fallstelle.catalogue.vocab import Vocabulary
from fallstelle.web.forms import MultiCheckboxField, StrictForm

LONG = 20_000


class NewCaseForm(StrictForm):
    # Checked by the service (the actor must belong to it); missing means the only office.
    office = SelectField(_l("Office"), coerce=int, validate_choice=False)
    opened_on = DateField(_l("Opened on"), validators=[DataRequired()])
    status = SelectField(
        _l("Status"), choices=[("in_beratung", _l("in counselling")), ("anfrage", _l("enquiry"))]
    )
    request_type = SelectField(_l("Type of request"), validators=[DataRequired()])
    access_route = SelectField(_l("How the person found the office"), default="")
    role = SelectField(_l("Role of the person"))
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    surname = StringField(_l("Surname"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    age_band = SelectField(_l("Age band"), default="")
    gender = SelectField(_l("Gender"), default="")
    kreis = SelectField(_l("District (Kreis)"), default="")
    grounds = MultiCheckboxField(_l("Grounds of discrimination"))
    life_domains = MultiCheckboxField(_l("Areas of life"))
    narrative = TextAreaField(
        _l("What happened (short)"), validators=[Optional(), Length(max=LONG)]
    )

    def fill(self, words: Vocabulary, lang: str) -> None:
        self.request_type.choices = words.choices("anfrage", lang)
        self.access_route.choices = words.choices("zugangsweg", lang)
        self.role.choices = words.choices("rolle", lang, blank=False)
        self.age_band.choices = words.choices("altersgruppe", lang)
        self.gender.choices = words.choices("geschlecht", lang)
        self.kreis.choices = words.choices("kreis", lang)
        self.grounds.choices = words.choices("merkmal", lang, blank=False)
        self.life_domains.choices = words.choices("lebensbereich", lang, blank=False)


class VersionedForm(StrictForm):
    version = HiddenField()


class ContactForm(VersionedForm):
    on = DateField(_l("Date"), validators=[DataRequired()])
    minutes = IntegerField(_l("Minutes"), validators=[Optional(), NumberRange(0, 24 * 60)])
    channel = SelectField(_l("Channel"), validators=[DataRequired()])
    counterpart = SelectField(_l("With whom"), default="")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=LONG)])

    def fill(self, words: Vocabulary, lang: str) -> None:
        self.channel.choices = words.choices("kontakt_kanal", lang)
        self.counterpart.choices = words.choices("kontakt_mit", lang)


class InterventionForm(VersionedForm):
    code = SelectField(_l("Intervention"), validators=[DataRequired()])
    started_on = DateField(_l("Date"), validators=[DataRequired()])
    result = SelectField(_l("Result"), default="")
    meets_deadline = SelectField(_l("Meets deadline"), default="")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=LONG)])

    def fill(self, words: Vocabulary, lang: str, deadlines: list[tuple[str, str]]) -> None:
        self.code.choices = words.choices("intervention", lang)
        self.result.choices = words.choices("intervention_ergebnis", lang)
        self.meets_deadline.choices = [("", "–"), *deadlines]


class DeadlineForm(VersionedForm):
    rule_code = SelectField(_l("Deadline rule"), validators=[DataRequired()])
    starts_on = DateField(_l("Starts on (empty: from the incident dates)"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


class StatusForm(VersionedForm):
    status = SelectField(_l("New status"), validators=[DataRequired()])
    on = DateField(_l("Date"), validators=[DataRequired()])
    reason = SelectField(_l("Reason for closing"), default="")
    outcomes = MultiCheckboxField(_l("Effects achieved"))
    counterpart_response = SelectField(_l("Response of the other side"), default="")
    confirmed = HiddenField()  # closing asks once more (web.case_form_pages)

    def fill(self, words: Vocabulary, lang: str, reachable: list[tuple[str, str]]) -> None:
        self.status.choices = reachable
        self.reason.choices = words.choices("abschlussgrund", lang)
        self.outcomes.choices = words.choices("wirkung", lang, blank=False)
        self.counterpart_response.choices = words.choices("reaktion", lang)


class PersonForm(VersionedForm):
    role = SelectField(_l("Role of the person"), validators=[DataRequired()])
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    surname = StringField(_l("Surname"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    age_band = SelectField(_l("Age band"), default="")
    gender = SelectField(_l("Gender"), default="")
    kreis = SelectField(_l("District (Kreis)"), default="")

    def fill(self, words: Vocabulary, lang: str) -> None:
        self.role.choices = words.choices("rolle", lang)
        self.age_band.choices = words.choices("altersgruppe", lang)
        self.gender.choices = words.choices("geschlecht", lang)
        self.kreis.choices = words.choices("kreis", lang)


class IncidentForm(VersionedForm):
    date_from = DateField(_l("Date of the incident"), validators=[Optional()])
    rejection_received_on = DateField(_l("Rejection received on"), validators=[Optional()])
    grounds = MultiCheckboxField(_l("Grounds of discrimination"))
    life_domains = MultiCheckboxField(_l("Areas of life"))
    forms = MultiCheckboxField(_l("Forms"))
    actor_type = SelectField(_l("Who discriminated"), default="")
    actor_institution = StringField(
        _l("Institution (never exported)"), validators=[Optional(), Length(max=500)]
    )
    client_account = TextAreaField(
        _l("Account of the person"), validators=[Optional(), Length(max=LONG)]
    )

    def fill(self, words: Vocabulary, lang: str) -> None:
        self.grounds.choices = words.choices("merkmal", lang, blank=False)
        self.life_domains.choices = words.choices("lebensbereich", lang, blank=False)
        self.forms.choices = words.choices("form", lang, blank=False)
        self.actor_type.choices = words.choices("akteur", lang)


class FollowUpForm(VersionedForm):
    due_on = DateField(_l("Look at the case again on"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])
    # The service checks the choice: only a counsellor of the case (it alone can read it).
    assignee_id = SelectField(_l("Who looks at it"), default="", validate_choice=False)


class AssignForm(StrictForm):
    """Hand a follow-up to a colleague from the home page or the case page."""

    assignee_id = SelectField(_l("Hand over to"), default="", validate_choice=False)
    next = HiddenField()


class OverrideForm(VersionedForm):
    deadline = SelectField(_l("Deadline"), validators=[DataRequired()])
    due_on = DateField(_l("Own due date"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])


class DetailsForm(VersionedForm):
    request_type = SelectField(_l("Type of request"), validators=[DataRequired()])
    access_route = SelectField(_l("How the person found the office"), default="")
    agg_relevance = SelectField(_l("Relevance under the AGG"), default="")
    narrative = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=LONG)])
    legal_hold = BooleanField(_l("Legal hold: proceedings are running, do not delete"))
    consent_kind = SelectField(_l("Record a consent"), default="")
    consent_on = DateField(_l("Given on"), validators=[Optional()])
    consent_version = StringField(
        _l("Version of the consent text"), validators=[Optional(), Length(max=40)]
    )
    withdraw = SelectField(_l("Record a withdrawal"), default="")
    confirmed = HiddenField()  # a withdrawal asks once more (web.case_form_pages)

    def fill(self, words: Vocabulary, lang: str, consents: list[tuple[str, str]]) -> None:
        self.request_type.choices = words.choices("anfrage", lang)
        self.access_route.choices = words.choices("zugangsweg", lang)
        self.agg_relevance.choices = words.choices("agg_relevanz", lang)
        self.consent_kind.choices = words.choices("einwilligung", lang)
        self.withdraw.choices = [("", "–"), *consents]


class AttachmentForm(VersionedForm):
    file = FileField(
        _l("File (PDF, JPEG, PNG or text, at most 10 MB)"), validators=[FileRequired()]
    )


class SearchForm(StrictForm):
    field = SelectField(
        _l("Search by"),
        choices=[
            ("number", _l("case number")),
            ("surname", _l("surname")),
            ("phone", _l("phone")),
            ("email", _l("e-mail")),
        ],
    )
    value = StringField(_l("Search term"), validators=[DataRequired(), Length(max=200)])


class CounsellorsForm(VersionedForm):
    lead = SelectField(_l("Lead counsellor"), validators=[DataRequired()])
    co = MultiCheckboxField(_l("Co-counsellors"))

    def fill(self, counsellors: list[tuple[str, str]]) -> None:
        self.lead.choices = counsellors
        self.co.choices = counsellors
