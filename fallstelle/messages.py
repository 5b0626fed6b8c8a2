"""What the user reads for each ``Invalid`` code a service raises, in the page's language.

Imports only Flask-Babel (lazy strings, translated when shown). Shared by the web forms and
the command line, which prints the English message id; it lives beside ``create_app`` so
that ``cli/`` never has to import ``web/``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGES = {
    "required": _l("Please fill in this field."),
    "choice": _l("Please choose one of the offered values."),
    "too_short": _l("The password must have at least 12 characters."),
    "too_long": _l("The password may have at most 128 characters."),
    "common": _l("This password is too common. Please choose another one, e.g. a sentence."),
    "contains_username": _l("The password must not contain the username."),
    "wrong_password": _l("The current password is not correct."),
    "username_format": _l(
        "3 to 64 characters: lower-case letters, digits, dot, hyphen, underscore."
    ),
    "username_taken": _l("This username is already taken."),
    "office_code_format": _l("2 to 32 characters: letters, digits, hyphen, underscore."),
    "office_code_taken": _l("This code is already taken."),
    "office_required": _l("Counsellors and management need at least one office."),
    "cannot_disable_self": _l("You cannot disable your own account."),
    "not_case_counsellor": _l(
        "Only the lead counsellor or a co-counsellor of this case can take over the follow-up."
    ),
    "mismatch": _l("The two passwords are not the same."),
    "too_large": _l("The file is larger than 10 MB."),
    "file_type": _l("Only PDF, JPEG, PNG and plain text files can be stored."),
    "transition": _l("This status cannot follow the current one."),
    "logo_too_large": _l("The logo may be at most 300 KB."),
    "logo_type": _l("The logo must be a PNG or JPEG picture."),
    "text_too_long": _l("The text may have at most 20,000 characters."),
    "text_unchanged": _l("This is the wording of the current version; nothing to publish."),
    "date_range": _l("The date lies outside the allowed range."),
    "rule_code_format": _l("2 to 40 characters: lower-case letters, digits, underscore."),
    "range": _l("The number lies outside the allowed range."),
    "fixed_vocabulary": _l("This list is fixed and cannot be extended."),
    "unknown_code": _l("There is no such level-1 code in this list."),
    "slug_format": _l("2 to 40 characters: lower-case letters, digits, underscore."),
    "taken": _l("This code is already taken."),
    "period_format": _l(
        "Please enter a year (2026), a half-year (2026-H1) or a quarter (2026-Q3)."
    ),
    "no_cases": _l("No case was opened or closed in this period at these offices."),
    "release_refused": _l(
        "Together with the reports shown before, this report would give away a small count, "
        "and no further cell of it can be hidden. Nothing was shown or stored. Choose a longer "
        "period or several offices together."
    ),
    "search_too_short": _l(
        "Please enter at least 3 letters of the name (or the whole name if it is shorter)."
    ),
    "search_phone_too_short": _l("Please enter at least 4 digits of the phone number."),
    "search_too_broad": _l(
        "Too many people match this search. Please search more precisely: type more letters "
        "or digits."
    ),
    "register_contradiction": _l(
        "The release register holds numbers that cannot all be true at once (a damaged "
        "register). No report can be checked against it; nothing was shown or stored. Please "
        "tell the data protection officer."
    ),
    "report_failed": _l(
        "The report could not be produced; nothing was stored. Please tell the administrator."
    ),
}
