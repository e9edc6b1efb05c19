"""Claims: a user's right to one use of a voucher, with its redemption code."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, stored_as_string, utcnow
from konexi.models.catalogue import Branch, Voucher
from konexi.models.users import User


class ClaimStatus(StrEnum):
    """Stored: active can be redeemed (until the voucher ends); redeemed was used at a branch."""

    ACTIVE = "active"
    REDEEMED = "redeemed"
    GIVEN = "given"  # given to a friend, who holds a new claim with a new code


class ClaimState(StrEnum):
    """What the user sees: an active claim whose voucher has ended is expired (derived, not
    stored)."""

    ACTIVE = "active"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    GIVEN = "given"


class Claim(Model):
    __tablename__ = "claims"
    __table_args__ = (
        # claim_number runs 1..per_user_limit, so the per-user limit holds even under a race.
        UniqueConstraint("voucher_id", "user_id", "claim_number", name="uq_claims_user_slot"),
        Index("ix_claims_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), index=True)
    # NULL once the account is purged: the claim survives only as an anonymous count.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claim_number: Mapped[int] = mapped_column(default=1)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[ClaimStatus] = mapped_column(
        stored_as_string(ClaimStatus, 12), default=ClaimStatus.ACTIVE
    )
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set on a claim received as a gift: it may be given on only if the voucher allows re-gifts.
    gifted_from_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))

    voucher: Mapped[Voucher] = relationship()
    user: Mapped[User | None] = relationship()
    redeemed_branch: Mapped[Branch | None] = relationship()

    def state_at(self, now: datetime) -> ClaimState:
        """Redeemed, expired (voucher ended, never redeemed) or active at ``now``."""
        if self.status == ClaimStatus.REDEEMED:
            return ClaimState.REDEEMED
        if self.status == ClaimStatus.GIVEN:
            return ClaimState.GIVEN
        if self.voucher.ends_at <= now:
            return ClaimState.EXPIRED
        return ClaimState.ACTIVE

    @property
    def state(self) -> ClaimState:
        return self.state_at(utcnow())
