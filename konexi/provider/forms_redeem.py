"""Forms of the redeem page: look a customer up by phone, confirm a claim with its code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TelField
from wtforms.validators import ValidationError

from konexi.models import Branch
from konexi.services.accounts.contacts import InvalidContact, normalise_phone
from konexi.services.claims.redemption_codes import CODE_LENGTH, normalise_code
from konexi.services.claims.redemption_counter import SHORT_CODE_LENGTH
from konexi.web.routing import id_or_none
from konexi.web.web_forms import KonexiForm


class _Form(KonexiForm):
    class Meta:
        # CSRFProtect checks every POST (the hidden csrf_token input, or htmx's X-CSRFToken
        # header), so forms do not add a second token field.
        csrf = False


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _to_int(value: object) -> int | None:
    """A posted id, or None when it is missing or not a number (answered as a field error)."""
    return id_or_none(value)  # beyond the id range too: the database would refuse it


def _code(value: str | None) -> str:
    return normalise_code(value or "")


class _BranchForm(_Form):
    branch_id = SelectField(_l("Branch you are at"), coerce=_to_int, validate_choice=False)

    def offer(self, branches: list[Branch], chosen: int | None) -> None:
        """Offer these branches (the member's), preselecting ``chosen`` on a fresh form."""
        self.branch_id.choices = [(branch.id, branch.name) for branch in branches]
        if self.branch_id.data is None and chosen in {branch.id for branch in branches}:
            self.branch_id.data = chosen

    def validate_branch_id(self, field: SelectField) -> None:
        if field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Choose one of your branches."))


class LookupForm(_BranchForm):
    e164 = ""  # the phone in E.164, once validated

    phone = TelField(
        _l("Customer's mobile number"),
        filters=[_strip],
        render_kw={"autocomplete": "off", "inputmode": "tel", "maxlength": "32"},
    )

    def validate_phone(self, field: TelField) -> None:
        try:
            self.e164 = normalise_phone(field.data or "")
        except InvalidContact as error:
            raise ValidationError(str(error.message)) from error


class RedeemForm(_BranchForm):
    """One claim's confirm form; the phone comes back hidden so the list can be shown again."""

    e164 = ""
    phone = HiddenField()
    claim_id = HiddenField(filters=[_to_int])
    code = StringField(
        _l("Code the customer shows"),
        filters=[_code],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": "12",
            "class": "code",
        },
    )

    def validate_phone(self, field: HiddenField) -> None:
        try:
            self.e164 = normalise_phone(field.data or "")
        except InvalidContact as error:
            raise ValidationError(str(error.message)) from error

    def validate_claim_id(self, field: HiddenField) -> None:
        if field.data is None:
            raise ValidationError(_l("Look the customer up again."))

    def validate_code(self, field: StringField) -> None:
        if not field.data:
            raise ValidationError(_l("Enter the code the customer shows."))
        if len(field.data) not in (SHORT_CODE_LENGTH, CODE_LENGTH):
            raise ValidationError(_l("Enter the full code or its last 4 characters."))
