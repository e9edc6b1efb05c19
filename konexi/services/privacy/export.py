"""The "download my data" document: everything Konexi holds about one user, as plain JSON."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, inspect, or_, select
from sqlalchemy.orm import joinedload

from konexi.extensions import db
from konexi.models import (
    Branch,
    Category,
    Claim,
    Company,
    CustomerDataAccess,
    LinkedAccount,
    Membership,
    OutboxMessage,
    ProfilePicture,
    Review,
    ReviewReport,
    Share,
    User,
    Voucher,
    user_favourite_categories,
)
from konexi.models.preferences import UserLocation

# Secrets and internals that say nothing about the person: never exported.
_HIDDEN_USER_COLUMNS = frozenset({"password_hash", "email_key", "session_version"})


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _profile(user: User) -> dict[str, Any]:
    columns = inspect(User).columns
    return {
        column.key: _value(getattr(user, column.key))
        for column in columns
        if column.key not in _HIDDEN_USER_COLUMNS
    }


def _favourite_categories(user_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Category)
        .join(user_favourite_categories, user_favourite_categories.c.category_id == Category.id)
        .where(user_favourite_categories.c.user_id == user_id)
        .order_by(Category.slug)
    )
    return [{"slug": c.slug, "name_en": c.name_en, "name_id": c.name_id} for c in rows]


def _location(user_id: int) -> dict[str, Any] | None:
    row = db.session.get(UserLocation, user_id)
    if row is None:
        return None
    return {
        "latitude": row.latitude,
        "longitude": row.longitude,
        "updated_at": _value(row.updated_at),
    }


def _claims(user_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Claim)
        .where(Claim.user_id == user_id)
        .options(
            joinedload(Claim.voucher).joinedload(Voucher.company),
            joinedload(Claim.redeemed_branch),
        )
        .order_by(Claim.claimed_at, Claim.id)
    )
    return [
        {
            "voucher": claim.voucher.title,
            "provider": claim.voucher.company.name,
            "code": claim.code,
            "status": claim.status,
            "claimed_at": _value(claim.claimed_at),
            "redeemed_at": _value(claim.redeemed_at),
            "redeemed_branch": claim.redeemed_branch.name if claim.redeemed_branch else None,
            "hidden_at": _value(claim.hidden_at),
        }
        for claim in rows
    ]


def _reviews(user_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Review)
        .where(Review.user_id == user_id)
        .options(joinedload(Review.voucher), joinedload(Review.company))
        .order_by(Review.created_at, Review.id)
    )
    return [
        {
            "voucher": review.voucher.title,
            "provider": review.company.name,
            "rating": review.rating,
            "text": review.text,
            "status": review.status,
            "created_at": _value(review.created_at),
            "reply_text": review.reply_text,
            "replied_at": _value(review.replied_at),
        }
        for review in rows
    ]


def _reports(user_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(ReviewReport.review_id, ReviewReport.reason, ReviewReport.created_at)
        .where(ReviewReport.reporter_id == user_id)
        .order_by(ReviewReport.created_at, ReviewReport.id)
    )
    return [
        {"review_id": row.review_id, "reason": row.reason, "created_at": _value(row.created_at)}
        for row in rows
    ]


def _shares(user_id: int) -> list[dict[str, Any]]:
    # The friend's contact is theirs, not the user's: only voucher, channel and time.
    rows = db.session.execute(
        select(Voucher.title, Share.channel, Share.created_at, Share.opened_count)
        .join(Voucher, Voucher.id == Share.voucher_id)
        .where(Share.sender_id == user_id)
        .order_by(Share.created_at, Share.id)
    )
    return [
        {
            "voucher": row.title,
            "channel": row.channel,
            "created_at": _value(row.created_at),
            "opened_count": row.opened_count,
        }
        for row in rows
    ]


def _shared_with_me(user_id: int) -> list[dict[str, Any]]:
    # Shares that reached this account because it lets people find it: who (the sender's public
    # name, as this person saw it), which voucher, when, and whether it was dismissed.
    rows = db.session.scalars(
        select(Share)
        .where(Share.recipient_user_id == user_id)
        .options(joinedload(Share.voucher), joinedload(Share.sender))
        .order_by(Share.created_at, Share.id)
    )
    return [
        {
            "voucher": share.voucher.title,
            "shared_by": share.sender.public_name if share.sender is not None else None,
            "channel": share.channel,
            "created_at": _value(share.created_at),
            "dismissed_at": _value(share.recipient_dismissed_at),
        }
        for share in rows
    ]


def _memberships(user_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.user_id == user_id)
        .options(joinedload(Membership.company))
        .order_by(Membership.created_at, Membership.id)
    )
    return [
        {"company": m.company.name, "role": m.role, "created_at": _value(m.created_at)}
        for m in rows
    ]


# One-time codes and sign-in links are secrets, not data about the person: an export is read
# long after they expire, and a code in a downloadable file is a code someone else may read.
_SECRET_KINDS = frozenset({"verify_phone", "verify_email", "reset_password", "verify_branch_phone"})
WITHHELD = "[withheld: a one-time code]"


def own_messages(user: User) -> ColumnElement[bool]:
    """The outbox rows that are provably this person's: sent to a phone or email they had
    proven before the message was written, and not written for another account.

    An address typed at sign-up proves nothing (anyone can type a friend's email), so rows
    matched by address alone are never enough: an unverified account's export holds no
    message, and a recycled number's new owner never sees what the old owner was sent.
    """
    proven: list[ColumnElement[bool]] = []
    if user.phone_verified_at is not None:
        proven.append(
            (OutboxMessage.to_address == user.phone)
            & (OutboxMessage.created_at >= user.phone_verified_at)
        )
    if user.email_verified_at is not None:
        proven.append(
            (func.lower(OutboxMessage.to_address) == (user.email or "").lower())
            & (OutboxMessage.created_at >= user.email_verified_at)
        )
    if not proven:
        return false()
    return or_(*proven) & or_(OutboxMessage.user_id == user.id, OutboxMessage.user_id.is_(None))


def _messages(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(own_messages(user))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [
        {
            "channel": m.channel,
            "kind": m.kind,
            "to": m.to_address,
            "subject": m.subject,
            "body": WITHHELD if m.kind in _SECRET_KINDS else m.body,
            "status": m.status,
            "created_at": _value(m.created_at),
            "sent_at": _value(m.sent_at),
        }
        for m in rows
    ]


def _consents(user_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Branch.name, Branch.phone, Branch.phone_consent_at, Company.name.label("company"))
        .join(Company, Company.id == Branch.company_id)
        .where(Branch.phone_consent_by_id == user_id)
        .order_by(Branch.phone_consent_at, Branch.id)
    )
    return [
        {
            "kind": "branch_phone",
            "company": row.company,
            "branch": row.name,
            "phone": row.phone,
            "consented_at": _value(row.phone_consent_at),
        }
        for row in rows
    ]


def _data_access(user_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(
            Company.name.label("company"),
            Branch.name.label("branch"),
            CustomerDataAccess.channel,
            CustomerDataAccess.purpose,
            CustomerDataAccess.accessed_at,
        )
        .join(Company, Company.id == CustomerDataAccess.company_id)
        .outerjoin(Branch, Branch.id == CustomerDataAccess.branch_id)
        .where(CustomerDataAccess.customer_id == user_id)
        .order_by(CustomerDataAccess.accessed_at, CustomerDataAccess.id)
    )
    return [
        {
            "company": row.company,
            "branch": row.branch,
            "channel": row.channel,
            "purpose": row.purpose,
            "accessed_at": _value(row.accessed_at),
        }
        for row in rows
    ]


def _profile_picture(user_id: int) -> dict[str, Any] | None:
    picture = db.session.get(ProfilePicture, user_id)
    if picture is None:
        return None
    return {
        "content_type": picture.content_type,
        "width": picture.width,
        "height": picture.height,
        "updated_at": _value(picture.updated_at),
    }


def export_user_data(user_id: int) -> dict[str, Any]:
    """Everything Konexi holds about one user, as a JSON-ready dict (None for an unknown user).

    Sections: ``profile`` (every User column but the password hash and internals, i.e. settings
    and lifecycle too), ``profile_picture``, ``favourite_categories``, ``location``, ``claims``
    (voucher, provider, code, status, times, branch), ``reviews``, ``review_reports``,
    ``shares`` (voucher, channel, time; never the friend's contact), ``shared_with_me``
    (vouchers friends sent to this findable account: sender's public name, voucher, time),
    ``memberships``,
    ``messages`` (SMS and email sent to a phone or email they had proven; codes withheld),
    ``consents`` (branch phones they consented for),
    ``data_access`` (which company saw their data, when) and ``linked_accounts`` (provider,
    subject, email, when; no tokens are ever stored).
    """
    user = db.session.get(User, user_id)
    if user is None:
        return {}
    return {
        "format": "konexi-data-export/1",
        "profile": _profile(user),
        "profile_picture": _profile_picture(user_id),
        "favourite_categories": _favourite_categories(user_id),
        "location": _location(user_id),
        "claims": _claims(user_id),
        "reviews": _reviews(user_id),
        "review_reports": _reports(user_id),
        "shares": _shares(user_id),
        "shared_with_me": _shared_with_me(user_id),
        "memberships": _memberships(user_id),
        "messages": _messages(user),
        "consents": _consents(user_id),
        "data_access": _data_access(user_id),
        "linked_accounts": _linked_accounts(user_id),
    }


def _linked_accounts(user_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(LinkedAccount).where(LinkedAccount.user_id == user_id).order_by(LinkedAccount.id)
    )
    return [
        {
            "provider": row.provider,
            "subject": row.subject,
            "email": row.email,
            "linked_at": row.created_at.isoformat(),
        }
        for row in rows
    ]


def export_document(user_id: int) -> str:
    """The export as the JSON text users download, whether built in the request or by a job."""
    return json.dumps(export_user_data(user_id), ensure_ascii=False, indent=2)


def count_export_rows(user_id: int) -> int:
    """How many rows the export of this user holds (what decides between inline and a job)."""
    user = db.session.get(User, user_id)
    if user is None:
        return 0
    counts = [
        select(func.count()).select_from(Claim).where(Claim.user_id == user_id),
        select(func.count()).select_from(Review).where(Review.user_id == user_id),
        select(func.count()).select_from(ReviewReport).where(ReviewReport.reporter_id == user_id),
        select(func.count()).select_from(Share).where(Share.sender_id == user_id),
        select(func.count()).select_from(Share).where(Share.recipient_user_id == user_id),
        select(func.count()).select_from(Membership).where(Membership.user_id == user_id),
        select(func.count()).select_from(OutboxMessage).where(own_messages(user)),
        select(func.count()).select_from(Branch).where(Branch.phone_consent_by_id == user_id),
        select(func.count())
        .select_from(CustomerDataAccess)
        .where(CustomerDataAccess.customer_id == user_id),
        select(func.count()).select_from(LinkedAccount).where(LinkedAccount.user_id == user_id),
    ]
    return sum(int(db.session.scalar(statement) or 0) for statement in counts)
