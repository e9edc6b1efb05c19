"""Platform admins (``User.is_platform_admin``): they moderate reviews and run ``/admin/``.

Made only by an operator on the command line (``flask --app wsgi create-admin EMAIL``): an
existing account is promoted once both its phone and email are verified; otherwise a new account
is created already verified, since the operator who types it vouches for it.
"""

from __future__ import annotations

from enum import Enum

from flask_babel import lazy_gettext as _l

from konexi.extensions import db
from konexi.models import User
from konexi.models.base import utcnow
from konexi.services.accounts.accounts import (
    AccountError,
    check_new_identity,
    find_user,
    password_problem,
    unavailable_contacts,
)
from konexi.services.accounts.contacts import InvalidContact, normalise_email
from konexi.services.accounts.passwords import hash_password


class Promotion(Enum):
    PROMOTED = "now a platform admin"
    ALREADY_ADMIN = "already an admin"
    NO_ACCOUNT = "no account"


def admin_email(email: str) -> str:
    """The normalised email (AccountError with an "email" message when it is not one)."""
    try:
        return normalise_email(email)
    except InvalidContact as exc:
        raise AccountError({"email": exc.message}) from None


def promote_to_platform_admin(email: str) -> Promotion:
    """Make the verified, active account with this email a platform admin.

    NO_ACCOUNT when there is none (the caller may create one); AccountError when the account
    exists but is unverified or closed, since a moderator must be a proven person.
    """
    user = find_user("email", admin_email(email))
    if user is None:
        return Promotion.NO_ACCOUNT
    if not user.is_active:
        raise AccountError({"email": _l("This account is closed or being deleted.")})
    if not user.is_verified:
        raise AccountError({"email": _l("This account has not verified its phone and email yet.")})
    if user.is_platform_admin:
        return Promotion.ALREADY_ADMIN
    user.is_platform_admin = True
    db.session.commit()
    return Promotion.PROMOTED


def create_platform_admin(*, email: str, name: str, phone: str, password: str) -> User:
    """Create a verified platform-admin account (AccountError by field for unusable input)."""
    name, email, phone, errors = check_new_identity(name, email, phone)
    problem = password_problem(password, email=email, phone=phone)
    if problem:
        errors["password"] = problem
    errors |= unavailable_contacts(
        email if "email" not in errors else None, phone if "phone" not in errors else None
    )
    if errors:
        raise AccountError(errors)
    now = utcnow()
    user = User(
        name=name,
        email=email,
        phone=phone,
        password_hash=hash_password(password),
        phone_verified_at=now,
        email_verified_at=now,
        is_platform_admin=True,
    )
    db.session.add(user)
    db.session.commit()
    return user
