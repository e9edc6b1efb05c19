"""Closing, reopening and deleting an account, and the signed links of a data export.

A closed account can be reopened by its owner (password) within ``PURGE_GRACE_DAYS``, and is
purged after that like a deleted one (nobody can bring it back any more); an account
being deleted is purged after the same grace period by ``services.privacy.purge``, and until
``purge_after`` its owner can cancel the deletion by logging in. Both end every session at once
(the session version is bumped), so no other phone stays logged in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased

from konexi.extensions import db
from konexi.models import Company, Membership, Role, User, UserStatus
from konexi.models.base import utcnow
from konexi.services.accounts.accounts import (
    AccountError,
    end_other_sessions,
    find_user,
    password_owner,
)
from konexi.services.accounts.contacts import InvalidContact, normalise_identifier
from konexi.services.accounts.passwords import verify_password
from konexi.services.signing import TokenSalt, serializer

EXPORT_LINK_MAX_AGE = 3600  # seconds


class ExportLinkError(Exception):
    """A download link that is tampered with, expired, or someone else's (translated message)."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = message


class SoleOwnerError(Exception):
    """The account is the only owner of live companies: closing it would leave them ownerless."""

    def __init__(self, companies: list[Company]):
        super().__init__(", ".join(company.name for company in companies))
        self.companies = companies


def companies_only_owned_by(user_id: int) -> list[Company]:
    """Active companies in which this user is the one and only owner."""
    other = aliased(Membership)
    another_owner = exists().where(
        other.company_id == Membership.company_id,
        other.role == Role.OWNER,
        other.user_id != user_id,
    )
    return list(
        db.session.scalars(
            select(Company)
            .join(Membership, Membership.company_id == Company.id)
            .where(
                Membership.user_id == user_id,
                Membership.role == Role.OWNER,
                Company.is_active.is_(True),
                ~another_owner,
            )
            .order_by(Company.name)
        )
    )


def _check_not_sole_owner(user: User) -> None:
    # A company always keeps an owner: its vouchers stay public and someone must answer for them.
    companies = companies_only_owned_by(user.id)
    if companies:
        raise SoleOwnerError(companies)


def _grace() -> timedelta:
    return timedelta(days=int(current_app.config["PURGE_GRACE_DAYS"]))


def _check_password(user: User, password: str) -> None:
    if not verify_password(user.password_hash, password or ""):
        raise AccountError({"password": _l("Your password is wrong.")})


def close_account(user: User, password: str) -> None:
    """Deactivate the account after checking the password, unless it is a company's only
    owner (SoleOwnerError); every session ends at once."""
    _check_password(user, password)
    _check_not_sole_owner(user)
    user.status = UserStatus.CLOSED
    user.closed_at = utcnow()
    user.purge_after = None
    end_other_sessions(user)
    db.session.commit()


def purge_date(requested_at: datetime | None = None) -> datetime:
    """When an account whose deletion is asked for (or that is closed) at ``requested_at`` (now)
    is purged: after it, nothing can be recovered."""
    return (requested_at or utcnow()) + _grace()


def request_deletion(user: User, password: str) -> None:
    """Mark the account for deletion after checking the password, unless it is a company's only
    owner (SoleOwnerError); the purge runs after the grace period."""
    _check_password(user, password)
    _check_not_sole_owner(user)
    now = utcnow()
    user.status = UserStatus.DELETING
    user.closed_at = user.closed_at or now
    user.purge_after = purge_date(now)
    end_other_sessions(user)
    db.session.commit()


def _reopenable(user: User, now: datetime) -> bool:
    return (
        user.status == UserStatus.CLOSED
        and user.closed_at is not None
        and now - user.closed_at <= _grace()
    )


def _cancellable(user: User, now: datetime) -> bool:
    # The purge takes accounts whose purge_after <= now: from that moment nothing brings one back.
    return (
        user.status == UserStatus.DELETING
        and user.purge_after is not None
        and now < user.purge_after
    )


def reopen_account(identifier: str, password: str) -> User:
    """Reactivate a closed account whose owner proves the password within the grace period."""
    try:
        kind, value = normalise_identifier(identifier)
    except InvalidContact as exc:
        raise AccountError({"identifier": exc.message}) from None
    user = find_user(kind, value)
    matches = verify_password(user.password_hash if user else None, password or "")
    if user is None or not matches or not _reopenable(user, utcnow()):
        # One answer for every failure: it must not tell whether an account exists.
        raise AccountError(
            {"identifier": _l("No closed account that can be reopened matches these details.")}
        )
    user.status = UserStatus.ACTIVE
    user.closed_at = None
    db.session.commit()
    return user


class Comeback(StrEnum):
    """What a correct password on an account that is not active may do."""

    REOPEN = "reopen"  # a closed account, within the grace period
    CANCEL_DELETION = "cancel_deletion"  # an account being deleted, before its purge date


@dataclass(frozen=True)
class LoginCheck:
    """A correct password: sign ``user`` in now (``comeback`` None) or offer the ``comeback``."""

    user: User
    comeback: Comeback | None = None

    @property
    def purge_after(self) -> datetime | None:
        """When nothing can be recovered any more (an account being deleted)."""
        return self.user.purge_after if self.comeback is Comeback.CANCEL_DELETION else None


def check_login(identifier: str, password: str, now: datetime | None = None) -> LoginCheck | None:
    """The account these details open, and whether it must be reopened (or its deletion
    cancelled) first; None for every failure, a closed or purged-too-late account included."""
    user = password_owner(identifier, password)
    if user is None:
        return None
    if user.is_active:
        return LoginCheck(user)
    now = now or utcnow()
    if _reopenable(user, now):
        return LoginCheck(user, Comeback.REOPEN)
    if _cancellable(user, now):
        return LoginCheck(user, Comeback.CANCEL_DELETION)
    # Past the grace period the answer is the one a wrong password gets.
    return None


def come_back(
    user_id: int, session_version: int, comeback: Comeback, now: datetime | None = None
) -> User:
    """Reopen the account, or cancel its deletion, that a correct password was just given for
    (``check_login``); AccountError when that is no longer possible.

    One conditional UPDATE re-checks the rule in the database: the purge locks the rows it is
    about to erase, so a login at that moment waits for it and then finds nothing to update,
    and a purge that listed the account before this commit skips it (``services.privacy.purge``).
    """
    now = now or utcnow()
    still = [User.id == user_id, User.session_version == session_version]
    if comeback is Comeback.REOPEN:
        still += [User.status == UserStatus.CLOSED, User.closed_at >= now - _grace()]
    else:
        still += [User.status == UserStatus.DELETING, User.purge_after > now]
    changed = db.session.scalar(
        update(User)
        .where(*still)
        .values(status=UserStatus.ACTIVE, closed_at=None, purge_after=None)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    if changed is not None:
        db.session.commit()
        user = db.session.get(User, user_id, populate_existing=True)
        if user is not None:
            return user
    db.session.rollback()
    # The answer a wrong password gets: too late is not a different story.
    raise AccountError({"identifier": _l("Email/phone or password is wrong.")})


def make_export_token(user: User) -> str:
    """A signed download token bound to this user and their current session version."""
    return serializer(TokenSalt.EXPORT_DOWNLOAD).dumps({"u": user.id, "v": user.session_version})


def check_export_token(token: str, user: User) -> None:
    """Raise ExportLinkError unless the token is intact, under an hour old and this user's."""
    try:
        data = serializer(TokenSalt.EXPORT_DOWNLOAD).loads(token, max_age=EXPORT_LINK_MAX_AGE)
    except SignatureExpired:
        raise ExportLinkError(_l("This download link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise ExportLinkError(_l("This download link is not valid. Ask for a new one.")) from None
    if (
        not isinstance(data, dict)
        or data.get("u") != user.id
        or data.get("v") != user.session_version
    ):
        raise ExportLinkError(_l("This download link is not valid. Ask for a new one."))
