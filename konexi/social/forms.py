"""The one form of social sign-in: complete a new account with a mobile number."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TelField


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class CompleteSignupForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST already

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
