"""Moderation of reported reviews by platform admins: the queue, restore and remove."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import joinedload

from konexi.extensions import db, rows_changed
from konexi.messaging.outbox import commit_and_dispatch
from konexi.models import Review, ReviewReport, ReviewStatus
from konexi.models.base import utcnow
from konexi.services.reviews.review_notices import queue_review_notice

QUEUE_SIZE = 50


@dataclass
class QueuedReview:
    review: Review
    reasons: Counter[str] = field(default_factory=Counter)


def moderation_queue(limit: int = QUEUE_SIZE) -> list[QueuedReview]:
    """Hidden reviews first, then visible reviews with reports, most reported first."""
    hidden_first = (Review.status == ReviewStatus.HIDDEN).desc()
    reviews = list(
        db.session.scalars(
            select(Review)
            .where(
                or_(
                    Review.status == ReviewStatus.HIDDEN,
                    (Review.status == ReviewStatus.VISIBLE) & (Review.report_count > 0),
                )
            )
            .options(
                joinedload(Review.user), joinedload(Review.voucher), joinedload(Review.company)
            )
            .order_by(hidden_first, Review.report_count.desc(), Review.created_at, Review.id)
            .limit(limit)
        )
    )
    if not reviews:
        return []
    reasons: dict[int, Counter[str]] = defaultdict(Counter)
    rows = db.session.execute(
        select(ReviewReport.review_id, ReviewReport.reason, func.count(ReviewReport.id))
        .where(ReviewReport.review_id.in_([review.id for review in reviews]))
        .group_by(ReviewReport.review_id, ReviewReport.reason)
    )
    for review_id, reason, count in rows:
        reasons[review_id][reason] = count
    return [QueuedReview(review, reasons[review.id]) for review in reviews]


def restore_review(review_id: int) -> bool:
    """Make a hidden or reported review visible again, clear its reports, and keep it visible."""
    result = db.session.execute(
        update(Review)
        .where(
            Review.id == review_id, Review.status.in_((ReviewStatus.VISIBLE, ReviewStatus.HIDDEN))
        )
        .values(status=ReviewStatus.VISIBLE, report_count=0, restored_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        db.session.rollback()
        return False
    db.session.execute(delete(ReviewReport).where(ReviewReport.review_id == review_id))
    db.session.commit()
    return True


def remove_review(review_id: int) -> bool:
    """Take a review down for good (it never shows again and cannot be reported any more) and
    tell its author."""
    result = db.session.execute(
        update(Review)
        .where(Review.id == review_id, Review.status != ReviewStatus.REMOVED)
        .values(status=ReviewStatus.REMOVED)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        db.session.rollback()
        return False
    db.session.execute(delete(ReviewReport).where(ReviewReport.review_id == review_id))
    review = db.session.get(Review, review_id, populate_existing=True)
    if review is not None:
        queue_review_notice(review, ReviewStatus.REMOVED)
    commit_and_dispatch()
    return True
