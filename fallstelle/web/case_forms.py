"""Forms of the case pages. Choices come from the vocabularies in the database (German or
English labels by the page's language); the services check every code again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.orm import Session
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

from fallstelle.catalogue import vocab
from fallstelle.web.forms import MultiCheckboxField, StrictForm
from fallstelle.web.i18n import select_locale

LONG = 20_000


def choices(
    session: Session, vocabulary: str, office_id: int, blank: bool = True
) -> list[tuple[str, str]]:
    """Return ``(code, label)`` pairs; level-2 terms follow their level-1 term, indented."""
    lang = select_locale()
    out = [("", "–")] if blank else []
    for term in vocab.terms(session, vocabulary, office_id):
        label = term.label_de if lang == "de" else term.label_en
        out.append((term.code, ("\u2003" if term.level == 2 else "") + label))
    return out


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

    def fill(self, session: Session, office_id: int) -> None:
        self.request_type.choices = choices(session, "anfrage", office_id)
        self.access_route.choices = choices(session, "zugangsweg", office_id)
        self.role.choices = choices(session, "rolle", office_id, blank=False)
        self.age_band.choices = choices(session, "altersgruppe", office_id)
        self.gender.choices = choices(session, "geschlecht", office_id)
        self.kreis.choices = choices(session, "kreis", office_id)
        self.grounds.choices = choices(session, "merkmal", office_id, blank=False)
        self.life_domains.choices = choices(session, "lebensbereich", office_id, blank=False)


class VersionedForm(StrictForm):
    version = HiddenField()


class ContactForm(VersionedForm):
    on = DateField(_l("Date"), validators=[DataRequired()])
    minutes = IntegerField(_l("Minutes"), validators=[Optional(), NumberRange(0, 24 * 60)])
    channel = SelectField(_l("Channel"), validators=[DataRequired()])
    counterpart = SelectField(_l("With whom"), default="")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=LONG)])

    def fill(self, session: Session, office_id: int) -> None:
        self.channel.choices = choices(session, "kontakt_kanal", office_id)
        self.counterpart.choices = choices(session, "kontakt_mit", office_id)


class InterventionForm(VersionedForm):
    code = SelectField(_l("Intervention"), validators=[DataRequired()])
    started_on = DateField(_l("Date"), validators=[DataRequired()])
    result = SelectField(_l("Result"), default="")
    meets_deadline = SelectField(_l("Meets deadline"), default="")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=LONG)])

    def fill(self, session: Session, office_id: int, deadlines: list[tuple[str, str]]) -> None:
        self.code.choices = choices(session, "intervention", office_id)
        self.result.choices = choices(session, "intervention_ergebnis", office_id)
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

    def fill(self, session: Session, office_id: int, reachable: list[tuple[str, str]]) -> None:
        self.status.choices = reachable
        self.reason.choices = choices(session, "abschlussgrund", office_id)
        self.outcomes.choices = choices(session, "wirkung", office_id, blank=False)
        self.counterpart_response.choices = choices(session, "reaktion", office_id)


class PersonForm(VersionedForm):
    role = SelectField(_l("Role of the person"), validators=[DataRequired()])
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    surname = StringField(_l("Surname"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    age_band = SelectField(_l("Age band"), default="")
    gender = SelectField(_l("Gender"), default="")
    kreis = SelectField(_l("District (Kreis)"), default="")

    def fill(self, session: Session, office_id: int) -> None:
        self.role.choices = choices(session, "rolle", office_id)
        self.age_band.choices = choices(session, "altersgruppe", office_id)
        self.gender.choices = choices(session, "geschlecht", office_id)
        self.kreis.choices = choices(session, "kreis", office_id)


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

    def fill(self, session: Session, office_id: int) -> None:
        self.grounds.choices = choices(session, "merkmal", office_id, blank=False)
        self.life_domains.choices = choices(session, "lebensbereich", office_id, blank=False)
        self.forms.choices = choices(session, "form", office_id, blank=False)
        self.actor_type.choices = choices(session, "akteur", office_id)


class FollowUpForm(VersionedForm):
    due_on = DateField(_l("Look at the case again on"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


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

    def fill(self, session: Session, office_id: int, consents: list[tuple[str, str]]) -> None:
        self.request_type.choices = choices(session, "anfrage", office_id)
        self.access_route.choices = choices(session, "zugangsweg", office_id)
        self.agg_relevance.choices = choices(session, "agg_relevanz", office_id)
        self.consent_kind.choices = choices(session, "einwilligung", office_id)
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
