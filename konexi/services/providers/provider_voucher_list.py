"""The console's voucher list and the choices its form offers, each in one query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import raiseload

from konexi.extensions import db
from konexi.models import Branch, Category, Claim, ClaimStatus, Voucher, VoucherStatus
from konexi.models.base import utcnow
from konexi.services.catalogue.catalogue import days_left

_LIST_ORDER = case(
    {VoucherStatus.LIVE: 0, VoucherStatus.PAUSED: 1, VoucherStatus.DRAFT: 2},
    value=Voucher.status,
    else_=3,
)


class VoucherListState(StrEnum):
    """What the list says of a voucher: its status, or what says more about a live or paused
    one (not started yet, all claimed, past its end but not ended by the provider)."""

    DRAFT = VoucherStatus.DRAFT.value
    LIVE = VoucherStatus.LIVE.value
    PAUSED = VoucherStatus.PAUSED.value
    ENDED = VoucherStatus.ENDED.value
    SCHEDULED = "scheduled"
    SOLD_OUT = "sold_out"
    EXPIRED = "expired"


@dataclass
class VoucherRow:
    voucher: Voucher
    redeemed: int
    days_left: int
    state: VoucherListState


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


def _state(voucher: Voucher, now: datetime) -> VoucherListState:
    if voucher.status in (VoucherStatus.LIVE, VoucherStatus.PAUSED) and voucher.ends_at <= now:
        return VoucherListState.EXPIRED
    if voucher.status == VoucherStatus.LIVE and voucher.starts_at > now:
        return VoucherListState.SCHEDULED
    if voucher.status == VoucherStatus.LIVE and voucher.quota_claimed >= voucher.quota_total:
        return VoucherListState.SOLD_OUT
    return VoucherListState(voucher.status)


def company_vouchers(company_id: int, now: datetime | None = None) -> list[VoucherRow]:
    """The company's vouchers with claimed, redeemed and days left, live first, in one query."""
    now = now or utcnow()
    redeemed = (
        select(func.count(Claim.id))
        .where(Claim.voucher_id == Voucher.id, Claim.status == ClaimStatus.REDEEMED)
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
            days_left=days_left(voucher, now) if voucher.status != VoucherStatus.ENDED else 0,
            state=_state(voucher, now),
        )
        for voucher, count in rows
    ]
