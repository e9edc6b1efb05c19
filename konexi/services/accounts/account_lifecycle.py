"""Closing, reopening and deleting an account, and the signed links of a data export.

A closed account can be reopened by its owner (password) within ``PURGE_GRACE_DAYS``; an account
being deleted is purged after the same grace period by ``services.privacy.purge``. Both end
every session at once (the session version is bumped), so no other phone stays logged in.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from konexi.extensions import db
from konexi.models import Company, Membership, Role, User, UserStatus
from konexi.models.base import utcnow
from konexi.services.accounts.accounts import AccountError, end_other_sessions, find_user
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


def request_deletion(user: User, password: str) -> None:
    """Mark the account for deletion after checking the password, unless it is a company's only
    owner (SoleOwnerError); the purge runs after the grace period."""
    _check_password(user, password)
    _check_not_sole_owner(user)
    now = utcnow()
    user.status = UserStatus.DELETING
    user.closed_at = user.closed_at or now
    user.purge_after = now + _grace()
    end_other_sessions(user)
    db.session.commit()


def reopen_account(identifier: str, password: str) -> User:
    """Reactivate a closed account whose owner proves the password within the grace period."""
    try:
        kind, value = normalise_identifier(identifier)
    except InvalidContact as exc:
        raise AccountError({"identifier": exc.message}) from None
    user = find_user(kind, value)
    matches = verify_password(user.password_hash if user else None, password or "")
    reopenable = (
        user is not None
        and user.status == UserStatus.CLOSED
        and user.closed_at is not None
        and utcnow() - user.closed_at <= _grace()
    )
    if user is None or not matches or not reopenable:
        # One answer for every failure: it must not tell whether an account exists.
        raise AccountError(
            {"identifier": _l("No closed account that can be reopened matches these details.")}
        )
    user.status = UserStatus.ACTIVE
    user.closed_at = None
    db.session.commit()
    return user


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
