"""Changing the email or phone of an account: the new address replaces the old one only once
the code sent to it is typed back; until then the old one stays and keeps working.

Asking needs the current password (or, for an account without one, a fresh login). When the new
address is proven it is detached from any other account where it was unproven; an address
proven on another account is refused. The old contact and the account's other contact are told,
and every other session ends.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch
from konexi.models import User
from konexi.services.accounts import account_messages as messages
from konexi.services.accounts import contact_ownership as ownership
from konexi.services.accounts.accounts import AccountError, end_other_sessions
from konexi.services.accounts.contact_ownership import ContactKind
from konexi.services.accounts.contacts import InvalidContact, normalise_email, normalise_phone
from konexi.services.accounts.passwords import verify_password
from konexi.services.accounts.verification import (
    Channel,
    CodeCheck,
    CodeStatus,
    Purpose,
    check_code,
    issue_code,
    sms_country_allowed,
    sms_country_message,
)

# Form field names, shared with the account pages.
ADDRESS_FIELD = "address"
PASSWORD_FIELD = "password"  # noqa: S105 - a field name


def _purpose(kind: ContactKind) -> Purpose:
    return Purpose.CHANGE_EMAIL if kind == "email" else Purpose.CHANGE_PHONE


def pending_of(user: User, kind: ContactKind) -> str | None:
    return user.pending_email if kind == "email" else user.pending_phone


def _set_pending(user: User, kind: ContactKind, value: str | None) -> None:
    if kind == "email":
        user.pending_email = value
    else:
        user.pending_phone = value


def _unusable(kind: ContactKind) -> object:
    if kind == "email":
        return _l("This email can't be used. Use another address.")
    return _l("This phone number can't be used. Use another number.")


def _new_address(user: User, kind: ContactKind, raw: str) -> str:
    """The normalised new address, or AccountError next to the address field."""
    try:
        value = normalise_email(raw) if kind == "email" else normalise_phone(raw)
    except InvalidContact as exc:
        raise AccountError({ADDRESS_FIELD: exc.message}) from None
    if kind == "phone" and not sms_country_allowed(value):
        raise AccountError({ADDRESS_FIELD: sms_country_message()})
    current = ownership.contact_of(user, kind)
    if current is not None and current.lower() == value.lower():
        message = (
            _l("This is already your email address.")
            if kind == "email"
            else _l("This is already your phone number.")
        )
        raise AccountError({ADDRESS_FIELD: message})
    holder = ownership.holder_of(kind, value)
    if holder is not None and holder.id != user.id and ownership.is_proven(holder, kind):
        raise AccountError({ADDRESS_FIELD: _unusable(kind)})
    return value


def request_change(
    user: User, kind: ContactKind, raw: str, password: str, *, fresh_login: bool, ip: str | None
) -> str:
    """Send a code to the new email or phone and remember it as pending; returns it.

    Raises AccountError (wrong password, unusable address) and TooManyCodes (sending limits).
    """
    errors: dict[str, object] = {}
    if user.password_hash:
        if not verify_password(user.password_hash, password or ""):
            errors[PASSWORD_FIELD] = _l("Your password is wrong.")
    elif not fresh_login:
        errors[PASSWORD_FIELD] = _l(
            "For your safety, log out and log in again first, then change it."
        )
    try:
        value = _new_address(user, kind, raw)
    except AccountError as error:
        errors.update(error.errors)
    if errors:
        raise AccountError(errors)
    _set_pending(user, kind, value)
    send_code(user, kind, ip)
    return value


def send_code(user: User, kind: ContactKind, ip: str | None) -> None:
    """(Re)send the code that proves the pending address (raises TooManyCodes past the limits)."""
    value = pending_of(user, kind)
    if value is None:
        raise AccountError({ADDRESS_FIELD: _l("Enter the new address first.")})
    _row, code = issue_code(
        purpose=_purpose(kind),
        channel=Channel.EMAIL if kind == "email" else Channel.SMS,
        destination=value,
        user_id=user.id,
        ip=ip,
    )
    messages.queue_new_contact_code(user, kind, value, code)
    commit_and_dispatch()


def cancel_change(user: User, kind: ContactKind) -> None:
    """Forget the pending address; the current one stays."""
    _set_pending(user, kind, None)
    db.session.commit()


def confirm_change(user: User, kind: ContactKind, code: str) -> CodeCheck:
    """Replace the contact with the pending address when ``code`` is the live code sent to it.

    The new address is proven; it leaves any account where it was unproven (refused, and the
    pending change dropped, if another account proved it meanwhile). Other sessions end; the old
    address and the other contact are told. Raises AccountError when the address is now unusable.
    """
    value = pending_of(user, kind)
    if value is None:
        return CodeCheck(CodeStatus.MISSING)
    check = check_code(purpose=_purpose(kind), destination=value, code=code, user_id=user.id)
    if not check.ok:
        db.session.commit()  # keep the counted attempt
        return check
    holder = ownership.holder_of(kind, value)
    if holder is not None and holder.id != user.id and ownership.is_proven(holder, kind):
        _set_pending(user, kind, None)
        db.session.commit()
        raise AccountError({ADDRESS_FIELD: _unusable(kind)})
    released = ownership.release_unproven(kind, value, user)
    if released is not None:
        messages.queue_contact_released_notice(released, kind, value)
    old = ownership.contact_of(user, kind)
    if old is not None:
        ownership.detach(user, kind)  # frees the old address before the new one is stored
    if kind == "email":
        user.email = value
    else:
        user.phone = value
    ownership.mark_proven(user, kind)
    _set_pending(user, kind, None)
    end_other_sessions(user)
    messages.queue_contact_changed_notice(
        user, kind, old, value, other=ownership.contact_of(user, ownership.other_kind(kind))
    )
    commit_and_dispatch()
    return check
