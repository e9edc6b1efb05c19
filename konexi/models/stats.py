"""Aggregate counts per voucher and day: views, claims, redemptions. Nothing identifies a user."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from konexi.extensions import Model


class VoucherDailyStats(Model):
    __tablename__ = "voucher_daily_stats"

    voucher_id: Mapped[int] = mapped_column(
        ForeignKey("vouchers.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(default=0)
    claims: Mapped[int] = mapped_column(default=0)
    redemptions: Mapped[int] = mapped_column(default=0)
    gifts: Mapped[int] = mapped_column(default=0, server_default="0")  # accepted gifts
