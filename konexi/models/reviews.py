"""Reviews of a provider, left per voucher by people who redeemed it, and reports about them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, stored_as_string, utcnow
from konexi.models.catalogue import Company, Voucher
from konexi.models.users import User


class ReviewStatus(StrEnum):
    VISIBLE = "visible"  # on the public page
    HIDDEN = "hidden"  # reported often enough to wait for a moderator
    REMOVED = "removed"  # taken down by a moderator for good


class ReportReason(StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    PERSONAL_INFO = "personal_info"
    NOT_GENUINE = "not_genuine"
    OTHER = "other"


MAX_REVIEW_CHARS = 1000


class Review(Model):
    __tablename__ = "reviews"
    __table_args__ = (
        # One review per voucher and person (NULLs, i.e. deleted accounts, never collide).
        UniqueConstraint("voucher_id", "user_id", name="uq_reviews_voucher_user"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        CheckConstraint("status IN ('visible', 'hidden', 'removed')", name="status_known"),
        Index("ix_reviews_company_status_created", "company_id", "status", "created_at"),
        Index("ix_reviews_voucher_status", "voucher_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id", ondelete="CASCADE"))
    # NULL once the account is deleted: the review stays, signed "Deleted user".
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ReviewStatus] = mapped_column(
        stored_as_string(ReviewStatus, 8), default=ReviewStatus.VISIBLE
    )
    report_count: Mapped[int] = mapped_column(default=0)
    # Set when a moderator restores the review: from then on reports no longer hide it.
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    company: Mapped[Company] = relationship()
    voucher: Mapped[Voucher] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def author_name(self) -> str | None:
        """The reviewer's public name (display name or first name, never email or phone);
        None for a deleted account."""
        if self.user is None:
            return None
        return self.user.public_name or None


class ReviewReport(Model):
    __tablename__ = "review_reports"
    __table_args__ = (
        UniqueConstraint("review_id", "reporter_id", name="uq_review_reports_reporter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[ReportReason] = mapped_column(stored_as_string(ReportReason, 20))
    # A keyed hash of the reporter's /24 (IPv4) or /48 (IPv6) network: reports from one network
    # count as one voice when deciding whether reports may hide a review without a moderator.
    network_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
