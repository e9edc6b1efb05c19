"""Invitations to join a company's team, sent by email with a signed link valid for 7 days.

The link carries the invitation's id signed with the app's secret (itsdangerous); the row can be
revoked, and a newer invitation to the same address replaces an older one. Accepting needs a
verified account whose email is the invited address.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch, queue_email
from konexi.messaging.texts import render_text
from konexi.models import Invitation, Membership, Role, User, UserStatus
from konexi.models.base import utcnow
from konexi.services.accounts.contacts import InvalidContact, normalise_email
from konexi.services.providers.memberships import membership_in
from konexi.services.providers.team import TeamError, assignable_roles, role_label
from konexi.services.signing import TokenSalt, serializer

INVITATION_DAYS = 7


class InvitationProblem(enum.Enum):
    """Why an invitation link cannot be used (the page explains each)."""

    INVALID = "invalid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    ACCEPTED = "accepted"
    NOT_VERIFIED = "not_verified"
    WRONG_ACCOUNT = "wrong_account"


class InvitationError(Exception):
    """The invitation cannot be used; ``invitation`` is set when the link itself was genuine."""

    def __init__(self, problem: InvitationProblem, invitation: Invitation | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.invitation = invitation


def invitation_token(invitation: Invitation) -> str:
    """The signed, URL-safe token for an invitation's link."""
    return serializer(TokenSalt.TEAM_INVITATION).dumps(invitation.id)


def pending_invitations(company_id: int) -> list[Invitation]:
    """The company's invitations not yet accepted, revoked or expired, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.company_id == company_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def _queue_invitation_email(invitation: Invitation, inviter: User, locale: str) -> None:
    text = render_text(
        "team_invitation",
        locale,
        inviter=inviter.name,
        company=invitation.company.name,
        # the lazy label, so that it is translated in the email's language
        role=role_label(invitation.role),
        token=invitation_token(invitation),
        days=INVITATION_DAYS,
        email=invitation.email,
    )
    queue_email(
        to=invitation.email,
        subject=text.subject,
        body=text.body,
        kind="team_invitation",
        named_user_id=inviter.id,  # the body names the inviter: purged with them
    )


def _invitee_locale(address: str) -> str | None:
    """The stored language of the account that proved this email, if there is one: the
    invitation is read by the invitee, not by the inviter."""
    return db.session.scalar(
        select(User.locale).where(
            User.email_key == address.lower(),
            User.email_verified_at.is_not(None),
            User.status == UserStatus.ACTIVE,
        )
    )


def invite(actor: Membership, email: str, role: str, locale: str | None = None) -> Invitation:
    """Email a signed 7-day invitation to join the actor's company, replacing older ones; in the
    invitee's stored language when the address belongs to an account, else in ``locale`` (the
    inviter's language on the page), else the inviter's stored language."""
    errors: dict[str, object] = {}
    address = ""
    try:
        address = normalise_email(email)
    except InvalidContact as error:
        errors["email"] = error.message
    if role not in assignable_roles(actor):
        errors["role"] = _l("Choose one of the roles offered.")
    if not errors:
        member = db.session.scalar(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.company_id == actor.company_id, User.email_key == address.lower())
        )
        if member is not None:
            errors["email"] = _l("This person is already in your team.")
    if errors:
        raise TeamError(errors)
    now = utcnow()
    for older in db.session.scalars(
        select(Invitation).where(
            Invitation.company_id == actor.company_id,
            func.lower(Invitation.email) == address.lower(),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        older.revoked_at = now
    invitation = Invitation(
        company_id=actor.company_id,
        email=address,
        role=Role(role),
        invited_by_id=actor.user_id,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    language = _invitee_locale(address) or locale or actor.user.locale or "en"
    _queue_invitation_email(invitation, actor.user, language)
    commit_and_dispatch()
    return invitation


def revoke_invitation(actor: Membership, invitation: Invitation) -> None:
    """Make a pending invitation's link useless (only owners revoke invitations of owners)."""
    if invitation.company_id != actor.company_id or invitation.role not in assignable_roles(actor):
        raise TeamError({"role": _l("Only an owner can change or remove an owner.")})
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = utcnow()
        db.session.commit()


def invitation_from_token(token: str) -> Invitation:
    """The invitation behind a link, if it is genuine, unexpired, unrevoked and unaccepted."""
    links = serializer(TokenSalt.TEAM_INVITATION)
    try:
        invitation_id = links.loads(token, max_age=INVITATION_DAYS * 24 * 3600)
    except SignatureExpired as error:
        # The signature is genuine, only old: name the company on the page.
        _signed, invitation_id = links.loads_unsafe(token)
        found = (
            db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
        )
        raise InvitationError(InvitationProblem.EXPIRED, found) from error
    except BadSignature as error:
        raise InvitationError(InvitationProblem.INVALID) from error
    if not isinstance(invitation_id, int):
        raise InvitationError(InvitationProblem.INVALID)
    invitation = db.session.get(Invitation, invitation_id, options=[joinedload(Invitation.company)])
    if invitation is None:
        raise InvitationError(InvitationProblem.INVALID)
    if invitation.accepted_at is not None:
        raise InvitationError(InvitationProblem.ACCEPTED, invitation)
    if invitation.revoked_at is not None:
        raise InvitationError(InvitationProblem.REVOKED, invitation)
    if invitation.expires_at <= utcnow():
        raise InvitationError(InvitationProblem.EXPIRED, invitation)
    return invitation


def check_invitation_for(invitation: Invitation, user: User) -> None:
    """Refuse unless ``user`` is verified and their email is the invited address."""
    if user.email_key != invitation.email.lower():
        raise InvitationError(InvitationProblem.WRONG_ACCOUNT, invitation)
    if not user.is_verified:
        raise InvitationError(InvitationProblem.NOT_VERIFIED, invitation)


def accept_invitation(token: str, user: User) -> Membership:
    """Join the company in the invited role (an existing membership is kept as it is)."""
    invitation = invitation_from_token(token)
    check_invitation_for(invitation, user)
    invitation.accepted_at = utcnow()
    membership = membership_in(user.id, invitation.company_id)
    if membership is None:
        membership = Membership(
            company_id=invitation.company_id, user_id=user.id, role=invitation.role
        )
        db.session.add(membership)
    try:
        db.session.commit()
    except IntegrityError:  # accepted twice at the same moment: the first one won
        db.session.rollback()
        existing = membership_in(user.id, invitation.company_id)
        if existing is None:
            raise
        return existing
    return membership
