"""Forgotten passwords: a code by SMS or email, then a new password.

A reset request always looks the same whether or not an account matches, and unknown
destinations are throttled exactly like registered ones.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch
from konexi.models import User
from konexi.models.base import utcnow
from konexi.services import account_messages as messages
from konexi.services.accounts import AccountError, end_other_sessions, find_user, password_problem
from konexi.services.contacts import InvalidContact, normalise_identifier
from konexi.services.passwords import hash_password
from konexi.services.verification import Channel, Purpose, check_code, issue_code


def _account_for(identifier: str) -> tuple[str, str, User | None]:
    try:
        kind, value = normalise_identifier(identifier)
    except InvalidContact as exc:
        raise AccountError({"identifier": exc.message}) from None
    user = find_user(kind, value)
    return kind, value, user if user is not None and user.is_active else None


def request_password_reset(identifier: str, ip: str | None) -> str:
    """Send a reset code to a registered email or phone; unknown ones look and throttle the same.

    Returns the normalised identifier (for the reset form). Raises TooManyCodes.
    """
    kind, value, user = _account_for(identifier)
    channel = Channel.SMS if kind == "phone" else Channel.EMAIL
    _row, code = issue_code(
        purpose=Purpose.RESET_PASSWORD,
        channel=channel,
        destination=value,
        user_id=user.id if user else None,
        ip=ip,
    )
    if user is not None:
        messages.queue_reset_code(user, channel, code)
    commit_and_dispatch()
    return value


def reset_password(identifier: str, code: str, new_password: str) -> User:
    """Set a new password with a reset code sent to the account's email or phone."""
    kind, value, user = _account_for(identifier)
    problem = password_problem(
        new_password,
        email=user.email if user else (value if kind == "email" else ""),
        phone=user.phone if user else (value if kind == "phone" else ""),
    )
    if problem:
        raise AccountError({"new_password": problem})
    check = check_code(purpose=Purpose.RESET_PASSWORD, destination=value, code=code)
    if not check.ok or user is None or check.code is None or check.code.user_id != user.id:
        db.session.commit()  # keep the counted attempt
        raise AccountError(
            {"code": _l("That code is wrong or has expired. Check it or ask for a new code.")}
        )
    user.password_hash = hash_password(new_password)
    end_other_sessions(user)
    # The code reached this phone or inbox, which proves the user holds it.
    if kind == "phone" and user.phone_verified_at is None:
        user.phone_verified_at = utcnow()
    if kind == "email" and user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.commit()
    return user
