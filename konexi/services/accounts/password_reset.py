"""Forgotten passwords: a code by SMS or email, then a new password.

A reset request always looks the same whether or not an account matches, and unknown
destinations are throttled exactly like registered ones.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch
from konexi.models import LinkedAccount, User
from konexi.services.accounts import account_messages as messages
from konexi.services.accounts import contact_ownership as ownership
from konexi.services.accounts.accounts import (
    AccountError,
    end_other_sessions,
    find_user,
    password_problem,
)
from konexi.services.accounts.contacts import InvalidContact, normalise_identifier
from konexi.services.accounts.passwords import hash_password
from konexi.services.accounts.verification import Channel, Purpose, check_code, issue_code


def _account_for(identifier: str) -> tuple[ownership.ContactKind, str, User | None]:
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


class AddressReleased(Exception):
    """The reset code proved an address that was never confirmed on the account it named, and
    the account's other contact is proven: the address was detached, the account kept."""

    def __init__(self, kind: str, address: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.address = address


def reset_password(identifier: str, code: str, new_password: str) -> User:
    """Set a new password with a reset code sent to the account's email or phone.

    The code proves whoever typed it holds that address, nothing more. So:

    - the address was proven on the account (or nothing was): the password changes, the address
      counts as proven, and the other contact is detached unless it was proven too (and, when
      nothing was proven, linked social sign-ins go too); everyone is logged out; both contacts
      are told;
    - the address was never proven there but the other contact was: the account stays with
      whoever proved that one, the address is detached from it (its owner may sign up with it)
      and AddressReleased is raised.
    """
    kind, value, user = _account_for(identifier)
    problem = password_problem(
        new_password,
        email=(user.email or "") if user else (value if kind == "email" else ""),
        phone=(user.phone or "") if user else (value if kind == "phone" else ""),
    )
    if problem:
        raise AccountError({"new_password": problem})
    check = check_code(purpose=Purpose.RESET_PASSWORD, destination=value, code=code)
    if not check.ok or user is None or check.code is None or check.code.user_id != user.id:
        db.session.commit()  # keep the counted attempt
        raise AccountError(
            {"code": _l("That code is wrong or has expired. Check it or ask for a new code.")}
        )
    other = ownership.other_kind(kind)
    if not ownership.is_proven(user, kind) and ownership.is_proven(user, other):
        ownership.detach(user, kind)
        messages.queue_contact_released_notice(user, kind, value)
        messages.queue_removed_address_notice(user, kind, value)
        commit_and_dispatch()
        raise AddressReleased(kind, value)
    if not ownership.is_proven(user, kind):
        # Nothing tied the resetter to whoever set the account up, who may have linked their own
        # Google or Facebook sign-in to it: those links go, as the unproven contact does.
        db.session.execute(delete(LinkedAccount).where(LinkedAccount.user_id == user.id))
    user.password_hash = hash_password(new_password)
    end_other_sessions(user)
    # The code reached this phone or inbox, which proves the user holds it.
    ownership.mark_proven(user, kind)
    removed = None
    if not ownership.is_proven(user, other) and ownership.contact_of(user, other) is not None:
        removed = ownership.detach(user, other)
        if removed:
            messages.queue_removed_address_notice(user, other, removed)
    messages.queue_password_reset_notice(
        user, Channel.SMS if kind == "phone" else Channel.EMAIL, removed
    )
    commit_and_dispatch()
    return user
