"""The account purge: what survives a deleted account (aggregate counts) and what never does.

Rules, per account whose status is "deleting" and whose ``purge_after`` has passed, and per
closed account not reopened within the same grace period (``PURGE_GRACE_DAYS`` after
``closed_at``: the owner could reopen it until then, and nobody else ever will):

- deleted: the user row, verification codes, the stored location, favourite categories, the
  profile picture, team memberships, invitations sent to their email, every outbox message
  addressed to them (by ``user_id`` or by their phone/email) and every message that names them
  (``named_user_id``: invitations they sent, vouchers they shared with a friend);
- anonymised and kept: claims and redemptions (``user_id`` NULL: a voucher's counts stay true),
  shares (``sender_id`` NULL: open counts stay; a share sent to or by them leaves the friend's
  "Shared with me" list: ``recipient_user_id`` NULL), gifts they gave or accepted
  (sender/recipient NULL, the contact and network hashes blanked; a pending gift of theirs is
  void, so nobody can accept a claim that no longer has a holder), the provider's data-access log
  (customer NULL);
- reviews: the text and the provider's reply are blanked and the author cleared, so the row stays
  only as an anonymous rating and a provider's average does not change when a customer leaves;
- an account under a fraud hold is kept, logged and reported, whatever its purge date;
- a live company whose only owners are purged is closed (its vouchers leave the public side), so
  no company is left public without an owner. Closing or deleting an account is refused to a
  company's only owner; this covers deletions asked for before that rule, or forced by hand.

Accounts are purged in batches, one transaction each, so a crash loses at most one batch's work
and the next run continues (the purge is idempotent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update

from konexi.extensions import db, rows_changed
from konexi.models import (
    Claim,
    Company,
    CustomerDataAccess,
    Gift,
    GiftStatus,
    Invitation,
    Membership,
    OutboxMessage,
    ProfilePicture,
    Review,
    Role,
    Share,
    User,
    UserStatus,
    VerificationCode,
    user_favourite_categories,
)
from konexi.models.base import utcnow
from konexi.models.preferences import UserLocation

log = logging.getLogger(__name__)

BATCH_SIZE = 500


@dataclass
class PurgeReport:
    """What one purge run did: how many accounts it purged and which ones a fraud hold kept."""

    purged_count: int = 0
    held_ids: list[int] = field(default_factory=list)


def _due_rule(now: datetime) -> ColumnElement[bool]:
    # The mirror image of what a login may still undo (``account_lifecycle``): a deletion before
    # ``purge_after``, a closure while ``closed_at`` is within the grace period.
    grace = timedelta(days=int(current_app.config["PURGE_GRACE_DAYS"]))
    return or_(
        and_(User.status == UserStatus.DELETING, User.purge_after <= now),
        and_(User.status == UserStatus.CLOSED, User.closed_at < now - grace),
    )


def _due(now: datetime) -> Select[int]:
    return select(User.id).where(_due_rule(now))


def _not_held() -> ColumnElement[bool]:
    return User.fraud_hold_at.is_(None) & User.fraud_hold_reason.is_(None)


def _anonymise_gifts(ids: list[int]) -> None:
    """Gifts stay as counts: who gave, who accepted, to which address and from where go."""
    db.session.execute(
        update(Gift)
        .where(Gift.sender_id.in_(ids), Gift.status == GiftStatus.PENDING)
        .values(status=GiftStatus.VOID, settled_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    for column in (Gift.sender_id, Gift.recipient_id):
        db.session.execute(
            update(Gift)
            .where(column.in_(ids))
            .values({column: None, "recipient_hash": "", "ip_hash": None})
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(Gift)
        .where(Gift.sender_id.is_(None), Gift.outbox_message_id.is_not(None))
        .values(outbox_message_id=None)
        .execution_options(synchronize_session=False)
    )


def _lock_still_due(ids: list[int], now: datetime) -> list[int]:
    """Of the listed accounts, those still due, with their rows locked until the batch commits.

    A write, not a SELECT, so that SQLite takes its write lock here too. A login that cancelled
    a deletion (or reopened a closed account) after the ids were listed changed the status and
    is skipped; one that comes now
    waits for the purge and then finds the account gone (``account_lifecycle.come_back``).
    """
    return list(
        db.session.scalars(
            update(User)
            .where(User.id.in_(ids), _due_rule(now))
            .where(_not_held())
            .values(status=User.status)
            .returning(User.id)
            .execution_options(synchronize_session=False)
        )
    )


def _purge_batch(ids: list[int]) -> None:
    """Delete or anonymise everything personal of these users, then the users (one transaction)."""
    contacts = db.session.execute(select(User.email_key, User.phone).where(User.id.in_(ids))).all()
    emails = [row.email_key for row in contacts if row.email_key]
    phones = [row.phone for row in contacts if row.phone]
    addresses = [*emails, *phones]

    sent_by_them = select(Share.outbox_message_id).where(
        Share.sender_id.in_(ids), Share.outbox_message_id.is_not(None)
    )
    given_by_them = select(Gift.outbox_message_id).where(
        Gift.sender_id.in_(ids), Gift.outbox_message_id.is_not(None)
    )
    db.session.execute(
        delete(OutboxMessage)
        .where(
            or_(
                OutboxMessage.user_id.in_(ids),
                OutboxMessage.named_user_id.in_(ids),
                func.lower(OutboxMessage.to_address).in_(addresses),
                OutboxMessage.id.in_(sent_by_them),
                OutboxMessage.id.in_(given_by_them),
            )
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Share)
        .where(Share.sender_id.in_(ids))
        .values(sender_id=None, outbox_message_id=None)
        .execution_options(synchronize_session=False)
    )
    _anonymise_gifts(ids)
    db.session.execute(
        update(Share)
        .where(or_(Share.recipient_user_id.in_(ids), Share.sender_id.is_(None)))
        .where(Share.recipient_user_id.is_not(None))
        .values(recipient_user_id=None, recipient_dismissed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Review)
        .where(Review.user_id.in_(ids))
        .values(user_id=None, text="", reply_text=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Claim)
        .where(Claim.user_id.in_(ids))
        .values(user_id=None, hidden_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(CustomerDataAccess)
        .where(CustomerDataAccess.customer_id.in_(ids))
        .values(customer_id=None)
        .execution_options(synchronize_session=False)
    )
    if emails:
        db.session.execute(
            delete(Invitation)
            .where(func.lower(Invitation.email).in_(emails))
            .execution_options(synchronize_session=False)
        )
    _close_companies_left_without_an_owner(ids)
    for table in (VerificationCode, UserLocation, Membership):
        db.session.execute(
            delete(table).where(table.user_id.in_(ids)).execution_options(synchronize_session=False)
        )
    db.session.execute(
        delete(user_favourite_categories).where(user_favourite_categories.c.user_id.in_(ids))
    )
    db.session.execute(
        delete(ProfilePicture)
        .where(ProfilePicture.user_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(User).where(User.id.in_(ids)).execution_options(synchronize_session=False)
    )
    db.session.commit()


def _close_companies_left_without_an_owner(ids: list[int]) -> None:
    owned = select(Membership.company_id).where(
        Membership.user_id.in_(ids), Membership.role == Role.OWNER
    )
    kept_owner = select(Membership.company_id).where(
        Membership.role == Role.OWNER, Membership.user_id.not_in(ids)
    )
    closed = db.session.execute(
        update(Company)
        .where(Company.id.in_(owned), Company.id.not_in(kept_owner), Company.is_active.is_(True))
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(closed):
        log.warning("purge: closed %d companies left without an owner", rows_changed(closed))


def purge_due_accounts(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> PurgeReport:
    """Purge every account whose deletion or closure grace period has ended, except under a
    fraud hold."""
    now = now or utcnow()
    report = PurgeReport()
    report.held_ids = list(db.session.scalars(_due(now).where(~_not_held()).order_by(User.id)))
    for user_id in report.held_ids:
        log.warning("account %s is due for purge but under a fraud hold: kept", user_id)
    while True:
        ids = list(
            db.session.scalars(_due(now).where(_not_held()).order_by(User.id).limit(batch_size))
        )
        if not ids:
            break
        try:
            ids = _lock_still_due(ids, now)
            if ids:
                _purge_batch(ids)
            else:
                db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        report.purged_count += len(ids)
    db.session.expire_all()
    log.info("purge: %d accounts purged, %d held", report.purged_count, len(report.held_ids))
    return report
