"""The console's voucher list and the choices its form offers, each in one query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import raiseload

from konexi.extensions import db
from konexi.models import Branch, Category, Claim, Voucher
from konexi.models.base import utcnow
from konexi.services.catalogue.catalogue import days_left

_LIST_ORDER = case({"live": 0, "paused": 1, "draft": 2}, value=Voucher.status, else_=3)


@dataclass
class VoucherRow:
    voucher: Voucher
    redeemed: int
    days_left: int
    state: str  # the status, or "scheduled", "sold_out", "expired" when that says more


@dataclass
class FormChoices:
    categories: list[Category] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)


def form_choices(company_id: int, keep_category_id: int | None = None) -> FormChoices:
    """The active categories (and the voucher's own, even if deactivated) and the company's
    active branches, for the voucher form."""
    offered = or_(Category.is_active.is_(True), Category.id == keep_category_id)
    return FormChoices(
        categories=list(
            db.session.scalars(select(Category).where(offered).order_by(Category.name_en))
        ),
        branches=list(
            db.session.scalars(
                select(Branch)
                .where(Branch.company_id == company_id, Branch.is_active.is_(True))
                .order_by(Branch.name)
            )
        ),
    )


def _state(voucher: Voucher, now: datetime) -> str:
    if voucher.status in ("live", "paused") and voucher.ends_at <= now:
        return "expired"
    if voucher.status == "live" and voucher.starts_at > now:
        return "scheduled"
    if voucher.status == "live" and voucher.quota_claimed >= voucher.quota_total:
        return "sold_out"
    return voucher.status


def company_vouchers(company_id: int, now: datetime | None = None) -> list[VoucherRow]:
    """The company's vouchers with claimed, redeemed and days left, live first, in one query."""
    now = now or utcnow()
    redeemed = (
        select(func.count(Claim.id))
        .where(Claim.voucher_id == Voucher.id, Claim.status == "redeemed")
        .correlate(Voucher)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Voucher, redeemed)
        .where(Voucher.company_id == company_id)
        .options(raiseload("*"))
        .order_by(_LIST_ORDER, Voucher.ends_at, Voucher.id)
    ).all()
    return [
        VoucherRow(
            voucher=voucher,
            redeemed=count or 0,
            days_left=days_left(voucher, now) if voucher.status != "ended" else 0,
            state=_state(voucher, now),
        )
        for voucher, count in rows
    ]
