"""Reading the voucher catalogue: what is live now."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from konexi.extensions import db
from konexi.models import Company, Voucher
from konexi.models.base import utcnow

PAGE_SIZE = 10


@dataclass
class VoucherPage:
    items: list[Voucher]
    page: int
    has_more: bool


def live_vouchers(page: int = 1, per_page: int = PAGE_SIZE) -> VoucherPage:
    """Live vouchers (started, not expired, quota left, provider active), soonest ending first."""
    now = utcnow()
    query = (
        select(Voucher)
        .join(Company, Voucher.company_id == Company.id)
        .where(
            Voucher.status == "live",
            Voucher.starts_at <= now,
            Voucher.ends_at > now,
            Voucher.quota_claimed < Voucher.quota_total,
            Company.is_active.is_(True),
        )
        .options(joinedload(Voucher.company), joinedload(Voucher.category))
        .order_by(Voucher.ends_at, Voucher.id)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    rows = list(db.session.scalars(query))
    return VoucherPage(items=rows[:per_page], page=page, has_more=len(rows) > per_page)
