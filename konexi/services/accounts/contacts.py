"""Phone numbers and email addresses: parsed once, stored in one canonical form.

Phones are E.164 strings (``0812…`` typed in Indonesia becomes ``+62812…``); emails keep their
local part as typed and have the domain lower-cased.
"""

from __future__ import annotations

from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

DEFAULT_REGION = "ID"
# Numbers that can receive an SMS; some countries cannot tell mobile and fixed lines apart.
_SMS_CAPABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
MAX_EMAIL_LENGTH = 254


class InvalidContact(ValueError):
    """A phone number or email address that cannot be used; ``message`` is translated lazily."""

    def __init__(self, message: object) -> None:
        super().__init__()  # the message is translated when shown, in the reader's language
        self.message = message


def _parse_phone(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    candidates = [raw]
    digits = "".join(ch for ch in raw if ch.isdigit())
    # People often type the country code without the plus: 62812…
    if not raw.lstrip().startswith("+") and digits.startswith("62"):
        candidates.append("+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    return None


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a number that can receive SMS, read in ``region`` when it has no ``+``."""
    raw = (raw or "").strip()
    if not raw:
        raise InvalidContact(_l("Enter your mobile number."))
    if len(raw) > 32:
        raise InvalidContact(_l("Enter a mobile number such as 0812 3456 7890."))
    number = _parse_phone(raw, region)
    if number is None:
        raise InvalidContact(_l("Enter a mobile number such as 0812 3456 7890."))
    if phonenumbers.number_type(number) not in _SMS_CAPABLE:
        raise InvalidContact(_l("Enter a mobile number that can receive SMS."))
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _allow_test_domains() -> bool:
    try:
        return current_app.config.get("KONEXI_ENV") != "production"
    except RuntimeError:  # outside an app: be strict
        return False


def normalise_email(raw: str) -> str:
    """A syntactically valid address (no DNS lookup) with its domain part lower-cased."""
    raw = (raw or "").strip()
    if not raw:
        raise InvalidContact(_l("Enter your email address."))
    if len(raw) > MAX_EMAIL_LENGTH:
        raise InvalidContact(_l("Enter an email address such as name@example.com."))
    try:
        result = validate_email(
            raw,
            check_deliverability=False,
            allow_smtputf8=False,
            test_environment=_allow_test_domains(),
        )
    except EmailNotValidError as exc:
        raise InvalidContact(_l("Enter an email address such as name@example.com.")) from exc
    address = result.ascii_email or result.normalized
    local, _, domain = address.rpartition("@")
    address = f"{local}@{domain.lower()}"
    if len(address) > MAX_EMAIL_LENGTH:
        raise InvalidContact(_l("Enter an email address such as name@example.com."))
    return address


IdentifierKind = Literal["email", "phone"]


def normalise_identifier(raw: str) -> tuple[IdentifierKind, str]:
    """An email (anything with ``@``) or a phone number typed to log in or reset a password."""
    raw = (raw or "").strip()
    if not raw:
        raise InvalidContact(_l("Enter your email address or mobile number."))
    if "@" in raw:
        local, _, domain = raw.rpartition("@")
        if not local or not domain or len(raw) > MAX_EMAIL_LENGTH:
            raise InvalidContact(_l("Enter your email address or mobile number."))
        # Looked up case-insensitively: no strict syntax check, so old addresses still match.
        return "email", f"{local}@{domain.lower()}"
    try:
        return "phone", normalise_phone(raw)
    except InvalidContact as exc:
        raise InvalidContact(_l("Enter your email address or mobile number.")) from exc


def canonical_destination(destination: str) -> str:
    """The form used to hash a destination: E.164 phones as they are, emails lower-cased."""
    return destination.strip().lower()


def display_phone(e164: str) -> str:
    """A stored E.164 number in the international format people read (``+62 812-3456-7890``)."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
