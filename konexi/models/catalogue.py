"""Providers (companies), their branches, voucher categories and vouchers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from konexi.extensions import db
from konexi.models.base import UTCDateTime, utcnow

voucher_branches = Table(
    "voucher_branches",
    db.metadata,
    Column("voucher_id", ForeignKey("vouchers.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True),
    # The nearby search starts from branches in a box and needs their vouchers.
    Index("ix_voucher_branches_branch_id", "branch_id"),
)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_id: Mapped[str] = mapped_column(String(80))

    def name_for(self, locale: str) -> str:
        return self.name_id if locale == "id" else self.name_en


class Company(db.Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    branches: Mapped[list[Branch]] = relationship(back_populates="company")


class Branch(db.Model):
    __tablename__ = "branches"
    __table_args__ = (Index("ix_branches_lat_lon", "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)

    company: Mapped[Company] = relationship(back_populates="branches")


class Voucher(db.Model):
    __tablename__ = "vouchers"
    __table_args__ = (Index("ix_vouchers_status_ends", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    quota_total: Mapped[int]
    quota_claimed: Mapped[int] = mapped_column(default=0)
    per_user_limit: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="live")  # draft, live, paused, ended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    company: Mapped[Company] = relationship()
    category: Mapped[Category] = relationship()
    branches: Mapped[list[Branch]] = relationship(secondary=voucher_branches)

    @property
    def remaining(self) -> int:
        return max(self.quota_total - self.quota_claimed, 0)
