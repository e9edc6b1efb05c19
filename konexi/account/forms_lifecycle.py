"""Forms of the account lifecycle: close, delete, reopen. Each asks for the password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField

from konexi.web.web_forms import KonexiForm


class _Form(KonexiForm):
    class Meta:
        # CSRFProtect checks every POST (hidden csrf_token input or htmx's X-CSRFToken header).
        csrf = False


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _password_field() -> PasswordField:
    return PasswordField(_l("Password"), render_kw={"autocomplete": "current-password"})


class ConfirmWithPasswordForm(_Form):
    """Close or delete: the password proves it is the owner at the keyboard."""

    password = _password_field()


class ReopenForm(_Form):
    identifier = StringField(
        _l("Email or mobile number"),
        filters=[_strip],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = _password_field()


class ExportForm(_Form):
    """Only the CSRF token: asking for a download link is a POST."""
