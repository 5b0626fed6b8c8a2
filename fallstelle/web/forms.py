"""Forms (Flask-WTF): CSRF on every one, lengths bounded, and no unexpected fields.

:class:`StrictForm` refuses a submission that carries fields the form does not declare
(mass assignment): 400 and an audit event, nothing changed.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from fallstelle.messages import MESSAGES


class StrictForm(FlaskForm):
    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        if self.is_submitted():
            # Field names carry the form's prefix where several forms share a page.
            allowed = {field.name for field in self} | {"csrf_token"}
            if (set(request.form) | set(request.files)) - allowed:
                from fallstelle.web.guard import audit_denied

                audit_denied("request.rejected", "unexpected_field")
                abort(400)
        valid = bool(super().validate_on_submit(extra_validators))
        if self.is_submitted() and not valid:
            from fallstelle.web.guard import audit_denied

            audit_denied("request.rejected", "invalid_input")  # which field: never its value
        return valid

    def fail(self, field: str, code: str) -> None:
        """Show a service's ``Invalid`` code next to the field."""
        target = getattr(self, field, None)
        message = str(MESSAGES.get(code, MESSAGES["required"]))
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            self.form_errors.append(message)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(StrictForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class CodeForm(StrictForm):
    code = StringField(
        _l("Six-digit code"),
        validators=[DataRequired(), Length(min=6, max=8)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class NewPasswordForm(StrictForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "new-password"},
    )


class FirstAdminForm(NewPasswordForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )


class UserForm(StrictForm):
    username = StringField(_l("Username"), validators=[Optional(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    roles = MultiCheckboxField(_l("Roles"), choices=[])
    offices = MultiCheckboxField(_l("Offices"), choices=[], coerce=int)
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()
    confirmed = HiddenField()  # disabling asks once more (web.admin.user_edit)


class OfficeForm(StrictForm):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    provider = StringField(_l("Provider (Träger)"), validators=[Optional(), Length(max=200)])
    case_visibility = SelectField(
        _l("Counsellors see"),
        choices=[
            ("office", _l("all cases of the office")),
            ("own", _l("their own cases and those shared with them")),
        ],
    )
    counsellors_may_report = BooleanField(_l("Counsellors may generate this office's reports"))
    version = HiddenField()


class ConfirmForm(StrictForm):
    """A bare form for buttons that change something (CSRF only)."""
