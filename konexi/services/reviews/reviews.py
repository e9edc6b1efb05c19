"""Reviews: who may leave one, the provider's single reply, reports, and what the public sees.

A review needs a redeemed claim on the voucher; the unique ``(voucher_id, user_id)``
constraint keeps it to one per voucher and person even when two posts race.

Reports come only from verified people outside the reviewed company (its team cannot silence
its critics). A report puts the review in the moderation queue; it is hidden before a
moderator looks only when the reporters are independent and many: at least
``REVIEW_HIDE_MIN_REPORTERS`` verified accounts older than ``REVIEW_REPORTER_MIN_AGE_DAYS``, each
from a different /24 (IPv4) or /48 (IPv6) network, so a handful of throwaway accounts behind one
connection hides nothing. Reports are unique per ``(review_id, reporter_id)``; the count is
bumped by one ``UPDATE`` and one conditional ``UPDATE`` hides the review, so concurrent reports
add up without a read-modify-write race. The reviewer is told by email when their review is
hidden pending moderation or removed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import ScalarSelect, Select, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from konexi.extensions import db, rows_changed
from konexi.messaging.outbox import commit_and_dispatch
from konexi.models import (
    Claim,
    ClaimStatus,
    Company,
    Membership,
    ReportReason,
    Review,
    ReviewReport,
    ReviewStatus,
    User,
    Voucher,
)
from konexi.models.base import utcnow
from konexi.models.reviews import MAX_REVIEW_CHARS
from konexi.services.reviews.review_notices import queue_review_notice
from konexi.services.signing import Digest, keyed_digest

PAGE_SIZE = 10


class ReviewOutcome(StrEnum):
    OK = "ok"
    NOT_REDEEMED = "not_redeemed"
    ALREADY_REVIEWED = "already_reviewed"
    INVALID = "invalid"
    NOT_FOUND = "not_found"


class ReplyOutcome(StrEnum):
    OK = "ok"
    ALREADY_REPLIED = "already_replied"
    INVALID = "invalid"
    NOT_FOUND = "not_found"


class ReportOutcome(StrEnum):
    OK = "ok"
    ALREADY_REPORTED = "already_reported"
    OWN_REVIEW = "own_review"
    NOT_VERIFIED = "not_verified"
    COMPANY_MEMBER = "company_member"
    INVALID = "invalid"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ReviewResult:
    outcome: ReviewOutcome
    review: Review | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is ReviewOutcome.OK


@dataclass(frozen=True)
class RatingSummary:
    count: int = 0
    average: float | None = None


@dataclass
class ReviewPage:
    items: list[Review] = field(default_factory=list)
    page: int = 1
    has_more: bool = False


@dataclass
class VoucherReviews:
    summary: RatingSummary
    latest: list[Review]
    can_review: bool


def _has_redeemed(user_id: int, voucher_id: int) -> bool:
    redeemed = exists().where(
        Claim.user_id == user_id,
        Claim.voucher_id == voucher_id,
        Claim.status == ClaimStatus.REDEEMED,
    )
    return bool(db.session.scalar(select(redeemed)))


def review_eligibility(user_id: int, voucher_id: int) -> ReviewOutcome:
    """OK when the user redeemed the voucher and has not reviewed it yet, else why not."""
    redeemed = exists().where(
        Claim.user_id == user_id,
        Claim.voucher_id == voucher_id,
        Claim.status == ClaimStatus.REDEEMED,
    )
    reviewed = exists().where(Review.user_id == user_id, Review.voucher_id == voucher_id)
    has_redeemed, has_reviewed = db.session.execute(select(redeemed, reviewed)).one()
    if not has_redeemed:
        return ReviewOutcome.NOT_REDEEMED
    return ReviewOutcome.ALREADY_REVIEWED if has_reviewed else ReviewOutcome.OK


def can_review(user_id: int, voucher_id: int) -> bool:
    """A user may review a voucher they redeemed, once."""
    return review_eligibility(user_id, voucher_id) is ReviewOutcome.OK


def reviewable_vouchers(user_id: int, company_id: int) -> list[Voucher]:
    """The company's vouchers the user redeemed and has not reviewed yet, by title."""
    redeemed = select(Claim.voucher_id).where(
        Claim.user_id == user_id, Claim.status == ClaimStatus.REDEEMED
    )
    reviewed = select(Review.voucher_id).where(Review.user_id == user_id)
    return list(
        db.session.scalars(
            select(Voucher)
            .where(
                Voucher.company_id == company_id,
                Voucher.id.in_(redeemed),
                Voucher.id.not_in(reviewed),
            )
            .order_by(Voucher.title, Voucher.id)
        )
    )


def leave_review(user_id: int, voucher_id: int, rating: int, text: str) -> ReviewResult:
    """Save a 1–5 star review (text up to 1000 characters) once per voucher, after a redemption."""
    text = (text or "").strip()
    if not 1 <= rating <= 5 or len(text) > MAX_REVIEW_CHARS:
        return ReviewResult(ReviewOutcome.INVALID)
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        return ReviewResult(ReviewOutcome.NOT_FOUND)
    if not _has_redeemed(user_id, voucher_id):
        return ReviewResult(ReviewOutcome.NOT_REDEEMED)
    review = Review(
        company_id=voucher.company_id,
        voucher_id=voucher_id,
        user_id=user_id,
        rating=rating,
        text=text,
    )
    try:
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:
        db.session.rollback()
        return ReviewResult(ReviewOutcome.ALREADY_REVIEWED)
    db.session.commit()
    return ReviewResult(ReviewOutcome.OK, review)


def reply_to_review(company_id: int, review_id: int, replier_id: int, text: str) -> ReplyOutcome:
    """The company answers one of its reviews once; a second reply is refused, whatever the race."""
    text = (text or "").strip()
    if not text or len(text) > MAX_REVIEW_CHARS:
        return ReplyOutcome.INVALID
    result = db.session.execute(
        update(Review)
        .where(
            Review.id == review_id,
            Review.company_id == company_id,
            Review.status != ReviewStatus.REMOVED,
            Review.reply_text.is_(None),
        )
        .values(reply_text=text, replied_at=utcnow(), replied_by_id=replier_id)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) == 1:
        db.session.commit()
        return ReplyOutcome.OK
    db.session.rollback()
    review = db.session.get(Review, review_id)
    if review is None or review.company_id != company_id or review.status == ReviewStatus.REMOVED:
        return ReplyOutcome.NOT_FOUND
    return ReplyOutcome.ALREADY_REPLIED


def reporter_network(ip: str | None) -> str | None:
    """A keyed hash of the /24 (IPv4) or /48 (IPv6) network an address is in (None without one):
    the neighbours of one connection, a shop's Wi-Fi or a carrier's NAT, count as one voice."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return keyed_digest(Digest.REPORT_NETWORK, str(network))


def report_refusal(reporter_id: int, review: Review) -> ReportOutcome | None:
    """Why this person may not report this review (None when they may): only verified people
    who are not the author and not members of the reviewed company report."""
    if review.user_id == reporter_id:
        return ReportOutcome.OWN_REVIEW
    reporter = db.session.get(User, reporter_id)
    if reporter is None or not reporter.is_active or not reporter.is_verified:
        return ReportOutcome.NOT_VERIFIED
    member = db.session.scalar(
        select(Membership.id).where(
            Membership.company_id == review.company_id, Membership.user_id == reporter_id
        )
    )
    if member is not None:
        return ReportOutcome.COMPANY_MEMBER
    return None


def _independent_reporters(review_id: int, now: datetime) -> ScalarSelect[int]:
    """How many distinct networks the review's verified, long-standing reporters come from."""
    oldest_allowed = now - timedelta(days=int(current_app.config["REVIEW_REPORTER_MIN_AGE_DAYS"]))
    return (
        select(func.count(func.distinct(ReviewReport.network_hash)))
        .join(User, User.id == ReviewReport.reporter_id)
        .where(
            ReviewReport.review_id == review_id,
            ReviewReport.network_hash.is_not(None),
            User.phone_verified_at.is_not(None),
            User.email_verified_at.is_not(None),
            User.created_at <= oldest_allowed,
        )
        .scalar_subquery()
    )


def report_review(
    reporter_id: int, review_id: int, reason: str, ip: str | None = None
) -> ReportOutcome:
    """Count one report per eligible person (see report_refusal) and queue the review for a
    moderator; independent reporters, many enough, hide it until the moderator decides.

    A review a moderator restored stays visible whatever is reported afterwards.
    """
    if reason not in list(ReportReason):
        return ReportOutcome.INVALID
    review = db.session.get(Review, review_id)
    if review is None or review.status == ReviewStatus.REMOVED:
        return ReportOutcome.NOT_FOUND
    refusal = report_refusal(reporter_id, review)
    if refusal is not None:
        return refusal
    try:
        with db.session.begin_nested():
            db.session.add(
                ReviewReport(
                    review_id=review_id,
                    reporter_id=reporter_id,
                    reason=ReportReason(reason),
                    network_hash=reporter_network(ip),
                )
            )
    except IntegrityError:
        db.session.rollback()
        return ReportOutcome.ALREADY_REPORTED
    db.session.execute(
        update(Review)
        .where(Review.id == review_id)
        .values(report_count=Review.report_count + 1)
        .execution_options(synchronize_session=False)
    )
    hidden = db.session.execute(
        update(Review)
        .where(
            Review.id == review_id,
            Review.status == ReviewStatus.VISIBLE,
            Review.restored_at.is_(None),
            _independent_reporters(review_id, utcnow())
            >= int(current_app.config["REVIEW_HIDE_MIN_REPORTERS"]),
        )
        .values(status=ReviewStatus.HIDDEN)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(hidden) == 1:
        db.session.refresh(review)
        queue_review_notice(review, ReviewStatus.HIDDEN)
    commit_and_dispatch()
    return ReportOutcome.OK


def visible_review(review_id: int) -> Review | None:
    """A review the public can see, with its company, voucher and author; None otherwise."""
    return db.session.scalar(
        select(Review)
        .where(Review.id == review_id, Review.status == ReviewStatus.VISIBLE)
        .options(joinedload(Review.company), joinedload(Review.voucher), joinedload(Review.user))
    )


def reported_by(user_id: int, review_ids: Iterable[int]) -> set[int]:
    """Which of these reviews the user has already reported."""
    ids = list(review_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(ReviewReport.review_id).where(
                ReviewReport.reporter_id == user_id, ReviewReport.review_id.in_(ids)
            )
        )
    )


def rating_summary(
    *, company_id: int | None = None, voucher_id: int | None = None
) -> RatingSummary:
    """Number and average rating of the visible reviews of a company or of one voucher."""
    statement = select(func.count(Review.id), func.avg(Review.rating)).where(
        Review.status == ReviewStatus.VISIBLE
    )
    if company_id is not None:
        statement = statement.where(Review.company_id == company_id)
    if voucher_id is not None:
        statement = statement.where(Review.voucher_id == voucher_id)
    count, average = db.session.execute(statement).one()
    return RatingSummary(int(count or 0), float(average) if average is not None else None)


def _reviews_page(statement: Select[Review], page: int, per_page: int) -> ReviewPage:
    page = max(page, 1)
    rows = list(
        db.session.scalars(
            statement.options(
                joinedload(Review.user), joinedload(Review.voucher), joinedload(Review.company)
            )
            .order_by(Review.created_at.desc(), Review.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return ReviewPage(items=rows[:per_page], page=page, has_more=len(rows) > per_page)


def visible_reviews(company_id: int, page: int = 1, per_page: int = PAGE_SIZE) -> ReviewPage:
    """The company's visible reviews, newest first, one page at a time."""
    statement = select(Review).where(
        Review.company_id == company_id, Review.status == ReviewStatus.VISIBLE
    )
    return _reviews_page(statement, page, per_page)


def reviews_by(user_id: int, page: int = 1, per_page: int = PAGE_SIZE) -> ReviewPage:
    """One person's reviews as the public sees them: visible, at live companies, newest first."""
    statement = (
        select(Review)
        .join(Company, Company.id == Review.company_id)
        .where(
            Review.user_id == user_id,
            Review.status == ReviewStatus.VISIBLE,
            Company.is_active.is_(True),
        )
    )
    return _reviews_page(statement, page, per_page)


def company_reviews(company_id: int, page: int = 1, per_page: int = 20) -> ReviewPage:
    """The company's reviews for its console: visible and hidden ones, never removed ones."""
    statement = select(Review).where(
        Review.company_id == company_id,
        Review.status.in_((ReviewStatus.VISIBLE, ReviewStatus.HIDDEN)),
    )
    return _reviews_page(statement, page, per_page)


def voucher_reviews(voucher_id: int, user_id: int | None = None, limit: int = 3) -> VoucherReviews:
    """A voucher's rating, its latest visible reviews, and whether ``user_id`` may add one."""
    statement = select(Review).where(
        Review.voucher_id == voucher_id, Review.status == ReviewStatus.VISIBLE
    )
    return VoucherReviews(
        summary=rating_summary(voucher_id=voucher_id),
        latest=_reviews_page(statement, 1, limit).items,
        can_review=user_id is not None and can_review(user_id, voucher_id),
    )
