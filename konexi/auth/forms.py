"""Account forms. They parse input; the rules (formats, passwords, codes) live in the services."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import ValidationError

from konexi.web.web_forms import KonexiForm

_CODE_SEPARATORS = re.compile(r"[\s\-.]")


class _Form(KonexiForm):
    class Meta:
        # CSRFProtect checks every POST (the hidden csrf_token input, or htmx's X-CSRFToken
        # header), so forms do not add a second, prefixed token field.
        csrf = False


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _code_digits(value: str | None) -> str | None:
    """People paste codes as "123 456" or "123-456"."""
    return _CODE_SEPARATORS.sub("", value) if isinstance(value, str) else value


def _six_digits(_form: KonexiForm, field: StringField) -> None:
    if not field.data or not re.fullmatch(r"\d{6}", field.data):
        raise ValidationError(_l("Enter the 6-digit code."))


def _code_field(label: str) -> StringField:
    return StringField(
        label,
        filters=[_code_digits],
        validators=[_six_digits],
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "maxlength": "12",
            "class": "code",
        },
    )


# The console's branch-phone proof asks for the same kind of code.
code_field = _code_field


def _identifier_field() -> StringField:
    return StringField(
        _l("Email or mobile number"),
        filters=[_strip],
        render_kw={
            "autocomplete": "username",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(label, render_kw={"autocomplete": "new-password"})


class NewIdentityForm(_Form):
    """Name, email and mobile number of a new account (sign-up, and social sign-up)."""

    name = StringField(_l("Name"), filters=[_strip], render_kw={"autocomplete": "name"})
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"},
    )
    phone = TelField(
        _l("Mobile number"),
        filters=[_strip],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )


class SignupForm(NewIdentityForm):
    password = _new_password_field(_l("Password"))


class LoginForm(_Form):
    identifier = _identifier_field()
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me on this phone"))


class CodeForm(_Form):
    """The code sent to the phone or the email (create with prefix="phone" or "email")."""

    code = _code_field(_l("Code"))


class ForgotPasswordForm(_Form):
    identifier = _identifier_field()


class ResetPasswordForm(_Form):
    identifier = _identifier_field()
    code = _code_field(_l("Code"))
    new_password = _new_password_field(_l("New password"))


class ChangePasswordForm(_Form):
    current_password = PasswordField(
        _l("Current password"), render_kw={"autocomplete": "current-password"}
    )
    new_password = _new_password_field(_l("New password"))
