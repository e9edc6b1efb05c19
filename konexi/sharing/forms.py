"""The share form: the friend's phone or email, and an optional short message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from konexi.services.sharing import sharing
from konexi.services.sharing.sharing import ShareError
from konexi.web.web_forms import KonexiForm


class ShareForm(KonexiForm):
    class Meta:
        # CSRFProtect checks every POST (the hidden csrf_token input or htmx's X-CSRFToken).
        csrf = False

    contact = StringField(
        _l("Your friend's mobile number or email"),
        id="share-contact",  # unique on the voucher page that includes the form
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "none",
            "spellcheck": "false",
            "maxlength": "254",
            "placeholder": "0812 3456 7890",
        },
    )
    message = TextAreaField(
        _l("Message (optional)"),
        id="share-message",
        render_kw={"maxlength": str(sharing.MAX_MESSAGE), "rows": "2"},
    )

    # The rules live in the service; the form only puts its messages next to the fields.
    def validate_contact(self, field: StringField) -> None:
        try:
            sharing.parse_contact(field.data or "")
        except ShareError as error:
            raise ValidationError(str(error.message)) from error

    def validate_message(self, field: TextAreaField) -> None:
        try:
            sharing.clean_message(field.data)
        except ShareError as error:
            raise ValidationError(str(error.message)) from error

    def show_error(self, error: ShareError) -> None:
        """Put a refusal from the service next to its field, or above the form."""
        field = getattr(self, error.field, None) if error.field else None
        if field is None:
            self.form_errors.append(str(error.message))
            return
        field.errors = [*field.errors, str(error.message)]


class GiftForm(KonexiForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST

    contact = StringField(
        _l("Your friend's mobile number or email"),
        id="gift-contact",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "none",
            "spellcheck": "false",
            "maxlength": "254",
            "placeholder": "0812 3456 7890",
        },
    )

    def validate_contact(self, field: StringField) -> None:
        try:
            sharing.parse_contact(field.data or "")
        except ShareError as error:
            raise ValidationError(str(error.message)) from error
