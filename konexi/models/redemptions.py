"""Who saw which customer's data when redeeming: one row each time a claim is shown or redeemed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model
from konexi.models.base import UTCDateTime, utcnow

# console: a member looked the customer up at /provider/redeem; sms: a branch phone texted a code.
ACCESS_CHANNELS = ("console", "sms")
# lookup: the customer's name, phone and live claims were shown; redeem: a claim was redeemed.
ACCESS_PURPOSES = ("lookup", "redeem")


class CustomerDataAccess(Model):
    """One access by a provider to a customer's data (the claim, or the customer without one)."""

    __tablename__ = "customer_data_access"
    __table_args__ = (
        Index("ix_customer_data_access_company_accessed", "company_id", "accessed_at"),
        Index("ix_customer_data_access_customer_accessed", "customer_id", "accessed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="SET NULL"))
    # The staff member (console); both NULL when a branch phone redeemed by SMS.
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL")
    )
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The customer whose data was shown; NULL once their account is purged.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(8))
    accessed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
