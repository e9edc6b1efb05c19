"""Accounts: sign up, log in, change a password, prove a phone and an email.

Nothing here tells a stranger whether an email or phone number is registered: failed log-ins share
one answer, and a sign-up with a used email or phone gets the same neutral field error as any
address that cannot be used (see ``password_reset`` for the other half of that rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch, discard_pending
from konexi.models import User
from konexi.models.base import utcnow
from konexi.services.accounts import account_messages as messages
from konexi.services.accounts import contact_ownership as ownership
from konexi.services.accounts.contacts import (
    InvalidContact,
    normalise_email,
    normalise_identifier,
    normalise_phone,
)
from konexi.services.accounts.passwords import hash_password, needs_rehash, verify_password
from konexi.services.accounts.verification import (
    CodeCheck,
    CodeStatus,
    Purpose,
    check_code,
    check_link_token,
    link_token_user_id,
    sms_country_allowed,
    sms_country_message,
)
from konexi.services.errors import AccountError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
MAX_NAME_LENGTH = 120


class NotVerified(Exception):
    """The user has not proven both the phone and the email yet."""


@dataclass(frozen=True)
class SignupResult:
    user: User
    phone_code_sent: bool
    email_code_sent: bool
    # When a code was not sent: when asking for it again will work (UTC).
    retry_at: datetime | None = None


# -- rules -----------------------------------------------------------------------------------
def password_problem(password: str, *, email: str = "", phone: str = "") -> object | None:
    """Why ``password`` cannot be used (too short, too long, or the email/phone itself), or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return _l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("Use at most %(num)d characters.", num=MAX_PASSWORD_LENGTH)
    forbidden = {email.strip().lower()} if email else set()
    if phone:
        forbidden |= {phone, phone.lstrip("+")}
        try:
            forbidden.add("0" + str(phonenumbers.parse(phone, None).national_number))
        except phonenumbers.NumberParseException:
            pass
    if password.strip().lower() in forbidden:
        return _l("Your password can't be your email address or phone number.")
    return None


def require_verified(user: User) -> None:
    """Only users who proved both their phone and their email may claim (raises NotVerified)."""
    if not user.is_verified:
        raise NotVerified


def find_user(kind: str, value: str) -> User | None:
    """The user with this normalised email (any letter case) or E.164 phone, if any."""
    return ownership.holder_of("email" if kind == "email" else "phone", value)


def check_new_identity(
    name: str, email: str, phone: str
) -> tuple[str, str, str, dict[str, object]]:
    """Normalise a new account's name, email and phone; field errors for what is unusable."""
    errors: dict[str, object] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _l("Enter your name.")
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = _l("Use at most %(num)d characters.", num=MAX_NAME_LENGTH)
    try:
        email = normalise_email(email)
    except InvalidContact as exc:
        errors["email"] = exc.message
    try:
        phone = normalise_phone(phone)
    except InvalidContact as exc:
        errors["phone"] = exc.message
    else:
        if not sms_country_allowed(phone):  # the verification code could not be sent to it
            errors["phone"] = sms_country_message()
    return name, email, phone, errors


def unavailable_contacts(email: str | None, phone: str | None) -> dict[str, object]:
    """Neutral messages for an email or phone another account holds, proven or still reserved
    (unproven for less than the hold period); None: not checked."""
    errors: dict[str, object] = {}
    if email and ownership.blocks_new_account("email", email):
        errors["email"] = _l(
            "This email can't be used for a new account. "
            "If it's yours, log in or reset your password."
        )
    if phone and ownership.blocks_new_account("phone", phone):
        errors["phone"] = _l(
            "This phone number can't be used for a new account. "
            "If it's yours, log in or reset your password."
        )
    return errors


def release_stale_contacts(email: str, phone: str) -> None:
    """Detach these addresses from accounts where they sat unproven past the hold period (the
    new account takes them), telling those accounts why."""
    contacts: tuple[tuple[ownership.ContactKind, str], ...] = (("email", email), ("phone", phone))
    for kind, value in contacts:
        holder = ownership.release_stale(kind, value)
        if holder is not None:
            messages.queue_contact_released_notice(holder, kind, value)
            messages.queue_removed_address_notice(holder, kind, value)


def end_other_sessions(user: User) -> None:
    # Sessions and "remember me" cookies carry the version: bumping it ends all of them.
    user.session_version = (user.session_version or 1) + 1


# -- sign up ---------------------------------------------------------------------------------
def sign_up(
    *, name: str, email: str, phone: str, password: str, ip: str | None, locale: str = "en"
) -> SignupResult:
    """Create an account with an unused email and phone, then send a code to each."""
    name, email, phone, errors = check_new_identity(name, email, phone)
    problem = password_problem(password, email=email, phone=phone)
    if problem:
        errors["password"] = problem
    taken = unavailable_contacts(
        email if "email" not in errors else None, phone if "phone" not in errors else None
    )
    if errors or taken:
        raise AccountError({**errors, **taken}, frozenset(taken))
    user = User(
        name=name,
        email=email,
        phone=phone,
        password_hash=hash_password(password),
        locale=locale,
        session_version=1,
    )
    try:
        release_stale_contacts(email, phone)
        db.session.add(user)
        db.session.flush()
        phone_refused = messages.queue_verification_code(user, Purpose.VERIFY_PHONE, ip)
        email_refused = messages.queue_verification_code(user, Purpose.VERIFY_EMAIL, ip)
        commit_and_dispatch()
    except IntegrityError:
        # Someone signed up with the same email or phone a moment ago.
        db.session.rollback()
        discard_pending()
        taken = unavailable_contacts(email, phone) or {
            "email": _l("This email can't be used for a new account.")
        }
        raise AccountError(taken, frozenset(taken)) from None
    retry_times = [r.retry_at for r in (phone_refused, email_refused) if r and r.retry_at]
    return SignupResult(
        user, phone_refused is None, email_refused is None, max(retry_times, default=None)
    )


# -- log in ----------------------------------------------------------------------------------
def password_owner(identifier: str, password: str) -> User | None:
    """The user, whatever the account's status, whose email or phone and password match, or
    None; the caller decides what a closed or deleting account may do."""
    try:
        kind, value = normalise_identifier(identifier)
    except InvalidContact as exc:
        raise AccountError({"identifier": exc.message}) from None
    user = find_user(kind, value)
    # Checked against a dummy hash when there is no user: a miss takes as long as a hit.
    matches = verify_password(user.password_hash if user else None, password or "")
    if user is None or not matches:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def authenticate(identifier: str, password: str) -> User | None:
    """The active user whose email or phone and password match, or None (one answer for all)."""
    user = password_owner(identifier, password)
    return user if user is not None and user.is_active else None


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; other sessions end."""
    errors: dict[str, object] = {}
    if user.password_hash and not verify_password(user.password_hash, current_password or ""):
        errors["current_password"] = _l("Your current password is wrong.")
    problem = password_problem(new_password, email=user.email or "", phone=user.phone or "")
    if problem:
        errors["new_password"] = problem
    if errors:
        raise AccountError(errors)
    user.password_hash = hash_password(new_password)
    end_other_sessions(user)
    messages.queue_password_changed(user)
    commit_and_dispatch()


# -- proving the phone and the email --------------------------------------------------------
def send_phone_code(user: User, ip: str | None) -> None:
    """Send a new code to the user's phone (raises TooManyCodes past a limit)."""
    refused = messages.queue_verification_code(user, Purpose.VERIFY_PHONE, ip)
    if refused:
        raise refused
    commit_and_dispatch()


def send_email_code(user: User, ip: str | None) -> None:
    """Send a new code and link to the user's email (raises TooManyCodes past a limit)."""
    refused = messages.queue_verification_code(user, Purpose.VERIFY_EMAIL, ip)
    if refused:
        raise refused
    commit_and_dispatch()


def confirm_phone(user: User, code: str) -> CodeCheck:
    """Mark the phone verified when ``code`` is the live code sent to it (every try counts)."""
    if user.phone is None:
        return CodeCheck(CodeStatus.MISSING)
    check = check_code(
        purpose=Purpose.VERIFY_PHONE, destination=user.phone, code=code, user_id=user.id
    )
    if check.ok:
        user.phone_verified_at = user.phone_verified_at or utcnow()
    db.session.commit()
    return check


def confirm_email(user: User, code: str) -> CodeCheck:
    """Mark the email verified when ``code`` is the live code sent to it (every try counts)."""
    if user.email is None:
        return CodeCheck(CodeStatus.MISSING)
    check = check_code(
        purpose=Purpose.VERIFY_EMAIL, destination=user.email, code=code, user_id=user.id
    )
    if check.ok:
        user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return check


class LoginNeeded(Exception):
    """The email link works only for the person logged in to the account it was sent for."""


def confirm_email_link(token: str, current_user_id: int | None) -> tuple[CodeCheck, User | None]:
    """Mark the email verified from the link in the email (valid 10 minutes, latest code only).

    Only while logged in to that account: whoever opens the link holds the inbox, but may not
    be who holds the password (someone may have signed up with another person's address), and
    an address proven by a stranger to the account must never sit beside the holder's phone.
    Raises LoginNeeded otherwise, without using the link up.
    """
    owner_id = link_token_user_id(token)
    if owner_id is not None and owner_id != current_user_id:
        raise LoginNeeded
    check = check_link_token(token)
    user = db.session.get(User, check.code.user_id) if check.code and check.code.user_id else None
    if check.ok and user is not None:
        user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return check, user
