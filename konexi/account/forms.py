"""Account forms: profile, picture, privacy switches. They parse input; rules live in services."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from konexi.services.accounts.profile import (
    MAX_AGE,
    MIN_AGE,
    BirthDateProblem,
    birth_date_problem,
)
from konexi.web.web_forms import KonexiForm


class _Form(KonexiForm):
    class Meta:
        # CSRFProtect checks every POST (hidden csrf_token input or htmx's X-CSRFToken header).
        csrf = False


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _valid_birth_date(form: ProfileForm, field: StringField) -> None:
    form.parsed_birth_date = None
    if not field.data:
        return
    try:
        parsed = date.fromisoformat(field.data)
    except ValueError as error:
        raise ValidationError(_l("Enter a real date, like 1990-08-17.")) from error
    problem = birth_date_problem(parsed)
    if problem == BirthDateProblem.FUTURE:
        raise ValidationError(_l("Your date of birth must be in the past."))
    if problem == BirthDateProblem.TOO_YOUNG:
        raise ValidationError(_l("You must be at least %(age)d years old.", age=MIN_AGE))
    if problem == BirthDateProblem.TOO_OLD:
        raise ValidationError(_l("Enter an age of %(age)d years or less.", age=MAX_AGE))
    form.parsed_birth_date = parsed


class ProfileForm(_Form):
    display_name = StringField(
        _l("Display name"),
        filters=[_strip],
        validators=[Length(max=60, message=_l("Use at most 60 characters."))],
        render_kw={"maxlength": "60", "autocomplete": "nickname"},
    )
    birth_date = StringField(
        _l("Date of birth"),
        filters=[_strip],
        validators=[_valid_birth_date],
        render_kw={"type": "date", "autocomplete": "bday"},
    )
    show_birth_date = BooleanField(_l("Show my date of birth on my public profile"))
    categories = CheckboxesField(_l("Favourite categories"), coerce=int, validate_choice=False)

    parsed_birth_date: date | None = None


class PictureForm(_Form):
    picture = FileField(
        _l("Profile picture"), render_kw={"accept": "image/jpeg,image/png,image/webp"}
    )


class PrivacyForm(_Form):
    findable_by_email = BooleanField(_l("Let people find me by my email address or phone number"))
    personalisation_enabled = BooleanField(_l("Use my claim history to suggest vouchers"))
    store_location = BooleanField(_l("Remember my location between visits"))
    marketing_email = BooleanField(_l("Marketing email and the weekly digest"))
    sms_notifications = BooleanField(
        _l("SMS notifications (security codes and receipts are always sent)")
    )


class ChangeContactForm(_Form):
    """A new email or phone, and the current password (the label follows the kind)."""

    address = StringField(
        _l("New email address"),
        filters=[_strip],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(_l("Your password"), render_kw={"autocomplete": "current-password"})

    def for_kind(self, kind: str) -> ChangeContactForm:
        if kind == "phone":
            self.address.label.text = _l("New mobile number")
            self.address.render_kw = {"type": "tel", "autocomplete": "tel", "inputmode": "tel"}
        else:
            self.address.render_kw = {
                "type": "email",
                "autocomplete": "email",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        return self
