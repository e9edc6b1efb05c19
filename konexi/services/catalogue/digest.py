"""The weekly marketing digest: up to five vouchers a user may like, once per ISO week."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch, discard_pending, queue_email
from konexi.messaging.texts import render_text
from konexi.models import DigestLog, EmailSuppression, User, UserStatus, Voucher
from konexi.models.base import utcnow
from konexi.services.catalogue import catalogue, nearby, recommendations
from konexi.services.privacy.unsubscribe import (
    address_hash,
    list_unsubscribe_headers,
    unsubscribe_url,
)

log = logging.getLogger(__name__)

DIGEST_SIZE = 5
BATCH_SIZE = 100


def iso_week(now: datetime) -> str:
    """The ISO week of a moment, as ``YYYY-Www`` (e.g. ``2026-W48``)."""
    year, week, _day = now.isocalendar()
    return f"{year}-W{week:02d}"


def newest_live_vouchers(limit: int = DIGEST_SIZE) -> list[Voucher]:
    """The most recently published live vouchers, newest first."""
    statement = (
        catalogue.with_company_and_category(select(Voucher))
        .options(contains_eager(Voucher.company), contains_eager(Voucher.category))
        .where(and_(*catalogue.live_conditions(utcnow())))
        .order_by(Voucher.created_at.desc(), Voucher.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement).unique())


def digest_vouchers(user: User) -> list[Voucher]:
    """Suggestions for this user, or the newest live vouchers when personalisation is off."""
    if not user.personalisation_enabled:
        return newest_live_vouchers()
    origin = nearby.stored_location(user.id) if user.store_location else None
    return [item.voucher for item in recommendations.for_you(user, origin, DIGEST_SIZE)]


def _render(user: User, vouchers: list[Voucher]) -> tuple[str, str]:
    text = render_text(
        "digest",
        user.locale or "en",
        name=user.name,
        vouchers=vouchers,
        unsubscribe_url=unsubscribe_url(user),
    )
    return text.subject, text.body


def _candidates(after_id: int, week: str) -> list[User]:
    already = select(DigestLog.user_id).where(DigestLog.iso_week == week)
    statement = (
        select(User)
        .where(
            User.id > after_id,
            User.status == UserStatus.ACTIVE,
            User.marketing_email.is_(True),
            User.phone_verified_at.is_not(None),
            User.email_verified_at.is_not(None),
            User.id.not_in(already),
        )
        .order_by(User.id)
        .limit(BATCH_SIZE)
    )
    return list(db.session.scalars(statement))


def _suppressed(users: list[User]) -> set[str]:
    hashes = [address_hash(user.email) for user in users if user.email]
    if not hashes:
        return set()
    found = select(EmailSuppression.address_hash).where(EmailSuppression.address_hash.in_(hashes))
    return set(db.session.scalars(found))


def send_weekly_digests(now: datetime | None = None) -> int:
    """Queue this ISO week's digest for each user who wants one and lacks it; returns the count."""
    week = iso_week(now or utcnow())
    sent = 0
    after_id = 0
    while users := _candidates(after_id, week):
        after_id = users[-1].id
        suppressed = _suppressed(users)
        queued = 0
        for user in users:
            if user.email is None or address_hash(user.email) in suppressed:
                continue
            vouchers = digest_vouchers(user)
            if not vouchers:
                continue
            subject, body = _render(user, vouchers)
            queue_email(
                to=user.email,
                subject=subject,
                body=body,
                kind="weekly_digest",
                user_id=user.id,
                headers=list_unsubscribe_headers(user),
            )
            db.session.add(DigestLog(user_id=user.id, iso_week=week))
            queued += 1
        try:
            commit_and_dispatch()
        except IntegrityError:
            # Another run logged some of these users this week first; it sends their digests.
            db.session.rollback()
            discard_pending()
            log.warning("weekly digest batch after user %s overlapped another run", after_id)
            continue
        sent += queued
    return sent
