"""Social sign-in: what a verified Google or Facebook identity means for a Konexi account.

An email from a provider never links an existing account by itself (anyone who controls a
provider account with that address could otherwise take the Konexi account over): the person
logs in with their password first and links from the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch, discard_pending
from konexi.models import LinkedAccount, User
from konexi.models.base import utcnow
from konexi.services.accounts import account_messages as messages
from konexi.services.accounts import contact_ownership as ownership
from konexi.services.accounts.accounts import (
    AccountError,
    check_new_identity,
    find_user,
    release_stale_contacts,
    unavailable_contacts,
)
from konexi.services.accounts.verification import Purpose

PROVIDERS = ("google", "facebook")


class Outcome(Enum):
    LOGGED_IN = "logged_in"  # a linked identity: log this user in
    LINKED = "linked"  # linked to the user who is logged in
    ALREADY_LINKED = "already_linked"  # already linked to the user who is logged in
    LINKED_ELSEWHERE = "linked_elsewhere"  # linked to another account: refused
    PROVIDER_TAKEN = "provider_taken"  # the logged-in user already links another such account
    EMAIL_EXISTS = "email_exists"  # log in with the password first, then link
    SIGNUP = "signup"  # a new person: complete the sign-up with a phone number


@dataclass(frozen=True)
class Identity:
    provider: str
    subject: str
    email: str | None
    name: str | None
    email_verified: bool = False


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    user: User | None = None


def _linked(provider: str, subject: str) -> LinkedAccount | None:
    return db.session.scalar(
        select(LinkedAccount).where(
            LinkedAccount.provider == provider, LinkedAccount.subject == subject
        )
    )


def login_or_link(identity: Identity, current_user_id: int | None) -> Result:
    """Decide what this identity means, linking it to the logged-in user when there is one."""
    link = _linked(identity.provider, identity.subject)
    if current_user_id is not None:
        if link is not None:
            if link.user_id == current_user_id:
                return Result(Outcome.ALREADY_LINKED)
            return Result(Outcome.LINKED_ELSEWHERE)
        existing = db.session.scalar(
            select(LinkedAccount).where(
                LinkedAccount.user_id == current_user_id,
                LinkedAccount.provider == identity.provider,
            )
        )
        if existing is not None:
            return Result(Outcome.PROVIDER_TAKEN)
        db.session.add(
            LinkedAccount(
                user_id=current_user_id,
                provider=identity.provider,
                subject=identity.subject,
                email=identity.email,
            )
        )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return Result(Outcome.LINKED_ELSEWHERE)
        return Result(Outcome.LINKED, db.session.get(User, current_user_id))
    if link is not None:
        return Result(Outcome.LOGGED_IN, db.session.get(User, link.user_id))
    holder = find_user("email", identity.email) if identity.email else None
    if holder is not None and not _proof_frees(identity, holder):
        return Result(Outcome.EMAIL_EXISTS)
    return Result(Outcome.SIGNUP)


def _proof_frees(identity: Identity, holder: User) -> bool:
    """A provider-verified email proves the address: it frees it from an account where nobody
    proved it (the new account takes it at sign-up)."""
    return identity.email_verified and not ownership.is_proven(holder, "email")


def links_of(user: User) -> list[LinkedAccount]:
    return list(
        db.session.scalars(
            select(LinkedAccount)
            .where(LinkedAccount.user_id == user.id)
            .order_by(LinkedAccount.provider)
        )
    )


class UnlinkRefused(Exception):
    """Unlinking would leave the account with no way to log in."""


def unlink(user: User, provider: str) -> bool:
    """Remove the user's link to ``provider`` (False: none); refused if it is the last way in."""
    link = db.session.scalar(
        select(LinkedAccount).where(
            LinkedAccount.user_id == user.id, LinkedAccount.provider == provider
        )
    )
    if link is None:
        return False
    count = db.session.scalar(
        select(func.count()).select_from(LinkedAccount).where(LinkedAccount.user_id == user.id)
    )
    if user.password_hash is None and (count or 0) <= 1:
        raise UnlinkRefused
    db.session.delete(link)
    db.session.commit()
    return True


def complete_signup(
    identity: Identity, *, name: str, email: str, phone: str, ip: str | None, locale: str = "en"
) -> User:
    """Create a password-less account for a new social identity, then send the phone a code."""
    name, email, phone, errors = check_new_identity(name, email, phone)
    # The provider vouches for the email only when it is the address it gave and says so.
    email_proven = bool(
        identity.email_verified
        and identity.email
        and identity.email.strip().lower() == email.lower()
    )
    holder = find_user("email", email) if email_proven else None
    frees_email = holder is not None and _proof_frees(identity, holder)
    taken = unavailable_contacts(
        email if "email" not in errors and not frees_email else None,
        phone if "phone" not in errors else None,
    )
    if errors or taken:
        raise AccountError({**errors, **taken}, frozenset(taken))
    user = User(
        name=name,
        email=email,
        phone=phone,
        password_hash=None,
        locale=locale,
        session_version=1,
        email_verified_at=utcnow() if email_proven else None,
    )
    try:
        released = ownership.release_unproven("email", email, None) if email_proven else None
        if released is not None:
            messages.queue_contact_released_notice(released, "email", email)
        release_stale_contacts(email, phone)
        db.session.add(user)
        db.session.flush()
        db.session.add(
            LinkedAccount(
                user_id=user.id,
                provider=identity.provider,
                subject=identity.subject,
                email=identity.email,
            )
        )
        db.session.flush()
        messages.queue_verification_code(user, Purpose.VERIFY_PHONE, ip)
        if not email_proven:
            messages.queue_verification_code(user, Purpose.VERIFY_EMAIL, ip)
        commit_and_dispatch()
    except IntegrityError:
        db.session.rollback()
        discard_pending()
        raise AccountError(
            {
                "phone": _l(
                    "This phone number can't be used for a new account. "
                    "If it's yours, log in or reset your password."
                )
            },
            frozenset({"phone"}),
        ) from None
    return user
